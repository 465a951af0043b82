import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from '@/tests/helpers/tf';
import { FsStore } from '@/lib/store/fs-store';
import { MemoryStore } from '@/lib/store/memory-store';
import type { Checkpoint, CheckpointStore } from '@/lib/store/types';
import type { TaskModel } from '@/lib/models/types';
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

describe('best checkpoints at most every bestCheckpointEverySec', () => {
  const train = encodedSentiment(24, 1),
    validation = encodedSentiment(8, 2);
  // loss picks the best: it improves at most evaluations of this short run
  const cfg = { epochs: 4, batchSize: 8, learningRate: 5e-3, seed: 4, keepCheckpoints: 1, checkpointEveryEpoch: false };

  async function run(runId: string, extra: object, stopAtStep?: number) {
    const store = new FsStore(dir);
    const saves: Checkpoint[] = [];
    const counting: CheckpointStore = {
      saveCheckpoint: (c) => (saves.push(c), store.saveCheckpoint(c)),
      loadCheckpoint: (r, id) => store.loadCheckpoint(r, id),
      listCheckpoints: (r) => store.listCheckpoints(r),
      deleteCheckpoint: (r, id) => store.deleteCheckpoint(r, id),
    };
    const abort = new AbortController();
    const m = tinyModel('classification', ['neg', 'pos'], { kind: 'head' });
    const events = [];
    for await (const e of fineTune(m, { train, validation }, { ...cfg, ...extra }, { store: counting, runId, signal: abort.signal })) {
      events.push(e);
      if (stopAtStep !== undefined && e.type === 'step' && e.step === stopAtStep) abort.abort();
    }
    const weights = Object.fromEntries([...m.variables()].map(([n, v]) => [n, Array.from(v.dataSync())]));
    m.dispose();
    return { events, saves, weights, store };
  }

  it('writes a waiting improvement before the final checkpoint: the same run, best and restored weights as writing each one', async () => {
    const each = await run('best-each', {});
    const later = await run('best-later', { bestCheckpointEverySec: 3600 });
    const bestSaves = (r: typeof each) => r.saves.filter((c) => c.best);
    expect(bestSaves(each).length).toBeGreaterThan(2);
    // the first improvement at once, the last one waiting until the end
    expect(bestSaves(later)).toHaveLength(2);
    expect(stepLosses(later.events)).toEqual(stepLosses(each.events));
    const stored = async (r: typeof each, id: string) => (await r.store.loadCheckpoint(id, 'best'))!;
    const [a, b] = [await stored(each, 'best-each'), await stored(later, 'best-later')];
    expect(b.step).toBe(a.step);
    expect(Object.keys(b.weights)).toEqual(Object.keys(a.weights)); // every variable, frozen ones included, in order
    for (const n of Object.keys(a.weights)) expect(b.weights[n].data).toEqual(a.weights[n].data);
    expect(b.optimizer).toEqual(a.optimizer);
    const done = (r: typeof each) => r.events.find((e) => e.type === 'done')!;
    expect(done(later)).toMatchObject({ restoredBest: done(each).restoredBest, best: done(each).best });
    expect(later.weights).toEqual(each.weights);
  });

  it('a stopped run writes its waiting best before the stop checkpoint, so a resume finds the best its metrics name', async () => {
    const r = await run('best-stop', { bestCheckpointEverySec: 3600 }, 7);
    const stop = (await r.store.listCheckpoints('best-stop')).find((m) => !m.best)!;
    const ckpt = (await r.store.loadCheckpoint('best-stop', stop.id))!;
    const best = (await r.store.loadCheckpoint('best-stop', 'best'))!;
    expect(ckpt.reason).toBe('abort');
    expect(best.step).toBe(ckpt.metricsSoFar.best!.step);
    expect(r.saves.findIndex((c) => c.best && c.step === best.step)).toBeLessThan(r.saves.findIndex((c) => c.reason === 'abort'));
    // the weights of its evaluation (step 6), not of the step it was written at (7)
    const each = await run('best-stop-each', {}, 7);
    const eachBest = (await each.store.loadCheckpoint('best-stop-each', 'best'))!;
    expect([best.step, ckpt.step]).toEqual([6, 7]);
    expect(eachBest.step).toBe(6);
    for (const n of Object.keys(eachBest.weights)) expect(best.weights[n].data).toEqual(eachBest.weights[n].data);
    if (best.ema) expect(best.ema).toEqual(eachBest.ema);
  });
  it('a run that fails after an improvement waiting in memory still writes it', async () => {
    const store = new MemoryStore();
    const model = tinyModel();
    let poison = false;
    const poisoned: TaskModel = Object.create(model);
    poisoned.forward = (b, o) => {
      const y = model.forward(b, o);
      return poison ? y.mul(NaN) : y;
    };
    const events = await collect(
      fineTune(poisoned, { train, validation }, { ...cfg, bestCheckpointEverySec: 3600 }, { store, runId: 'fail' }),
      (e) => {
        if (e.type === 'eval' && e.step === 6) poison = true;
      },
    );
    model.dispose();
    expect(events.at(-1)?.type).toBe('error');
    const losses = events.flatMap((e) => (e.type === 'eval' ? [[e.step, e.result.scalars.loss] as const] : []));
    expect(losses.map(([s]) => s)).toEqual([3, 6]);
    expect(losses[1][1]).toBeLessThan(losses[0][1]); // step 6 improved, within the interval of step 3's write
    expect((await store.loadCheckpoint('fail', 'best'))!.step).toBe(6);
  });
  it('a negative or non-numeric interval is an error naming the option', async () => {
    for (const bad of [-1, Number.NaN]) {
      const m = tinyModel();
      const events = await collect(fineTune(m, { train, validation }, { ...cfg, bestCheckpointEverySec: bad }, {}));
      m.dispose();
      const err = events.find((e) => e.type === 'error');
      expect(err?.type === 'error' && err.error.message).toMatch(/the best checkpoint's interval must be a number of seconds ≥ 0/);
      expect(err?.type === 'error' && err.error.where).toMatchObject({ option: 'bestCheckpointEverySec' });
    }
  });
});
