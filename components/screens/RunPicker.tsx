'use client';
// Which trained (or imported) model a screen uses: a run with at least one checkpoint. Defaults to the current run.
import { useEffect } from 'react';
import { useStudio } from '../state/studio';
import { useRuns } from '../stored';
import type { RunRecord } from '@/lib/session/types';

export function usePickedRun(): { runs: RunRecord[]; run: RunRecord | undefined } {
  const all = useRuns();
  const currentRunId = useStudio((s) => s.currentRunId);
  const runs = all.filter((r) => r.status !== 'failed' || r.progress?.step);
  const run = runs.find((r) => r.id === currentRunId) ?? runs[0];
  return { runs, run };
}

export function RunPicker({ label = 'Model' }: { label?: string }) {
  const { runs, run } = usePickedRun();
  const setCurrentRun = useStudio((s) => s.setCurrentRun);
  useEffect(() => {
    if (run && useStudio.getState().currentRunId === null) setCurrentRun(run.id);
  }, [run, setCurrentRun]);
  if (!runs.length) return <p className="panel">No trained model yet. Train one (Train screen) or import a zip (Export screen).</p>;
  return (
    <label className="row run-picker">
      {label}
      <select value={run?.id ?? ''} onChange={(e) => setCurrentRun(e.target.value)}>
        {runs.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name} · {r.status}
          </option>
        ))}
      </select>
    </label>
  );
}
