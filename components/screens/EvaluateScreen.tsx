'use client';
// Evaluate: test-split metrics per task, with the head-only baseline on the frozen pre-trained encoder next to the
// fine-tuned model. Single-label: confusion-matrix heat-map (counts or row-normalised), per-class table, filterable
// misclassified examples. Multi-label, regression and named entities: components/evaluate/.
import { useState } from 'react';
import { engine } from '../engine-client';
import { type Task } from '../state/studio';
import { ErrorNote, NextStep, ProgressBar, pct, toErrorInfoUI } from '../ui';
import { RunPicker, usePickedRun } from './RunPicker';
import type { ErrorInfo } from '@/lib/errors';
import type { EvaluationReport } from '@/lib/protocol';
import type { EvaluationResult } from '@/lib/session/types';
import { MultilabelView } from '../evaluate/MultilabelView';
import { RegressionView } from '../evaluate/RegressionView';
import { NerView } from '../evaluate/NerView';
import { ScoreTable } from '../evaluate/ScoreTable';
import { MetricsTable } from '../evaluate/MetricsTable';
import { topConfusions } from '@/lib/train/metrics';
import { LabelFixes } from '../evaluate/LabelFixes';
import type { RunRecord } from '@/lib/session/types';

export function EvaluateScreen() {
  const { run } = usePickedRun();
  const [result, setResult] = useState<EvaluationReport | null>(null);
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [baseline, setBaseline] = useState(true);
  const headOnly = run?.config.mode === 'head';

  const evaluate = async () => {
    if (!run) return;
    setError(null);
    setTask({ label: 'Evaluating', done: 0, total: 0 });
    try {
      const e = engine();
      const ev = await e.request(
        { type: 'evaluate', requestId: e.nextId('eval'), runId: run.id, split: 'test', baseline: baseline && !headOnly },
        'evaluation',
        (p) => setTask({ label: p.task, done: p.done, total: p.total, etaSec: p.etaSec }),
      );
      setResult(ev.result);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  const shown = result && run && result.runId === run.id ? result : null;
  return (
    <div className="stack">
      <RunPicker />
      {run && (
        <>
          <p className="small" data-testid="evaluate-explain">
            {run.task === 'token-classification'
              ? "Scores this model on the dataset's test split, which no run trains or selects on: entity-level scores per type, " +
                'which entity types it confuses or misses, and the sentences it gets wrong, drawn with their true and predicted ' +
                'entities. It is one forward pass over the test sentences.'
              : "Scores this model on the dataset's test split, which no run trains or selects on: the test metrics, a confusion " +
                'matrix (or per-label / regression tables) and the examples it gets wrong, to review and fix labels. It is one ' +
                'forward pass over the test rows: seconds for hundreds of rows, a minute or two for several thousand on a laptop.'}
            {headOnly
              ? ' This run trained only a head on the frozen encoder, ' +
                'so it is itself the head-only baseline that fine-tuning is measured against.'
              : ' With the baseline, a head-only model on the frozen pre-trained encoder is trained first ' +
                '(the Quick preset, about a minute), so you can see what fine-tuning gained.'}
            {run.task === 'classification' &&
              ' Beside it, a word-count baseline (TF-IDF + logistic regression on the same training rows, a few seconds): ' +
                'what counting words alone gets, the line any model here has to beat.'}
          </p>
          <div className="row">
            <button type="button" className="primary" onClick={() => void evaluate()} disabled={!!task}>
              Evaluate on the test split
            </button>
            {!headOnly && (
              <label className="check">
                <input type="checkbox" checked={baseline} onChange={(e) => setBaseline(e.target.checked)} /> Also score the head-only
                baseline
              </label>
            )}
          </div>
        </>
      )}
      {task && <ProgressBar task={task} />}
      <ErrorNote error={error} testId="evaluate-error" />
      {shown?.task === 'classification' && run && <EvaluationView r={shown} run={run} headOnly={headOnly} />}
      {shown?.task === 'multilabel' && <MultilabelView r={shown} headOnly={headOnly} />}
      {shown?.task === 'regression' && <RegressionView r={shown} headOnly={headOnly} />}
      {shown?.task === 'token-classification' && <NerView r={shown} headOnly={headOnly} />}
      {shown && <NextStep to="playground" />}
    </div>
  );
}

function EvaluationView({ r, run, headOnly }: { r: EvaluationResult; run: RunRecord; headOnly: boolean }) {
  const [normalised, setNormalised] = useState(false);
  return (
    <>
      <section className="panel" aria-labelledby="metrics-h">
        <h3 id="metrics-h">Test metrics</h3>
        <MetricsTable
          headOnly={headOnly}
          columns={['Accuracy', 'Macro-F1', 'Micro-F1', 'Weighted F1', 'Loss']}
          fineTuned={[pct(r.accuracy), pct(r.macroF1), pct(r.microF1), pct(r.weightedF1), r.loss.toFixed(4)]}
          baseline={r.baseline && [pct(r.baseline.accuracy), pct(r.baseline.macroF1)]}
          wordBaseline={r.wordBaseline && [pct(r.wordBaseline.accuracy), pct(r.wordBaseline.macroF1)]}
        />
      </section>

      {r.labels.length > 2 && <CommonMistakes labels={r.labels} m={r.confusion} />}

      <section className="panel" aria-labelledby="cm-h">
        <div className="row spread">
          <h3 id="cm-h">Confusion matrix</h3>
          <label className="check">
            <input type="checkbox" checked={normalised} onChange={(e) => setNormalised(e.target.checked)} /> Row-normalised
          </label>
        </div>
        {r.labels.length > MATRIX_OPEN_UP_TO ? (
          // with many labels the matrix is mostly zeros and many screens wide: there on request, the mistakes above
          <details>
            <summary>
              Show all {r.labels.length} × {r.labels.length} cells
            </summary>
            <ConfusionMatrix labels={r.labels} m={r.confusion} normalised={normalised} />
          </details>
        ) : (
          <ConfusionMatrix labels={r.labels} m={r.confusion} normalised={normalised} />
        )}
      </section>

      <ScoreTable id="pc-h" title="Per class" regionLabel="Per-class scores" testId="per-class" rows={r.perClass} />

      <LabelFixes r={r} run={run} />
    </>
  );
}

/** up to this many labels the confusion matrix is shown open; above it, behind a click */
const MATRIX_OPEN_UP_TO = 12;

/** The commonest mistakes (off-diagonal cells of the confusion matrix), most rows first. */
function CommonMistakes({ labels, m }: { labels: string[]; m: number[][] }) {
  const top = topConfusions(labels, m, 10);
  return (
    <section className="panel" aria-labelledby="mistakes-h" data-testid="common-mistakes">
      <h3 id="mistakes-h">Commonest mistakes</h3>
      {top.length === 0 ? (
        <p className="small muted">None: every test row got its label.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Commonest mistakes">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">True label</th>
                <th scope="col">Predicted as</th>
                <th scope="col">Rows</th>
                <th scope="col">Of the true label&apos;s rows</th>
              </tr>
            </thead>
            <tbody>
              {top.map((c, i) => (
                <tr key={i}>
                  <td>{c.trueLabel}</td>
                  <td>{c.predicted}</td>
                  <td>{c.count}</td>
                  <td>{pct(c.share)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Heat-map as a table: cell shade by row share (sequential single-hue scale, readable for colour-blind people). */
function ConfusionMatrix({ labels, m, normalised }: { labels: string[]; m: number[][]; normalised: boolean }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Confusion matrix">
      <table className="confusion" data-testid="confusion-matrix">
        <caption className="small muted">Rows: true label · columns: predicted label</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">True \ predicted</span>
            </th>
            {labels.map((l) => (
              <th key={l} scope="col">
                {l}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {m.map((row, i) => {
            const total = row.reduce((a, b) => a + b, 0) || 1;
            return (
              <tr key={i}>
                <th scope="row">{labels[i]}</th>
                {row.map((v, j) => {
                  const share = v / total;
                  return (
                    // capped shade: the theme's text colour stays readable on every cell (light and dark)
                    <td
                      key={j}
                      style={{ background: `rgba(0, 114, 178, ${(0.06 + 0.54 * share).toFixed(3)})` }}
                      className={i === j ? 'diag' : ''}
                    >
                      {normalised ? `${(share * 100).toFixed(1)}%` : v}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
