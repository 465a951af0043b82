'use client';
// Renaming a run on the Runs screen, in place (Enter saves, Escape cancels).
import { useState } from 'react';
import { engine } from '../engine-client';
import { toErrorInfoUI } from '../ui';
import type { ErrorInfo } from '@/lib/errors';
import type { RunRecord } from '@/lib/session/types';

/** The form that renames a run in place (Enter saves, Escape cancels); the name shows as plain text otherwise. */
export function RunNameForm({ run, onDone, onError }: { run: RunRecord; onDone: () => void; onError: (e: ErrorInfo | null) => void }) {
  const [draft, setDraft] = useState(run.name);
  const save = async () => {
    try {
      const e = engine();
      await e.request({ type: 'run-rename', requestId: e.nextId('rren'), runId: run.id, name: draft }, 'ok');
      onError(null);
      onDone();
    } catch (err) {
      onError(toErrorInfoUI(err));
    }
  };
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label className="sr-only" htmlFor={`run-name-${run.id}`}>
        New name for {run.name}
      </label>
      <input
        id={`run-name-${run.id}`}
        value={draft}
        autoFocus
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && onDone()}
      />
      <button type="submit">Save name</button>
    </form>
  );
}
