'use client';
// Stored lists (datasets, runs) as dexie live queries over the studio's IndexedDB: a write in the worker shows up here
// without a reload (dexie broadcasts changes between the worker and the page).
import { liveQuery } from 'dexie';
import { useEffect, useMemo, useState } from 'react';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { recordOfRow } from '@/lib/session/records';
import type { RunRecord } from '@/lib/session/types';
import { useStudio } from './state/studio';

export interface StoredDataset {
  id: string;
  name: string;
  rows: number;
  labels: string[];
  bytes: number;
  createdAt: number;
  derived: boolean;
}

let db: StudioDb | null = null;
function pageDb(): StudioDb {
  db ??= openStudioDb();
  return db;
}

/** Subscribes to a dexie live query; re-runs when the tables it read change (in any tab or worker). */
export function useLive<T>(query: () => Promise<T>, initial: T, deps: unknown[] = []): T {
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    const sub = liveQuery(query).subscribe({ next: setValue, error: () => setValue(initial) });
    return () => sub.unsubscribe();
  }, deps);
  return value;
}

async function listDatasets(): Promise<StoredDataset[]> {
  const rows = await pageDb().datasets.orderBy('createdAt').reverse().toArray();
  return rows.map((d) => ({
    id: d.id,
    name: d.name,
    rows: d.rowCount,
    labels: d.labels,
    bytes: d.parentId ? 0 : d.source.bytes,
    createdAt: d.createdAt,
    derived: d.parentId !== null,
  }));
}

export function useDatasets(): StoredDataset[] {
  return useLive(listDatasets, []);
}

const EMPTY: import('@/lib/store/db').RunRow[] = [];

/** Stored runs, newest first; a run training in this tab shows its live status. */
export function useRuns(): RunRecord[] {
  const rows = useLive(() => pageDb().runs.orderBy('createdAt').reverse().toArray(), EMPTY);
  const live = useStudio((s) => s.runs);
  return useMemo(
    () =>
      rows.map((r) => {
        const l = live[r.id];
        const isLive = !!l && ['queued', 'preparing', 'running', 'paused', 'stopping'].includes(l.status);
        const rec = recordOfRow(r, () => isLive);
        return isLive ? { ...rec, status: l.status } : rec;
      }),
    [rows, live],
  );
}
