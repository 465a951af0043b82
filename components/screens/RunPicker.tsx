'use client';
// Which trained (or imported) model a screen uses: a run with at least one checkpoint. Defaults to the current run,
// else the finished run with the best validation score (and says so). Every entry shows name, status, date and score.
import { useEffect } from 'react';
import { useStudio } from '../state/studio';
import { useRuns } from '../stored';
import { pct } from '../ui';
import type { RunRecord } from '@/lib/session/types';
import { headlineMetric, headlineScore } from '@/lib/session/metric-records';

const score = (r: RunRecord) => (r.best ? headlineScore(r.best) : Number.NEGATIVE_INFINITY);

/** The finished run with the best validation macro-F1 (NER: entity F1; regression: the lowest validation loss), if any. */
export function bestFinished(runs: RunRecord[]): RunRecord | undefined {
  const done = runs.filter((r) => r.status === 'done' && r.best);
  if (!done.length) return undefined;
  const regression = done.every((r) => !Number.isFinite(score(r)));
  return [...done].sort((a, b) => (regression ? (a.best!.loss ?? Infinity) - (b.best!.loss ?? Infinity) : score(b) - score(a)))[0];
}

export function usePickedRun(): { runs: RunRecord[]; run: RunRecord | undefined; best: RunRecord | undefined } {
  const all = useRuns();
  const currentRunId = useStudio((s) => s.currentRunId);
  const runs = all.filter((r) => r.status !== 'failed' || r.progress?.step);
  const best = bestFinished(runs);
  const run = runs.find((r) => r.id === currentRunId) ?? best ?? runs[0];
  return { runs, run, best };
}

function optionText(r: RunRecord): string {
  const when = new Date(r.createdAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const metric = headlineMetric(r.best);
  const val =
    r.best && Number.isFinite(r.best[metric])
      ? ` · validation ${metric === 'entityF1' ? 'entity F1' : 'macro-F1'} ${pct(r.best[metric])}`
      : '';
  return `${r.name} · ${r.status} · ${when}${val}`;
}

export function RunPicker({ label = 'Model' }: { label?: string }) {
  const { runs, run, best } = usePickedRun();
  const setCurrentRun = useStudio((s) => s.setCurrentRun);
  useEffect(() => {
    if (run && useStudio.getState().currentRunId === null) setCurrentRun(run.id);
  }, [run, setCurrentRun]);
  if (!runs.length) return <p className="panel">No trained model yet. Train one (Train screen) or import a zip (Export screen).</p>;
  return (
    <div className="stack">
      <label className="row run-picker">
        {label}
        <select value={run?.id ?? ''} onChange={(e) => setCurrentRun(e.target.value)}>
          {runs.map((r) => (
            <option key={r.id} value={r.id}>
              {optionText(r)}
            </option>
          ))}
        </select>
      </label>
      {run && best && run.id === best.id && runs.length > 1 && (
        <p className="small muted">The finished run with the best validation score.</p>
      )}
    </div>
  );
}
