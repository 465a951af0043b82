// The stored lists the page shows, as the worker watches them (fake-indexeddb): a watch posts both lists at once, and
// again after every write to either table: an imported dataset, a new run, a status change, a rename, a delete.
import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { presetConfig } from '@/lib/run/config';
import * as data from '@/lib/session/datasets';
import * as lists from '@/lib/session/lists';
import type { RunMeta } from '@/lib/session/records';
import { liveRuns, useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import { RunControls } from '@/lib/train/events';
import { until } from './helpers';

type Lists = Extract<EngineEvent, { type: 'lists' }>;

let db: StudioDb;
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };
const listsSince = (from: number) => events.slice(from).filter((e): e is Lists => e.type === 'lists');
/** The first 'lists' posted from `from` on that `ok` accepts. */
const listsWhere = (from: number, ok: (l: Lists) => boolean) => until(() => listsSince(from).find(ok), 10_000);

const csv = 'text,label\n' + Array.from({ length: 20 }, (_, i) => `"review ${i}",${i % 2 ? 'pos' : 'neg'}`).join('\n');

async function importCsv(name: string): Promise<string> {
  const file = new File([csv], name, { type: 'text/csv' });
  await data.preview(host, { type: 'dataset-preview', requestId: 'p', file, name });
  const preview = events.findLast((e) => e.type === 'dataset-preview-result')!.preview;
  const split = { validation: 0.2, test: 0.2, seed: 1, useSplitColumn: false };
  await data.importDataset(host, { type: 'dataset-import', requestId: 'i', file, name, mapping: preview.suggested, split });
  return events.findLast((e) => e.type === 'dataset-imported')!.datasetId;
}

function addRun(id: string, datasetId: string): Promise<string> {
  const meta: RunMeta = {
    run: { ...presetConfig('quick'), datasetId, name: id },
    datasetName: 'reviews.csv',
    modelLabel: 'USE-Lite',
    labels: [],
  };
  return db.runs.add({ id, name: id, datasetId, config: meta, status: 'running', createdAt: Date.now(), updatedAt: Date.now() });
}

beforeAll(() => {
  const indexedDB = new IDBFactory();
  // dexie runs live queries only where it found a global indexedDB when it loaded; Node has none
  Object.assign(Dexie.dependencies, { indexedDB, IDBKeyRange });
  db = openStudioDb({ name: 'lists-test', indexedDB, IDBKeyRange });
  useDatabase(db);
});

describe('stored lists', () => {
  it('posts the lists on watch and again after each write to the datasets or runs', async () => {
    lists.watch(host, { type: 'lists-watch', requestId: 'w1' });
    const first = await listsWhere(0, () => true);
    expect(first.datasets).toEqual([]);
    expect(first.runs).toEqual([]);

    let from = events.length;
    const datasetId = await importCsv('reviews.csv');
    const withDataset = await listsWhere(from, (l) => l.datasets.length === 1);
    expect(withDataset.datasets[0]).toMatchObject({ id: datasetId, name: 'reviews', rows: 20, derived: false });
    expect(withDataset.datasets[0].labels.sort()).toEqual(['neg', 'pos']);
    expect(withDataset.datasets[0].bytes).toBe(new Blob([csv]).size);

    // a run this worker trains lists as running; one it does not was cut off
    from = events.length;
    liveRuns.set('run-a', { controls: new RunControls(), abort: new AbortController() });
    await addRun('run-a', datasetId);
    await addRun('run-b', datasetId);
    const withRuns = await listsWhere(from, (l) => l.runs.length === 2);
    expect(Object.fromEntries(withRuns.runs.map((r) => [r.id, r.status]))).toEqual({ 'run-a': 'running', 'run-b': 'interrupted' });
    expect(withRuns.runs[0].datasetName).toBe('reviews.csv');

    from = events.length;
    await db.runs.update('run-a', { status: 'completed', updatedAt: Date.now() });
    liveRuns.delete('run-a');
    const done = await listsWhere(from, (l) => l.runs.find((r) => r.id === 'run-a')?.status === 'done');
    expect(done.datasets).toHaveLength(1);

    from = events.length;
    await data.rename(host, { type: 'dataset-rename', requestId: 'r', datasetId, name: 'movies' });
    await listsWhere(from, (l) => l.datasets[0]?.name === 'movies');

    from = events.length;
    await db.runs.delete('run-b');
    await listsWhere(from, (l) => l.runs.length === 1 && l.runs[0].id === 'run-a');
  });

  it('answers a second watch with the lists as they are now, from the one live query', async () => {
    const from = events.length;
    lists.watch(host, { type: 'lists-watch', requestId: 'w2' });
    const again = listsSince(from);
    expect(again).toHaveLength(1);
    expect(again[0].datasets.map((d) => d.name)).toEqual(['movies']);
    expect(again[0].runs.map((r) => r.id)).toEqual(['run-a']);

    // one subscription: a write posts one 'lists', not one per watch
    const before = events.length;
    await db.runs.update('run-a', { name: 'renamed', updatedAt: Date.now() });
    await listsWhere(before, (l) => l.runs[0]?.name === 'renamed');
    await new Promise((r) => setTimeout(r, 100));
    expect(listsSince(before)).toHaveLength(1);
  });
});
