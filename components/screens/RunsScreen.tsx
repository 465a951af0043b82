'use client';
// Runs: every stored run; select 2–6 to overlay their curves and diff their configs; clone and tweak; a sweep
// launcher (grid or random) whose results fill a table sortable by metric.
import { useMemo, useState } from 'react';
import { engine } from '../engine-client';
import { useStudio } from '../state/studio';
import { useShallow } from 'zustand/react/shallow';
import { useRuns } from '../stored';
import { useRecipeFacts } from '../fitted-config';
import { Curves } from '../charts/Curves';
import { ErrorNote, Help, fmtDuration, pct, toErrorInfoUI } from '../ui';
import { useRunHistories } from './RunScreen';
import { CrossValidations } from './CrossValidations';
import { RunNameForm } from './RunName';
import type { ErrorInfo } from '@/lib/errors';
import { cloneConfig, type ModeName } from '@/lib/run/config';
import { diffConfigs } from '@/lib/run/config-text';
import { parseList, type SweepSpec } from '@/lib/session/sweep';
import type { RunRecord } from '@/lib/session/types';
import { headlineMetric } from '@/lib/session/metric-records';
import { TuneLauncher } from './TuneLauncher';

type SortKey = 'createdAt' | 'accuracy' | 'macroF1' | 'entityF1' | 'rmse' | 'loss';

export function RunsScreen() {
  const runs = useRuns();
  const { replaceConfig, setScreen, setCurrentRun } = useStudio(
    useShallow((s) => ({ replaceConfig: s.replaceConfig, setScreen: s.setScreen, setCurrentRun: s.setCurrentRun })),
  );
  const [selected, setSelected] = useState<string[]>([]);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'createdAt', desc: true });
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);

  const sorted = useMemo(() => {
    // ▼ is best first: for RMSE, lowest first
    const v = (r: RunRecord) =>
      sort.key === 'createdAt'
        ? r.createdAt
        : sort.key === 'rmse'
          ? -(r.best?.rmse ?? Number.POSITIVE_INFINITY)
          : (r.best?.[sort.key] ?? Number.NEGATIVE_INFINITY);
    return [...runs].sort((a, b) => (sort.desc ? v(b) - v(a) : v(a) - v(b)));
  }, [runs, sort]);

  // NER runs are judged by entity F1: a column for it once there is one
  const anyNer = runs.some((r) => r.task === 'token-classification');
  // regression runs have no accuracy or F1: their validation RMSE (lower is better)
  const anyRegression = runs.some((r) => r.task === 'regression');
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : s.length >= 6 ? s : [...s, id]));
  const sortBtn = (key: SortKey, label: string) => (
    <button
      type="button"
      className="link"
      onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : true }))}
      aria-label={`Sort by ${label}`}
    >
      {label} {sort.key === key ? (sort.desc ? '▼' : '▲') : ''}
    </button>
  );
  const del = async (r: RunRecord) => {
    if (!confirm(`Delete the run "${r.name}" with its checkpoints?`)) return;
    try {
      const e = engine();
      await e.request({ type: 'run-delete', requestId: e.nextId('rdel'), runId: r.id }, 'ok');
      setSelected((s) => s.filter((x) => x !== r.id));
    } catch (err) {
      setError(toErrorInfoUI(err));
    }
  };

  return (
    <div className="stack">
      <section className="panel" aria-labelledby="hist-h">
        <h3 id="hist-h">History</h3>
        <ErrorNote error={error} />
        {runs.length === 0 ? (
          <p className="muted">No runs yet.</p>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Run history">
            <table className="data-table" data-testid="runs-table">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="sr-only">Compare</span>
                  </th>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Data · model</th>
                  <th scope="col" aria-sort={sort.key === 'accuracy' ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                    {sortBtn('accuracy', 'Validation accuracy')}
                  </th>
                  <th scope="col" aria-sort={sort.key === 'macroF1' ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                    {sortBtn('macroF1', 'Validation macro-F1')}
                  </th>
                  {anyNer && (
                    <th scope="col" aria-sort={sort.key === 'entityF1' ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                      {sortBtn('entityF1', 'Validation entity F1')}
                    </th>
                  )}
                  {anyRegression && (
                    <th scope="col" aria-sort={sort.key === 'rmse' ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                      {sortBtn('rmse', 'Validation RMSE')}
                    </th>
                  )}
                  <th scope="col" aria-sort={sort.key === 'createdAt' ? (sort.desc ? 'descending' : 'ascending') : undefined}>
                    {sortBtn('createdAt', 'Started')}
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <input
                        type="checkbox"
                        checked={selected.includes(r.id)}
                        onChange={() => toggle(r.id)}
                        aria-label={`Compare ${r.name}`}
                        disabled={!selected.includes(r.id) && selected.length >= 6}
                      />
                    </td>
                    <td>{renaming === r.id ? <RunNameForm run={r} onDone={() => setRenaming(null)} onError={setError} /> : r.name}</td>
                    <td>
                      <span className={`status status-${r.status}`}>{r.status}</span>
                    </td>
                    <td className="small">
                      {r.datasetName} · {r.modelLabel}
                    </td>
                    <td>{pct(r.best?.accuracy)}</td>
                    <td>{pct(r.best?.macroF1)}</td>
                    {anyNer && <td>{pct(r.best?.entityF1)}</td>}
                    {anyRegression && <td data-testid="run-rmse">{Number.isFinite(r.best?.rmse) ? r.best!.rmse.toPrecision(3) : '—'}</td>}
                    <td className="small">
                      {new Date(r.createdAt).toLocaleString()}
                      {r.progress && ` · ${fmtDuration(r.progress.elapsedSec)}`}
                    </td>
                    <td className="row">
                      <button
                        type="button"
                        onClick={() => {
                          setCurrentRun(r.id);
                          setScreen('run');
                        }}
                        aria-label={`Open ${r.name}`}
                      >
                        Open
                      </button>
                      <button
                        type="button"
                        onClick={() => {
                          replaceConfig(cloneConfig(r.config, `${r.name} (copy)`));
                          setScreen('train');
                        }}
                        aria-label={`Clone and tweak ${r.name}`}
                      >
                        Clone &amp; tweak
                      </button>
                      <button type="button" onClick={() => setRenaming(r.id)} aria-label={`Rename ${r.name}`}>
                        Rename
                      </button>
                      <button type="button" className="danger" onClick={() => void del(r)} aria-label={`Delete ${r.name}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Help>Tick 2 to 6 runs to overlay their curves and compare their settings.</Help>
      </section>
      <CrossValidations runs={runs} onOverlay={setSelected} />
      {selected.length >= 2 && <Compare runs={selected.map((id) => runs.find((r) => r.id === id)).filter((r): r is RunRecord => !!r)} />}
      <TuneLauncher />
      <SweepLauncher />
    </div>
  );
}

function Compare({ runs }: { runs: RunRecord[] }) {
  return (
    <section className="panel" aria-labelledby="cmp-h" data-testid="compare">
      <h3 id="cmp-h">Comparison</h3>
      <OverlayCharts runs={runs} />
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Settings comparison">
        <table className="data-table">
          <caption className="small muted">Settings; differing rows are highlighted</caption>
          <thead>
            <tr>
              <th scope="col">Setting</th>
              {runs.map((r) => (
                <th key={r.id} scope="col">
                  {r.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {diffConfigs(runs.map((r) => r.config)).map((d) => (
              <tr key={d.key} className={d.differs ? 'differs' : ''}>
                <th scope="row">
                  {d.label}
                  {d.differs && <span className="sr-only"> (differs)</span>}
                </th>
                {d.values.map((v, i) => (
                  <td key={i}>{v}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function OverlayCharts({ runs }: { runs: RunRecord[] }) {
  const live = useRunHistories(runs.map((r) => r.id)).runs;
  const histories = runs.map((r, i) => ({ r, h: live[i] }));
  // each run on its own headline score: entity F1 for NER runs, macro-F1 for the others
  const ner = runs.map((r) => r.task === 'token-classification');
  const title = ner.every(Boolean)
    ? 'Validation entity F1'
    : ner.some(Boolean)
      ? 'Validation macro-F1 (entity F1 for NER runs)'
      : 'Validation macro-F1';
  return (
    <div className="chart-grid">
      <Curves
        title="Training loss"
        series={histories.map(({ r, h }) => ({ name: r.name, points: (h?.steps ?? []).map((s) => ({ x: s.step, y: s.loss })) }))}
      />
      <Curves
        title={title}
        percent
        series={histories.map(({ r, h }) => {
          const key = headlineMetric(h?.evals[0] ?? r.best);
          return { name: r.name, points: (h?.evals ?? []).map((e) => ({ x: e.step, y: e[key] })) };
        })}
      />
    </div>
  );
}

function SweepLauncher() {
  const config = useStudio((s) => s.config);
  const { runConfig } = useRecipeFacts();
  const [strategy, setStrategy] = useState<'grid' | 'random'>('grid');
  const [lr, setLr] = useState('1e-3, 3e-3');
  const [bs, setBs] = useState('16, 32');
  const [ep, setEp] = useState('2');
  const [modes, setModes] = useState<ModeName[]>(['head']);
  const [trials, setTrials] = useState(4);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [started, setStarted] = useState<string | null>(null);

  const launch = async () => {
    setError(null);
    setStarted(null);
    try {
      const spec: SweepSpec = {
        strategy,
        learningRate: parseList(lr, 'learning rates'),
        batchSize: parseList(bs, 'batch sizes'),
        epochs: parseList(ep, 'epochs'),
        mode: modes,
        trials,
        seed: config.seed,
      };
      const e = engine();
      const ev = await e.request(
        {
          type: 'sweep-start',
          requestId: e.nextId('sweep'),
          base: (await runConfig()).run,
          spec,
        },
        'sweep-started',
      );
      setStarted(`Sweep started: ${ev.runs} runs, one after another. Results appear in the table above.`);
    } catch (err) {
      setError(toErrorInfoUI(err));
    }
  };

  return (
    <section className="panel" aria-labelledby="sweep-h">
      <h3 id="sweep-h">Sweep</h3>
      <p className="small">Runs several configurations in turn, starting from the Train screen&apos;s settings.</p>
      <div className="grid-form">
        <label>
          Strategy
          <select value={strategy} onChange={(e) => setStrategy(e.target.value as 'grid' | 'random')}>
            <option value="grid">Grid (every combination)</option>
            <option value="random">Random (a sample of combinations)</option>
          </select>
        </label>
        <label>
          Learning rates
          <input value={lr} onChange={(e) => setLr(e.target.value)} />
        </label>
        <label>
          Batch sizes
          <input value={bs} onChange={(e) => setBs(e.target.value)} />
        </label>
        <label>
          Epochs
          <input value={ep} onChange={(e) => setEp(e.target.value)} />
        </label>
        {strategy === 'random' && (
          <label>
            Trials
            <input type="number" min={1} max={64} value={trials} onChange={(e) => setTrials(Number(e.target.value))} />
          </label>
        )}
        <fieldset>
          <legend>Modes</legend>
          {(['head', 'freeze', 'full', 'lora'] as ModeName[]).map((m) => (
            <label key={m} className="check">
              <input
                type="checkbox"
                checked={modes.includes(m)}
                onChange={(e) => setModes((s) => (e.target.checked ? [...s, m] : s.filter((x) => x !== m)))}
              />
              {m}
            </label>
          ))}
        </fieldset>
      </div>
      <ErrorNote error={error} />
      <button type="button" onClick={() => void launch()} disabled={modes.length === 0}>
        Launch sweep
      </button>
      {started && (
        <p className="ok" role="status">
          {started}
        </p>
      )}
    </section>
  );
}
