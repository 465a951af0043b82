// The studio database on real IndexedDB semantics (fake-indexeddb): v1 -> v2 migration, all-or-nothing imports
// under an injected QuotaExceededError, derived versions, splits, rename/delete, and the run/checkpoint store.
import { afterEach, describe, expect, it } from 'vitest';
import Dexie, { type DBCore, type DBCoreMutateRequest } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { DataError } from '@/lib/data/errors';
import { buildLabeledData } from '@/lib/data/labeled';
import type { CleanAction } from '@/lib/data/clean';
import type { SplitSettings } from '@/lib/data/split';
import { deriveVersion, splitToStore } from '@/lib/data/versions';
import { declareV1, openStudioDb, requestPersist, storageEstimate, ROWS_PER_CHUNK, type StudioDb } from '@/lib/store/db';
import {
  deleteDataset,
  getDataset,
  listDatasets,
  listSplits,
  loadTable,
  loadVersion,
  renameDataset,
  saveSplit,
  saveVersion,
} from '@/lib/store/db-datasets';
import { DexieRunStore } from '@/lib/store/db-runs';
import { importAndStore, loadLabeledData, loadRecords } from '@/lib/session/stored-data';
import { UserError } from '@/lib/errors';
import type { Checkpoint } from '@/lib/store/types';

const enc = new TextEncoder();
const fresh = () => ({ indexedDB: new IDBFactory(), IDBKeyRange });
const csv = (n: number) =>
  enc.encode(
    `text,label\n${Array.from({ length: n }, (_, i) => `example text ${i % Math.ceil(n * 0.9)},${i % 3 === 0 ? 'b' : 'a'}`).join('\n')}\n`,
  );

/** A dexie middleware that makes writes to `table` fail with QuotaExceededError after `okWrites` successful ones. */
function injectQuota(db: Dexie, table: string, okWrites: number): void {
  let n = 0;
  db.use({
    stack: 'dbcore',
    name: 'quota-injector',
    create(down: DBCore): DBCore {
      return {
        ...down,
        table(name: string) {
          const t = down.table(name);
          if (name !== table) return t;
          return {
            ...t,
            mutate(req: DBCoreMutateRequest) {
              if (req.type !== 'delete' && ++n > okWrites)
                return Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
              return t.mutate(req);
            },
          };
        },
      };
    },
  });
}

const importDataset = importAndStore;

/** A cleaned version, derived by lib/data from what the store reads and stored as actions. */
async function derive(db: StudioDb, parentId: string, actions: CleanAction[]) {
  const { dataset, table } = await loadVersion(db, parentId);
  return saveVersion(db, dataset, deriveVersion(dataset, table, actions));
}

async function storeSplit(db: StudioDb, datasetId: string, settings: SplitSettings) {
  return saveSplit(db, datasetId, settings, splitToStore((await loadRecords(db, datasetId)).records, settings));
}

let dbs: StudioDb[] = [];
const open = (o = fresh()) => {
  const db = openStudioDb(o);
  dbs.push(db);
  return db;
};
afterEach(() => {
  for (const d of dbs) d.close();
  dbs = [];
});

describe('schema migration', () => {
  it('reads data written under version 1 after opening version 2', async () => {
    const o = fresh();
    const v1 = new Dexie('finetune-studio', o);
    declareV1(v1);
    await v1.table('datasets').add({
      id: 'old',
      name: 'Old data',
      createdAt: 1000,
      source: { fileName: 'old.csv', bytes: 40, format: 'csv', encoding: 'utf-8', delimiter: ',', hasHeader: true, lineEnding: 'lf' },
      columns: ['text', 'label'],
      mapping: { task: 'classification', text: 'text', label: ['label'] },
      rowCount: 4,
      chunkCount: 1,
    });
    await v1.table('rowChunks').add({
      datasetId: 'old',
      index: 0,
      rows: [
        ['good', 'pos'],
        ['bad', 'neg'],
        ['fine', 'pos'],
        ['poor', 'neg'],
      ],
      rowNumbers: [2, 3, 4, 5],
    });
    await v1.table('splits').add({
      id: 's1',
      datasetId: 'old',
      settings: { mode: 'ratio', ratios: { train: 0.5, validation: 0, test: 0.5 }, seed: 1 },
      codes: [0, 2, 2, 0],
    });
    v1.close();

    const db = open(o);
    expect(db.verno).toBe(2);
    const d = await getDataset(db, 'old');
    expect(d).toMatchObject({ rootId: 'old', parentId: null, ops: [], updatedAt: 1000, name: 'Old data' });
    const { records, labels } = await loadRecords(db, 'old');
    expect(records.map((r) => [r.text, r.label])).toEqual([
      ['good', 'pos'],
      ['bad', 'neg'],
      ['fine', 'pos'],
      ['poor', 'neg'],
    ]);
    expect(labels).toEqual(['neg', 'pos']);
    const [split] = await listSplits(db, 'old');
    expect(split.codes).toBeInstanceOf(Uint8Array);
    expect(split.counts).toEqual({ train: 2, validation: 0, test: 2 });
    const data = await loadLabeledData(db, 'old', 's1');
    expect(data.train.map((e) => e.text)).toEqual(['good', 'poor']);
    expect(data.test.map((e) => e.text)).toEqual(['bad', 'fine']);
    expect(await db.runs.count()).toBe(0); // new tables exist
  });
});

describe('imports are all or nothing', () => {
  it('stores rows in chunks and reads them back in order', async () => {
    const db = open();
    const n = ROWS_PER_CHUNK * 2 + 17;
    const { dataset } = await importDataset(db, csv(n), { fileName: 'big.csv' });
    expect(dataset.chunkCount).toBe(3);
    const t = await loadTable(db, dataset.id);
    expect(t.rows.length).toBe(n);
    expect(t.rows[n - 1][0]).toBe(`example text ${(n - 1) % Math.ceil(n * 0.9)}`);
    expect(t.rowNumbers[n - 1]).toBe(n + 1);
  });

  it('leaves nothing behind when a QuotaExceededError hits mid-import', async () => {
    const db = open();
    injectQuota(db, 'rowChunks', 2);
    const err = await importDataset(db, csv(ROWS_PER_CHUNK * 4), { fileName: 'big.csv' }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('quota-exceeded');
    expect(await db.datasets.count()).toBe(0);
    expect(await db.rowChunks.count()).toBe(0);
  });

  it('refuses before writing when the storage estimate says it will not fit', async () => {
    const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', {
      configurable: true,
      value: { storage: { estimate: async () => ({ usage: 900, quota: 1000 }) } },
    });
    try {
      const db = open();
      const err = await importDataset(db, csv(100), { fileName: 'x.csv' }).catch((e) => e);
      expect((err as DataError).code).toBe('quota-exceeded');
      expect((err as DataError).message).toMatch(/MB free/);
      expect(await db.datasets.count()).toBe(0);
    } finally {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });

  it('reports unknown storage in Node and does not pretend to persist', async () => {
    if (!('navigator' in globalThis) || !(globalThis as { navigator?: { storage?: unknown } }).navigator?.storage) {
      expect(await storageEstimate()).toEqual({ usage: null, quota: null, persisted: null });
      expect(await requestPersist()).toBe(false);
    }
  });
});

describe('versions, splits, rename and delete', () => {
  it('derives a cleaned version that references the original without copying rows', async () => {
    const db = open();
    const { dataset } = await importDataset(db, csv(1000), { fileName: 'd.csv' });
    const v = await derive(db, dataset.id, [{ type: 'drop-duplicates' }]);
    expect(v).toMatchObject({ parentId: dataset.id, rootId: dataset.id, rowCount: 900 });
    expect((await loadRecords(db, v.id)).records.length).toBe(900);
    expect((await loadRecords(db, dataset.id)).records.length).toBe(1000);
    expect(await db.rowChunks.where('datasetId').equals(v.id).count()).toBe(0);
    const v2 = await derive(db, v.id, [{ type: 'drop-conflicts', mode: 'drop-all' }]);
    expect(v2.ops.length).toBe(2);
  });

  it('stores a split and rebuilds the same LabeledData from it', async () => {
    const db = open();
    const { dataset } = await importDataset(db, csv(500), { fileName: 'd.csv' });
    const settings = { mode: 'ratio' as const, ratios: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 3 };
    const stored = await storeSplit(db, dataset.id, settings);
    expect(stored.counts).toEqual({ train: 400, validation: 50, test: 50 });
    const fromStore = await loadLabeledData(db, dataset.id, stored.id);
    const { records, labels } = await loadRecords(db, dataset.id);
    expect(fromStore).toEqual(buildLabeledData(records, dataset.mapping!, labels, settings));
    expect(fromStore.labels).toEqual(['a', 'b']);
  });

  it('renames, and deletes a dataset with its versions, rows and splits', async () => {
    const db = open();
    const { dataset } = await importDataset(db, csv(300), { fileName: 'd.csv' });
    const keep = (await importDataset(db, csv(10), { fileName: 'keep.csv' })).dataset;
    await renameDataset(db, dataset.id, '  Reviews  ');
    expect((await getDataset(db, dataset.id)).name).toBe('Reviews');
    await expect(renameDataset(db, dataset.id, ' ')).rejects.toThrow(DataError);
    const v = await derive(db, dataset.id, [{ type: 'trim' }]);
    await storeSplit(db, v.id, { mode: 'ratio', ratios: { train: 0.5, validation: 0.25, test: 0.25 }, seed: 1 });
    expect(await deleteDataset(db, dataset.id)).toBe(2);
    expect((await listDatasets(db)).map((d) => d.id)).toEqual([keep.id]);
    expect(await db.splits.count()).toBe(0);
    expect(await db.rowChunks.where('datasetId').equals(dataset.id).count()).toBe(0);
    expect(await db.rowChunks.count()).toBe(1);
  });
});

function checkpoint(runId: string, id: string, step: number): Checkpoint {
  return {
    id,
    runId,
    step,
    epoch: 0,
    best: false,
    createdAt: 1000 + step,
    reason: 'periodic',
    weights: { 'classifier.weight': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) } },
    optimizer: { kind: 'adamw', step, m: {}, v: {} },
    rng: [1, 2, 3, 4],
    data: {
      epoch: 0,
      cursor: 1,
      plan: [
        [0, 1],
        [2, 3],
      ],
    },
    config: {} as Checkpoint['config'],
    controls: { lrMultiplier: 1, extraEpochs: 0 },
    metricsSoFar: { evals: [], best: null, badEvals: 0 },
  };
}

describe('run store (CheckpointStore + MetricsStore on IndexedDB)', () => {
  it('saves, lists (by step, metadata only), loads and deletes checkpoints', async () => {
    const store = new DexieRunStore(open());
    await store.saveCheckpoint(checkpoint('r1', 'c20', 20));
    await store.saveCheckpoint(checkpoint('r1', 'c10', 10));
    await store.saveCheckpoint(checkpoint('r2', 'c5', 5));
    const list = await store.listCheckpoints('r1');
    expect(list.map((c) => c.id)).toEqual(['c10', 'c20']);
    expect(Object.keys(list[0])).not.toContain('weights');
    const c = await store.loadCheckpoint('r1', 'c20');
    expect(c!.weights['classifier.weight'].data).toEqual(Float32Array.from([1, 2, 3, 4, 5, 6]));
    expect(c!.data.plan).toEqual([
      [0, 1],
      [2, 3],
    ]);
    await store.deleteCheckpoint('r1', 'c20');
    expect(await store.loadCheckpoint('r1', 'c20')).toBeNull();
    expect((await store.listCheckpoints('r1')).length).toBe(1);
  });

  it('a checkpoint that hits the quota leaves neither metadata nor weights', async () => {
    const db = open();
    injectQuota(db, 'checkpointBlobs', 0);
    const store = new DexieRunStore(db);
    await expect(store.saveCheckpoint(checkpoint('r1', 'c1', 1))).rejects.toThrow(UserError);
    expect(await db.checkpoints.count()).toBe(0);
  });

  it('appends metric records in order and reads a step range', async () => {
    const store = new DexieRunStore(open());
    await store.appendMetrics('r1', [
      { type: 'step', step: 1, loss: 2 },
      { type: 'step', step: 2, loss: 1.5 },
    ]);
    await store.appendMetrics('r2', [{ type: 'step', step: 1, loss: 9 }]);
    await store.appendMetrics('r1', [
      { type: 'eval', step: 2, accuracy: 0.5 },
      { type: 'step', step: 3, loss: 1 },
    ]);
    expect(await store.readMetrics('r1')).toEqual([
      { type: 'step', step: 1, loss: 2 },
      { type: 'step', step: 2, loss: 1.5 },
      { type: 'eval', step: 2, accuracy: 0.5 },
      { type: 'step', step: 3, loss: 1 },
    ]);
    expect((await store.readMetricsBetween('r1', 2, 2)).length).toBe(2);
  });

  it('tracks run status and deletes a run with its metrics and checkpoints', async () => {
    const db = open();
    const store = new DexieRunStore(db);
    const run = await store.createRun({ name: 'first', config: { lr: 1e-3 } });
    await store.setRunStatus(run.id, 'running');
    await store.setRunStatus(run.id, 'completed');
    const got = await store.getRun(run.id);
    expect(got!.status).toBe('completed');
    expect(got!.finishedAt).toBeGreaterThanOrEqual(got!.startedAt!);
    await store.saveCheckpoint(checkpoint(run.id, 'c1', 1));
    await store.appendMetrics(run.id, [{ step: 1 }]);
    await store.deleteRun(run.id);
    expect([await db.runs.count(), await db.metrics.count(), await db.checkpoints.count(), await db.checkpointBlobs.count()]).toEqual([
      0, 0, 0, 0,
    ]);
    await expect(store.setRunStatus('nope', 'failed')).rejects.toThrow(UserError);
  });
});
