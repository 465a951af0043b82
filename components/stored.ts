'use client';
// Stored lists (datasets, runs) as the engine worker last posted them: it watches the studio's IndexedDB and sends both
// lists on every change (engine-bridge.ts keeps them in the store), so a write in the worker shows up here without a
// reload, and the page never opens the database itself.
import { useMemo } from 'react';
import type { RunRecord, StoredDataset } from '@/lib/session/types';
import { isActive, useStudio } from './state/studio';

/** Stored datasets, newest first. */
export function useDatasets(): StoredDataset[] {
  return useStudio((s) => s.stored.datasets);
}

/** Stored runs, newest first; a run training in this tab shows its live status (ahead of the next stored write). */
export function useRuns(): RunRecord[] {
  const rows = useStudio((s) => s.stored.runs);
  const live = useStudio((s) => s.runs);
  return useMemo(
    () =>
      rows.map((r) => {
        const l = live[r.id];
        return l && isActive(l.status) ? { ...r, status: l.status } : r;
      }),
    [rows, live],
  );
}
