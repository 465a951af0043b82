// Training-data options (class weights, over-/under-sampling, augmentation, k-fold) as the Data screen sets them, and
// the labeled data a run gets from them. Real IndexedDB semantics (fake-indexeddb), the same functions the worker calls.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import * as data from '@/lib/session/datasets';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';

let db: StudioDb;
let events: EngineEvent[];
const host: SessionHost = { post: (ev) => void events.push(ev) };
const result = <T extends EngineEvent['type']>(type: T) => events.find((e) => e.type === type) as Extract<EngineEvent, { type: T }>;

// 60 "pos", 20 "neg": imbalanced 3:1
const rows = Array.from({ length: 80 }, (_, i) => [
  `review number ${i} says the product is ${i < 60 ? 'good and useful' : 'bad and broken'} overall`,
  i < 60 ? 'pos' : 'neg',
]);
const csv = 'review,sentiment\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n') + '\n';

async function imported(): Promise<string> {
  const f = new File([csv], 'reviews.csv', { type: 'text/csv' });
  await data.preview(host, { type: 'dataset-preview', requestId: 'p', file: f, name: 'reviews.csv' });
  const mapping = result('dataset-preview-result').preview.suggested;
  await data.importDataset(host, {
    type: 'dataset-import',
    requestId: 'i',
    file: f,
    name: 'reviews.csv',
    mapping,
    split: { validation: 0.1, test: 0.1, seed: 1, useSplitColumn: false },
  });
  return result('dataset-imported').datasetId;
}

beforeEach(() => {
  db = openStudioDb({ name: `t-${Math.random()}`, indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  events = [];
});

const opts = (o: Partial<data.TrainingDataOptions>): data.TrainingDataOptions => ({ ...data.DEFAULT_TRAINING_DATA, ...o });

describe('training-data options', () => {
  it('over-sampling grows the train split to classes of equal size; validation and test keep their counts', async () => {
    const id = await imported();
    const s = await data.summariseTrainingData(db, id, opts({ balance: 'oversample' }));
    expect(s.counts.trainOriginal).toBe(64);
    expect(s.counts.train).toBe(96); // 48 pos -> both classes 48
    expect(s.counts.validation + s.counts.test).toBe(16);
    const u = await data.summariseTrainingData(db, id, opts({ balance: 'undersample' }));
    expect(u.counts.train).toBe(32);
  });

  it('inverse-frequency class weights favour the rare class and smoothing pulls them together', async () => {
    const id = await imported();
    const w = (await data.summariseTrainingData(db, id, opts({ classWeights: true }))).classWeights!;
    const ws = (await data.summariseTrainingData(db, id, opts({ classWeights: true, smoothing: 50 }))).classWeights!;
    const neg = (x: typeof w) => x.find((c) => c.label === 'neg')!.weight;
    const pos = (x: typeof w) => x.find((c) => c.label === 'pos')!.weight;
    expect(neg(w) / pos(w)).toBeCloseTo(3, 5);
    expect(neg(ws) / pos(ws)).toBeLessThan(2);
    expect(neg(ws) / pos(ws)).toBeGreaterThan(1);
  });

  it('augmentation preview is seeded and changes the texts; the multiplier sets the train count', async () => {
    const id = await imported();
    const o = opts({ augment: { transforms: ['swap', 'delete', 'insert'], multiplier: 3, seed: 5 } });
    const a = await data.summariseTrainingData(db, id, o);
    const b = await data.summariseTrainingData(db, id, o);
    expect(a.preview).toHaveLength(5);
    expect(a.preview).toEqual(b.preview);
    expect(a.preview.some((p) => p.augmented !== p.original)).toBe(true);
    expect(new Set(a.preview.map((p) => p.transform))).toEqual(new Set(['swap', 'delete', 'insert']));
    expect(a.counts.train).toBe(64 * 3);
  });

  it('saved options reach the data a run trains on (oversampled + augmented train, weights for the loss)', async () => {
    const id = await imported();
    const o = opts({ balance: 'oversample', classWeights: true, augment: { transforms: ['swap'], multiplier: 2, seed: 3 } });
    events = [];
    await data.trainingDataCommand(host, { type: 'dataset-training-data', requestId: 't', datasetId: id, options: o, save: true });
    expect(result('dataset-training-data-result').summary.counts.train).toBe(192);
    const t = await data.trainingData(db, id);
    expect(t.options).toEqual(o);
    expect(t.data.train).toHaveLength(192);
    expect(t.data.train.filter((e) => e.label === 'neg')).toHaveLength(96);
    expect(t.data.validation.length + t.data.test.length).toBe(16);
    expect(t.classWeights).toHaveLength(2);
  });

  it('k-fold assignment splits the training and validation rows (the test rows stay apart) into k folds', async () => {
    const id = await imported();
    const s = await data.summariseTrainingData(db, id, opts({ folds: 5 }));
    expect(s.folds).toHaveLength(5);
    expect(s.folds!.reduce((a, b) => a + b, 0)).toBe(s.counts.trainOriginal + s.counts.validation);
    expect(s.counts.test).toBeGreaterThan(0);
    expect(Math.max(...s.folds!) - Math.min(...s.folds!)).toBeLessThanOrEqual(1);
    await expect(data.summariseTrainingData(db, id, opts({ folds: 1 }))).rejects.toThrow(/k-fold/);
  });

  it('renames a stored dataset and refuses an empty name', async () => {
    const id = await imported();
    await data.rename(host, { type: 'dataset-rename', requestId: 'r', datasetId: id, name: '  My reviews ' });
    expect((await db.datasets.get(id))!.name).toBe('My reviews');
    await expect(data.rename(host, { type: 'dataset-rename', requestId: 'r2', datasetId: id, name: '  ' })).rejects.toThrow(/name/);
  });
});
