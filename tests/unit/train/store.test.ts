import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from '@/tests/helpers/tf';
import { FsStore } from '@/lib/store/fs-store';
import { MemoryStore } from '@/lib/store/memory-store';
import type { Checkpoint, CheckpointStore } from '@/lib/store/types';
import { fineTune } from '@/lib/train/fine-tune';
import { collect, encodedSentiment, stepLosses, tinyModel } from './helpers';

beforeAll(useWasm);
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ft-store-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sample(id: string, step: number): Checkpoint {
  return {
    id,
    runId: 'run-1',
    step,
    epoch: 1,
    best: id === 'best',
    createdAt: 1000 + step,
    reason: 'epoch',
    weights: {
      'classifier.weight': { shape: [2, 3], data: new Float32Array([1, -2, 3.5, Math.PI, 1e-30, -0]) },
      'classifier.bias': { shape: [2], data: new Float32Array([0.1, 0.2]) },
    },
    optimizer: {
      kind: 'adamw',
      step,
      m: { 'classifier.weight': { shape: [2, 3], data: new Float32Array(6).fill(0.5) } },
      v: { 'classifier.weight': { shape: [2, 3], data: new Float32Array(6).fill(0.25) } },
    },
    rng: [1, 2, 3, 4294967295],
    data: {
      epoch: 1,
      cursor: 2,
      plan: [
        [0, 3],
        [1, 2],
      ],
    },
    config: { epochs: 3, batchSize: 2, learningRate: 1e-3 },
    controls: { lrMultiplier: 0.5, extraEpochs: 1 },
    metricsSoFar: {
      evals: [{ step: 2, epoch: 0, scalars: { loss: 0.7 } }],
      best: { metric: 'loss', mode: 'min', value: 0.7, step: 2, epoch: 0 },
      badEvals: 0,
    },
  };
}

describe.each([
  ['memory', () => new MemoryStore()],
  ['files', () => new FsStore(dir)],
] as [
  string,
  () => CheckpointStore & { appendMetrics(r: string, x: object[]): Promise<void>; readMetrics(r: string): Promise<object[]> },
][])('%s store', (_name, make) => {
  it('round-trips a checkpoint bit for bit, lists by step, deletes', async () => {
    const store = make();
    const c = sample('step-0000007', 7);
    await store.saveCheckpoint(c);
    await store.saveCheckpoint(sample('best', 3));
    const back = (await store.loadCheckpoint('run-1', 'step-0000007'))!;
    expect(back).toEqual(c);
    expect(new Uint32Array(back.weights['classifier.weight'].data.buffer)).toEqual(
      new Uint32Array(c.weights['classifier.weight'].data.buffer),
    );
    expect((await store.listCheckpoints('run-1')).map((m) => [m.id, m.step, m.best])).toEqual([
      ['best', 3, true],
      ['step-0000007', 7, false],
    ]);
    await store.deleteCheckpoint('run-1', 'best');
    expect((await store.listCheckpoints('run-1')).map((m) => m.id)).toEqual(['step-0000007']);
    expect(await store.loadCheckpoint('run-1', 'nope')).toBeNull();
    expect(await store.listCheckpoints('other')).toEqual([]);
  });
  it('round-trips the weight average of a run that keeps one', async () => {
    const store = make();
    const c = {
      ...sample('step-0000009', 9),
      ema: { 'classifier.weight': { shape: [2, 3], data: new Float32Array([0.5, -1, 3, 3.1, 0, 2]) } },
    };
    await store.saveCheckpoint(c);
    const back = (await store.loadCheckpoint('run-1', 'step-0000009'))!;
    expect(back.ema).toEqual(c.ema);
    expect(back.weights).toEqual(c.weights);
  });
  it('appends and reads metric records in order', async () => {
    const store = make();
    await store.appendMetrics('run-m', [{ type: 'step', step: 1 }]);
    await store.appendMetrics('run-m', [
      { type: 'step', step: 2 },
      { type: 'eval', step: 2 },
    ]);
    expect(await store.readMetrics('run-m')).toEqual([
      { type: 'step', step: 1 },
      { type: 'step', step: 2 },
      { type: 'eval', step: 2 },
    ]);
  });
});

describe('file store specifics', () => {
  it('rejects a run id that would escape its folder', async () => {
    await expect(new FsStore(dir).saveCheckpoint({ ...sample('x', 1), runId: '../evil' })).rejects.toThrow(
      /cannot be used as a folder name/,
    );
  });
  it('names the tensor when tensors.bin is truncated', async () => {
    const store = new FsStore(dir);
    await store.saveCheckpoint({ ...sample('cut', 1), runId: 'cut' });
    await writeFile(join(dir, 'cut', 'checkpoints', 'cut', 'tensors.bin'), new Uint8Array(8));
    await expect(store.loadCheckpoint('cut', 'cut')).rejects.toThrow(/classifier.weight/);
  });
});

describe('training through the file store', () => {
  it('keeps the best checkpoint plus the last `keepCheckpoints`, and a run resumed from disk matches the uninterrupted one', async () => {
    const train = encodedSentiment(24, 1),
      validation = encodedSentiment(8, 2);
    const cfg = { epochs: 4, batchSize: 8, learningRate: 5e-3, seed: 4, keepCheckpoints: 2 };
    const store = new FsStore(dir);
    const m1 = tinyModel();
    const full = stepLosses(await collect(fineTune(m1, { train, validation }, cfg, { store, runId: 'disk' })));
    m1.dispose();
    const metas = await store.listCheckpoints('disk');
    const periodic = metas.filter((m) => !m.best);
    expect(periodic.map((m) => m.step)).toEqual([9, 12]);
    expect(metas.filter((m) => m.best)).toHaveLength(1);
    const ckpt = (await store.loadCheckpoint('disk', periodic[0].id))!;
    expect(ckpt.data.plan).toBeNull(); // taken between epochs
    const m2 = tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 77);
    const rest = stepLosses(await collect(fineTune(m2, { train, validation }, ckpt.config, { resumeFrom: ckpt })));
    m2.dispose();
    expect(rest).toHaveLength(3);
    rest.forEach((l, i) => expect(Math.abs(l - full[9 + i])).toBeLessThan(1e-6));
  });
  it('writes no best checkpoint with keepBest off, and the run is the same', async () => {
    const train = encodedSentiment(24, 1),
      validation = encodedSentiment(8, 2);
    const cfg = { epochs: 3, batchSize: 8, learningRate: 5e-3, seed: 4, restoreBest: false };
    const runs: number[][] = [];
    for (const keepBest of [true, false]) {
      const store = new FsStore(dir);
      const m = tinyModel();
      const events = await collect(fineTune(m, { train, validation }, { ...cfg, keepBest }, { store, runId: `kb-${keepBest}` }));
      m.dispose();
      runs.push(stepLosses(events));
      const metas = await store.listCheckpoints(`kb-${keepBest}`);
      expect(metas.some((x) => x.best)).toBe(keepBest);
      expect(events.some((e) => e.type === 'checkpoint' && e.checkpoint.best)).toBe(keepBest);
      expect(metas.some((x) => x.step === 9 && !x.best)).toBe(true); // the final one
    }
    expect(runs[1]).toEqual(runs[0]);
  });
});
