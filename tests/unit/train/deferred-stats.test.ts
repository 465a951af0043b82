// The GPU backends' step (fineTune's `deferStats`): the clipping factor stays on the device and each step's loss and
// gradient norm are read while the next step runs. Forced on here (wasm), it must train the same run as the
// immediate read — same losses and weights to float rounding, the same events in the same order (evaluations and
// checkpoints after the step they follow), a flat tensor count — and still stop on a NaN.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fineTune } from '@/lib/train/fine-tune';
import { MemoryStore } from '@/lib/store/memory-store';
import type { TrainConfig } from '@/lib/train/config';
import type { TrainEvent } from '@/lib/train/events';
import type { TaskModel } from '@/lib/models/types';
import { useWasm } from '../../helpers/tf';
import { collect, encodedSentiment, errorOf, modelTracker, of, stepLosses, tinyModel } from './helpers';

beforeAll(useWasm);
const track = modelTracker();

const data = { train: encodedSentiment(40, 3), validation: encodedSentiment(12, 4) };
const config: TrainConfig = {
  epochs: 3,
  batchSize: 8,
  learningRate: 5e-3,
  seed: 5,
  evalEverySteps: 4,
  checkpointEverySteps: 3,
  maxGradNorm: 0.5,
  emaDecay: 0.9,
};

const order = (events: TrainEvent[]) =>
  events.map((e) =>
    e.type === 'step'
      ? `step ${e.step}`
      : e.type === 'eval'
        ? `eval ${e.step}`
        : e.type === 'checkpoint'
          ? `ckpt ${e.checkpoint.id}`
          : e.type,
  );

async function weights(model: ReturnType<typeof tinyModel>): Promise<Float32Array[]> {
  return Promise.all([...model.variables().values()].map(async (v) => (await v.data()) as Float32Array));
}

describe('fineTune with deferred loss reads (the WebGPU/WebGL step)', () => {
  const sameRunTest =
    'trains the same run as the immediate read: losses, gradient norms, evaluations and weights to 1e-5, events in the same order';
  it(sameRunTest, async () => {
    const a = track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 4));
    const b = track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 4));
    const now = await collect(fineTune(a, data, config, { store: new MemoryStore(), runId: 'a' }));
    const later = await collect(fineTune(b, data, config, { store: new MemoryStore(), runId: 'b', deferStats: true }));
    expect(errorOf(later)).toBeUndefined();
    expect(order(later)).toEqual(order(now));
    const [la, lb] = [stepLosses(now), stepLosses(later)];
    expect(lb).toHaveLength(15);
    lb.forEach((l, i) => expect(Math.abs(l - la[i]), `step ${i + 1}`).toBeLessThan(1e-5));
    // clipping is on (max norm 0.5): the norms before clipping agree too
    const norms = (ev: TrainEvent[]) => of(ev, 'step').map((e) => e.gradNorm);
    expect(norms(now).some((g) => g > 0.5)).toBe(true);
    norms(later).forEach((g, i) => expect(Math.abs(g - norms(now)[i])).toBeLessThan(1e-5));
    of(later, 'eval').forEach((e, i) =>
      expect(Math.abs(e.result.scalars.loss - of(now, 'eval')[i].result.scalars.loss)).toBeLessThan(1e-5),
    );
    const [wa, wb] = [await weights(a), await weights(b)];
    wa.forEach((x, j) => x.forEach((v, i) => expect(Math.abs(v - wb[j][i])).toBeLessThan(1e-5)));
  });

  it('keeps the tensor count flat and stops on a NaN loss naming the step', async () => {
    const model = track(tinyModel());
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const events = await collect(
      fineTune(
        model,
        { train: data.train.slice(0, 16), validation: [] },
        { epochs: 30, batchSize: 4, learningRate: 1e-3, seed: 1 },
        { deferStats: true },
      ),
      (e) => {
        if (e.type === 'step' && (e.step === 10 || e.step === 100)) counts.push(tf.memory().numTensors);
      },
    );
    expect(errorOf(events)).toBeUndefined();
    expect(of(events, 'step')).toHaveLength(120);
    expect(counts[1]).toBe(counts[0]);
    expect(tf.memory().numTensors).toBe(before);
    // poisoned from step 4 on: the NaN is seen when step 4's numbers arrive, during step 5
    const good = track(tinyModel());
    let poison = false;
    const poisoned: TaskModel = Object.create(good);
    poisoned.forward = (batch, o) => {
      const y = good.forward(batch, o);
      return poison ? y.mul(NaN) : y;
    };
    const store = new MemoryStore();
    const nan = await collect(
      fineTune(
        poisoned,
        { train: data.train.slice(0, 16), validation: [] },
        { epochs: 3, batchSize: 4, learningRate: 1e-3, seed: 1, checkpointEverySteps: 3 },
        { store, runId: 'nan', deferStats: true },
      ),
      (e) => {
        if (e.type === 'step' && e.step === 3) poison = true;
      },
    );
    const err = of(nan, 'error')[0];
    expect(err.error.message).toMatch(/training stopped at step 4: the loss became NaN; the next update was already applied/);
    expect(err.lastGoodCheckpointId).toBe('step-0000003');
    expect(of(nan, 'step')).toHaveLength(3);
  });
});
