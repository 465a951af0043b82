'use client';
// Run (live): loss per step with optional EMA and validation loss, accuracy/macro-F1 per evaluation (NER: entity
// F1, precision and recall, token accuracy), learning rate;
// progress with epoch/step/ETA/samples per second; pause/resume/stop, LR multiplier, extend; checkpoints (best marked).
// A run interrupted by a reload shows its stored curves and offers Resume from its last checkpoint.
import { startTransition, useEffect, useMemo, useRef, useState } from 'react';
import { engine } from '../engine-client';
import { useStudio, type LiveRun } from '../state/studio';
import { useRuns } from '../stored';
import { Curves } from '../charts/Curves';
import { ema } from '../charts/series';
import { ErrorNote, NextStep, fmtCount, fmtDuration, pct, toErrorInfoUI } from '../ui';
import type { ErrorInfo } from '@/lib/errors';
import type { RunControl } from '@/lib/protocol';
import type { CheckpointInfo, EvalPoint, RunRecord } from '@/lib/session/types';
import { headlineMetric } from '@/lib/session/metric-records';

const CHART_MS = 1000;

/** `value`, but changing at most once per `ms` (the last change always lands). The change renders as a transition:
 *  React renders it in slices between other work and yields to input, so a chart redraw is not one long task. */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const show = () => {
      last.current = Date.now();
      startTransition(() => setShown(value));
    };
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      show();
      return;
    }
    const t = setTimeout(show, wait);
    return () => clearTimeout(t);
  }, [value, ms]);
  return shown;
}

/** Why a checkpoint was written, in words. `epoch` counts finished epochs for an end-of-epoch save and is the
 *  0-based epoch in progress for the others (the best checkpoint at an epoch's end is saved before the count moves). */
function savedFor(c: CheckpointInfo): string {
  switch (c.reason) {
    case 'epoch':
      return `end of epoch ${c.epoch}`;
    case 'best':
      return `better validation score (epoch ${c.epoch + 1})`;
    case 'periodic':
      return `regular save (epoch ${c.epoch + 1})`;
    case 'abort':
      return `stop (epoch ${c.epoch + 1})`;
    default:
      return 'end of run';
  }
}

const ACTIVE = new Set(['queued', 'preparing', 'running', 'paused', 'stopping']);

/** Loads stored runs' histories into the store when they are not live here; returns them in the order given. */
export function useRunHistories(runIds: string[]): { runs: (LiveRun | undefined)[]; error: ErrorInfo | null } {
  const all = useStudio((s) => s.runs);
  const loadRun = useStudio((s) => s.loadRun);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const key = runIds.join(',');
  useEffect(() => {
    for (const runId of key ? key.split(',') : []) {
      if (useStudio.getState().runs[runId]) continue;
      const e = engine();
      e.request({ type: 'run-history', requestId: e.nextId('hist'), runId }, 'run-history-result')
        .then((ev) => {
          if (useStudio.getState().runs[runId]) return;
          const r = ev.run;
          loadRun({
            runId,
            status: r.record.status,
            error: r.record.error,
            progress: r.record.progress,
            steps: r.steps,
            evals: r.evals,
            checkpoints: r.checkpoints,
            version: 1,
          });
        })
        .catch((err) => setError(toErrorInfoUI(err)));
    }
  }, [key, loadRun]);
  return { runs: runIds.map((id) => all[id]), error };
}

export function useRunHistory(runId: string | null): { run: LiveRun | undefined; error: ErrorInfo | null } {
  const { runs, error } = useRunHistories(runId ? [runId] : []);
  return { run: runs[0], error };
}

export function RunScreen() {
  const currentRunId = useStudio((s) => s.currentRunId);
  const setCurrentRun = useStudio((s) => s.setCurrentRun);
  const runs = useRuns();
  const runId = currentRunId ?? runs[0]?.id ?? null;
  const record = runs.find((r) => r.id === runId);
  const { run, error: histError } = useRunHistory(runId);

  if (!runId) {
    return (
      <div className="stack">
        <p className="panel">No run yet. Choose settings on the Train screen and press Start training.</p>
        <NextStep to="train" />
      </div>
    );
  }
  return (
    <div className="stack">
      {runs.length > 1 && (
        <label className="row">
          Run
          <select value={runId} onChange={(e) => setCurrentRun(e.target.value)}>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} · {r.status} · {new Date(r.createdAt).toLocaleString()}
              </option>
            ))}
          </select>
        </label>
      )}
      <ErrorNote error={histError} />
      {run ? <LiveRunView run={run} record={record} /> : <p className="muted">Loading the run…</p>}
    </div>
  );
}

function LiveRunView({ run, record }: { run: LiveRun; record?: RunRecord }) {
  const [smooth, setSmooth] = useState(true);
  const [log, setLog] = useState(false);
  const [mult, setMult] = useState(1);
  const [extra, setExtra] = useState(1);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const status = run.status;
  const active = ACTIVE.has(status);
  const p = run.progress ?? record?.progress;
  const baseline = record?.baseline;

  // run.version bumps whenever points are appended in place (the arrays are the same objects); charts follow it at
  // most once a second, the counters above them at every batch. The learning-rate chart follows the loss chart's
  // version, so it redraws in the task after the loss chart's, never in the same one.
  const version = useThrottled(run.version, CHART_MS);
  const lrVersion = useThrottled(version, CHART_MS);
  const evalCount = run.evals.length;
  const lossSeries = useMemo(() => {
    void version;
    const loss = run.steps.map((s) => ({ x: s.step, y: s.loss }));
    return [
      { name: smooth ? 'training loss (EMA 0.9)' : 'training loss', points: smooth ? ema(loss, 0.9) : loss },
      { name: 'validation loss', points: run.evals.map((e) => ({ x: e.step, y: e.loss })) },
    ];
  }, [version, run.steps, run.evals, smooth]);
  // metrics change only at evaluations: that chart re-renders then, not with every batch of steps
  const ner = headlineMetric(run.evals[0]) === 'entityF1';
  const metricSeries = useMemo(() => {
    void evalCount;
    const series = (name: string, key: keyof EvalPoint & string) => ({ name, points: run.evals.map((e) => ({ x: e.step, y: e[key] })) });
    return ner
      ? [
          series('entity F1', 'entityF1'),
          series('entity precision', 'entityPrecision'),
          series('entity recall', 'entityRecall'),
          series('token accuracy', 'tokenAccuracy'),
        ]
      : [
          series('accuracy', 'accuracy'),
          series('macro-F1', 'macroF1'),
          // the word-count baseline's accuracy, level across the evaluations: the line to beat
          ...(baseline && run.evals.length
            ? [
                {
                  name: 'TF-IDF baseline accuracy',
                  color: '#999999',
                  dash: '2 4',
                  points: [run.evals[0], run.evals[run.evals.length - 1]].map((e) => ({ x: e.step, y: baseline.accuracy })),
                },
              ]
            : []),
        ];
  }, [evalCount, run.evals, ner, baseline]);
  const lrSeries = useMemo(() => {
    void lrVersion;
    return [{ name: 'learning rate', points: run.steps.map((s) => ({ x: s.step, y: s.lr })) }];
  }, [lrVersion, run.steps]);

  // every control waits for the engine's answer: a refusal (the run is not training here, a bad value) or a stopped
  // engine shows next to the buttons
  const control = async (c: RunControl) => {
    setError(null);
    try {
      const e = engine();
      await e.request({ type: 'run-control', requestId: e.nextId('ctl'), runId: run.runId, control: c }, 'ok');
    } catch (err) {
      setError(toErrorInfoUI(err));
    }
  };

  const resume = async () => {
    setError(null);
    try {
      const e = engine();
      // the resumed run replays everything after its checkpoint: drop those points here too
      const from = Math.max(...run.checkpoints.map((c) => c.step));
      useStudio.getState().updateRun(run.runId, (r) => {
        r.status = 'preparing';
        r.steps = r.steps.filter((p) => p.step <= from);
        r.evals = r.evals.filter((p) => p.step <= from);
        if (r.progress) r.progress = { ...r.progress, step: from };
      });
      await e.request({ type: 'run-resume', requestId: e.nextId('resume'), runId: run.runId }, 'run-started');
    } catch (err) {
      setError(toErrorInfoUI(err));
    }
  };

  const last = run.evals[run.evals.length - 1];
  const backendName = useStudio((st) => st.backend?.backend);
  return (
    <>
      <section className="panel" aria-labelledby="progress-h">
        <div className="row spread">
          <h3 id="progress-h">
            {record?.name ?? 'Run'}{' '}
            <span className={`status status-${status}`} data-testid="run-status">
              {status}
            </span>
          </h3>
          <span className="small muted">
            on <span className="badge">{backendName ?? '…'}</span>
          </span>
        </div>
        {p && (
          <>
            <progress value={p.step} max={Math.max(p.totalSteps, 1)} aria-label="Training progress" data-testid="run-progress" />
            <p className="row small" data-testid="run-counters">
              <span>
                Epoch {p.epoch} / {p.epochs}
              </span>
              <span data-testid="run-step">
                Step {fmtCount(p.step)} / {fmtCount(p.totalSteps)}
              </span>
              <span data-testid="run-speed">
                {p.samplesPerSec
                  ? `${p.samplesPerSec.toFixed(1)} samples/s ` +
                    `${record?.config.mode === 'head' ? 'training the head on cached features' : 'in fine-tuning steps'}`
                  : ''}
              </span>
              <span data-testid="run-eta">
                {status === 'paused'
                  ? 'paused (no estimate while paused)'
                  : active && p.etaSec
                    ? `about ${fmtDuration(p.etaSec)} left`
                    : `elapsed ${fmtDuration(p.elapsedSec)}`}
              </span>
              {run.steps.length > 0 && <span data-testid="run-lr">LR {run.steps[run.steps.length - 1].lr.toPrecision(3)}</span>}
              {p.lrMultiplier !== 1 && <span>LR × {p.lrMultiplier}</span>}
            </p>
          </>
        )}
        {run.message && (
          <p className="muted" data-testid="run-message">
            {run.message}
          </p>
        )}
        <ErrorNote error={run.error} testId="run-error" />
        <ErrorNote error={error} testId="run-control-error" />
        <div className="row">
          {status === 'running' && (
            <button type="button" onClick={() => void control({ action: 'pause' })}>
              Pause
            </button>
          )}
          {status === 'paused' && (
            <button type="button" className="primary" onClick={() => void control({ action: 'resume' })}>
              Resume
            </button>
          )}
          {(status === 'interrupted' || status === 'stopped' || status === 'failed') && run.checkpoints.length > 0 && (
            <button type="button" className="primary" onClick={() => void resume()} data-testid="resume-checkpoint">
              Resume from last checkpoint (step {Math.max(...run.checkpoints.map((c) => c.step))})
            </button>
          )}
          {active && status !== 'stopping' && (
            <button type="button" className="danger" onClick={() => void control({ action: 'stop' })}>
              Stop
            </button>
          )}
        </div>
        {active && (
          <div className="row">
            <label>
              LR multiplier
              <input type="number" min={0.01} max={100} step={0.1} value={mult} onChange={(e) => setMult(Number(e.target.value))} />
            </label>
            <button type="button" onClick={() => void control({ action: 'lr-multiplier', value: mult })}>
              Apply
            </button>
            <label>
              Extra epochs
              <input type="number" min={1} max={100} step={1} value={extra} onChange={(e) => setExtra(Number(e.target.value))} />
            </label>
            <button type="button" onClick={() => void control({ action: 'extend', epochs: extra })}>
              Extend
            </button>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="curves-h">
        <div className="row spread">
          <h3 id="curves-h">Curves</h3>
          <div className="row">
            <label className="check">
              <input type="checkbox" checked={smooth} onChange={(e) => setSmooth(e.target.checked)} /> Smooth (EMA)
            </label>
            <label className="check">
              <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> Log scale
            </label>
          </div>
        </div>
        <div className="chart-grid">
          <Curves title="Loss" series={lossSeries} log={log} testId="chart-loss" live={active} />
          <Curves
            title={ner ? 'Validation entity F1 (exact span and type)' : 'Validation accuracy and macro-F1'}
            series={metricSeries}
            percent
            testId="chart-metrics"
            live={active}
          />
          <Curves title="Learning rate" series={lrSeries} log={log} height={180} testId="chart-lr" zeroBased live={active} />
        </div>
        {last && (
          <p className="small" data-testid="last-eval">
            Last evaluation (step {last.step}):{' '}
            {ner
              ? `entity F1 ${pct(last.entityF1)} (precision ${pct(last.entityPrecision)}, recall ${pct(last.entityRecall)}), ` +
                `token accuracy ${pct(last.tokenAccuracy)}`
              : `accuracy ${pct(last.accuracy)}, macro-F1 ${pct(last.macroF1)}`}
            , loss {last.loss.toFixed(4)}
          </p>
        )}
        {record?.baseline && (
          <BaselineLine
            baseline={record.baseline}
            best={record.best}
            config={record.config}
            finished={status === 'done' || status === 'stopped'}
          />
        )}
      </section>

      <section className="panel" aria-labelledby="ckpt-h">
        <h3 id="ckpt-h">Checkpoints</h3>
        {run.checkpoints.length === 0 ? (
          <p className="muted">None yet: one is saved after each epoch and at every better validation score.</p>
        ) : (
          <table className="data-table" data-testid="checkpoints">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Saved for</th>
                <th scope="col">{ner ? 'Validation entity F1' : 'Validation macro-F1'}</th>
                <th scope="col">Saved</th>
                <th scope="col">Best</th>
              </tr>
            </thead>
            <tbody>
              {run.checkpoints.map((c) => (
                <tr key={c.id} className={c.best ? 'selected' : ''}>
                  <td>{c.step}</td>
                  <td>{savedFor(c)}</td>
                  <td>{pct(c.metric)}</td>
                  <td>{new Date(c.createdAt).toLocaleTimeString()}</td>
                  <td>{c.best ? '★ best' : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {(status === 'done' || status === 'stopped') && <NextStep to="evaluate" />}
    </>
  );
}

/** The word-count baseline beside the run's best validation scores: the line a fine-tuned model has to beat. Where a
 *  finished head-only run (not itself Balanced or Best) is below it, one click sets up the Balanced preset (which
 *  fine-tunes the encoder) on the Train screen, fitted to the same data and model, with its time estimate, for the
 *  person to start. */
function BaselineLine({
  baseline,
  best,
  config,
  finished,
}: {
  baseline: NonNullable<RunRecord['baseline']>;
  best?: EvalPoint;
  config: RunRecord['config'];
  finished: boolean;
}) {
  const replaceConfig = useStudio((s) => s.replaceConfig);
  const setScreen = useStudio((s) => s.setScreen);
  // Balanced (or Best) on small data trains the head only too: offering it again would set up the same run
  const balancedMayHelp = config.mode === 'head' && config.preset !== 'balanced' && config.preset !== 'best';
  const ahead = best && Number.isFinite(best.accuracy) ? best.accuracy - baseline.accuracy : undefined;
  const behind = ahead !== undefined && ahead < 0;
  const setUpBalanced = () => {
    // the Train screen fits a preset to the data and model it shows (TrainScreen's effect), so only the budget is set
    replaceConfig({ ...config, name: '', preset: 'balanced' });
    setScreen('train');
  };
  return (
    <p className="small" data-testid="word-baseline">
      Word-count baseline on the same validation split (TF-IDF + logistic regression, fitted on the training split in{' '}
      {baseline.seconds.toFixed(1)} s): accuracy {pct(baseline.accuracy)}, macro-F1 {pct(baseline.macroF1)}
      {ahead !== undefined &&
        (!behind
          ? `; this run's best is ${(100 * ahead).toFixed(1)} points above it.`
          : `; this run's best is ${(100 * -ahead).toFixed(1)} points below it: on this data the words alone tell the labels ` +
            `apart better${balancedMayHelp ? '. Balanced, which fine-tunes the encoder as well, may close the gap' : ''}.`)}
      {behind && balancedMayHelp && finished && (
        <>
          {' '}
          <button type="button" data-testid="set-up-balanced" onClick={setUpBalanced}>
            Set up a Balanced run
          </button>
        </>
      )}
    </p>
  );
}
