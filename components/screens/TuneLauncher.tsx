'use client';
// Tune for me: a time budget, then the engine searches around the Train screen's recipe (learning rate, head
// multiplier, weight average, epochs by successive halving) on the validation split; each trial appears in the runs
// table above as one sweep, and the winner is selected with its gain over the recipe.
import { useEffect, useState } from 'react';
import { engine } from '../engine-client';
import { useStudio } from '../state/studio';
import { useRecipeFacts } from '../fitted-config';
import { ErrorNote, toErrorInfoUI } from '../ui';
import type { ErrorInfo } from '@/lib/errors';
import { formatDuration, planParts } from '@/lib/run/duration';

export function TuneLauncher() {
  const { runConfig } = useRecipeFacts();
  const setCurrentRun = useStudio((s) => s.setCurrentRun);
  const [budget, setBudget] = useState(30);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [tuneId, setTuneId] = useState<string | null>(null);
  const [lines, setLines] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!tuneId) return;
    return engine().on((ev) => {
      if (ev.type === 'tune-progress' && ev.tuneId === tuneId) setLines((l) => [...l, ev.message]);
      if (ev.type === 'tune-done' && ev.tuneId === tuneId) {
        setDone(ev.message);
        if (ev.winnerRunId) setCurrentRun(ev.winnerRunId);
      }
    });
  }, [tuneId, setCurrentRun]);

  const launch = async () => {
    setError(null);
    setDone(null);
    setLines([]);
    setBusy(true);
    try {
      const e = engine();
      const base = (await runConfig()).run;
      const ev = await e.request({ type: 'tune-start', requestId: e.nextId('tune'), base, budgetMinutes: budget }, 'tune-started');
      setTuneId(ev.tuneId);
      const rungs = planParts(ev.rungs, ev.compare).join('; ');
      setLines([
        `Tuning ${ev.candidates} candidates by validation ${ev.metric}: ${rungs} (about ${formatDuration(ev.plannedSec)}). ` +
          'Stop the training trial to stop the tune; finished trials stay.',
      ]);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="tune-h">
      <h3 id="tune-h">Tune for me</h3>
      <p className="small">
        Searches learning rate, the head&apos;s learning-rate multiplier, epochs and the weight average around the Train screen&apos;s
        recipe, on the validation split only, within a time budget. Each candidate is one run, continued from where it stopped on each round
        it goes on to. The recipe runs the full length beside the winner where the budget allows (else it is compared after the first
        round), so you see what the search gained.
      </p>
      <label>
        Budget (minutes) <input type="number" min={1} max={24 * 60} value={budget} onChange={(e) => setBudget(Number(e.target.value))} />
      </label>{' '}
      <button type="button" onClick={() => void launch()} disabled={busy || !budget}>
        Tune
      </button>
      <ErrorNote error={error} testId="tune-error" />
      {lines.length > 0 && (
        <ul className="small" data-testid="tune-log" aria-live="polite">
          {lines.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      )}
      {done && (
        <p className="ok" role="status" data-testid="tune-done">
          {done}
        </p>
      )}
    </section>
  );
}
