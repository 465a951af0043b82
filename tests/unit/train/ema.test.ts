import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { emaDecayAt, WeightAverage } from '@/lib/train/ema';
import { fineTune } from '@/lib/train/fine-tune';
import { collectOutputs, evalFromOutputs } from '@/lib/train/evaluate';
import { makeTensorBatch } from '@/lib/train/batching';
import type { TrainConfig } from '@/lib/train/config';
import { MemoryStore } from '@/lib/store/memory-store';
import {
  collect,
  errorOf,
  loopConfig as base,
  loopTrain as train,
  loopValidation as validation,
  modelTracker,
  of,
  stepLosses,
  tinyModel,
} from './helpers';

beforeAll(useWasm);
const track = modelTracker();

describe('WeightAverage', () => {
  it('warms its decay up as TF does with num_updates: min(decay, (1 + t) / (10 + t))', () => {
    expect(emaDecayAt(0.999, 1)).toBeCloseTo(2 / 11, 12);
    expect(emaDecayAt(0.999, 90)).toBeCloseTo(91 / 100, 12);
    expect(emaDecayAt(0.999, 100_000)).toBe(0.999);
  });

  it.each(['wasm', 'cpu'])('averages by hand-computed values and swaps them in and out (%s backend)', async (backend) => {
    const prev = tf.getBackend();
    expect(await tf.setBackend(backend)).toBe(true);
    try {
      const p = tf.variable(tf.tensor1d([1, 2, 3]), true, 'w');
      const avg = new WeightAverage(new Map([['w', p]]), 0.5);
      p.assign(tf.tensor1d([3, 2, 1]));
      avg.update(1); // d = min(0.5, 2/11) = 2/11: avg = 2/11·[1,2,3] + 9/11·[3,2,1]
      const want1 = [1, 2, 3].map((a, i) => (2 / 11) * a + (9 / 11) * [3, 2, 1][i]);
      p.assign(tf.tensor1d([0, 0, 0]));
      avg.update(100); // d = 0.5
      const want2 = want1.map((a) => 0.5 * a);
      const state = await avg.getState();
      Array.from(state.w.data).forEach((x, i) => expect(x).toBeCloseTo(want2[i], 6));
      avg.swap();
      Array.from(p.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want2[i], 6));
      avg.swap();
      expect(Array.from(p.dataSync())).toEqual([0, 0, 0]);
      avg.setState({ w: { shape: [3], data: new Float32Array([7, 8, 9]) } });
      expect(Array.from((await avg.getState()).w.data)).toEqual([7, 8, 9]);
      avg.dispose();
      p.dispose();
    } finally {
      await tf.setBackend(prev);
    }
  });
});

describe('fineTune with a weight average (emaDecay)', () => {
  const cfg: TrainConfig = { ...base, emaDecay: 0.9 };

  it('trains the same steps, evaluates the average, and ends with the average as the model', async () => {
    const fast = { ...base, learningRate: 3e-2, restoreBest: false }; // the loss moves well away from ln 2 in 12 steps
    const plain = await collect(fineTune(track(tinyModel()), { train, validation }, fast));
    const model = track(tinyModel());
    const before = tf.memory().numTensors;
    const events = await collect(fineTune(model, { train, validation }, { ...fast, emaDecay: 0.9 }));
    expect(errorOf(events)).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before); // the average is released at the end
    // the raw weights follow the same trajectory: the average never feeds back into training
    expect(stepLosses(events)).toEqual(stepLosses(plain));
    const evals = of(events, 'eval').map((e) => e.result.loss);
    const plainEvals = of(plain, 'eval').map((e) => e.result.loss);
    expect(evals).toHaveLength(3);
    evals.forEach((l, i) => expect(Math.abs(l - plainEvals[i])).toBeGreaterThan(1e-4));
    // what the model holds now is what the last evaluation measured
    const pad = { padId: 0, multiple: 1 };
    const outputs = await collectOutputs(validation, 32, (idx) =>
      model.forward(makeTensorBatch(validation, idx, pad), { training: false }),
    );
    const now = evalFromOutputs('classification', outputs, validation, model.labels);
    expect(now.scalars.loss).toBeCloseTo(evals.at(-1)!, 5);
    expect(of(events, 'done')[0].final!.scalars.loss).toBeCloseTo(evals.at(-1)!, 6);
  });

  it('restoring the best weights restores the average at the best evaluation', async () => {
    // min-delta 100: only the first evaluation counts as an improvement, so the best is step 4
    const es = { ...cfg, earlyStopping: { metric: 'loss', patience: 5, minDelta: 100 } };
    for (const store of [undefined, new MemoryStore()]) {
      const model = track(tinyModel());
      const events = await collect(fineTune(model, { train, validation }, es, store ? { store, runId: 'e' } : {}));
      const done = of(events, 'done')[0];
      expect(done.restoredBest).toBe(true);
      const bestEval = of(events, 'eval')[0].result.loss;
      const pad = { padId: 0, multiple: 1 };
      const outputs = await collectOutputs(validation, 32, (idx) =>
        model.forward(makeTensorBatch(validation, idx, pad), { training: false }),
      );
      expect(evalFromOutputs('classification', outputs, validation, model.labels).scalars.loss).toBeCloseTo(bestEval, 5);
    }
  });

  it('a resumed run continues the average exactly: steps and evaluations after the checkpoint match to 1e-6', async () => {
    const full = await collect(fineTune(track(tinyModel()), { train, validation }, cfg));
    const k = 6;
    const store = new MemoryStore();
    const ctl = new AbortController();
    await collect(fineTune(track(tinyModel()), { train, validation }, cfg, { store, runId: 'r', signal: ctl.signal }), (e) => {
      if (e.type === 'step' && e.step === k) ctl.abort();
    });
    const meta = (await store.listCheckpoints('r')).find((m) => m.reason === 'abort')!;
    const ckpt = (await store.loadCheckpoint('r', meta.id))!;
    expect(Object.keys(ckpt.ema ?? {}).length).toBeGreaterThan(0);
    const rest = await collect(
      fineTune(track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 99)), { train, validation }, ckpt.config, {
        resumeFrom: ckpt,
      }),
    );
    expect(errorOf(rest)).toBeUndefined();
    const fullLosses = stepLosses(full);
    stepLosses(rest).forEach((l, i) => expect(Math.abs(l - fullLosses[k + i])).toBeLessThan(1e-6));
    const evalsFull = of(full, 'eval')
      .filter((e) => e.step > k)
      .map((e) => e.result.loss);
    const evalsRest = of(rest, 'eval').map((e) => e.result.loss);
    expect(evalsRest).toHaveLength(evalsFull.length);
    evalsRest.forEach((l, i) => expect(Math.abs(l - evalsFull[i])).toBeLessThan(1e-6));
  });

  it('rejects a decay outside [0, 1) naming the option', async () => {
    const events = await collect(fineTune(track(tinyModel()), { train, validation }, { ...base, emaDecay: 1 }));
    expect(errorOf(events)).toMatch(/weight-average decay must be in \[0, 1\) \(got 1\)/);
    expect(of(events, 'error')[0].error).toMatchObject({ kind: 'user', where: { option: 'emaDecay' } });
  });
});
