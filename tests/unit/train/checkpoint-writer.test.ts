import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '@/lib/store/memory-store';
import type { Checkpoint, MetricsSoFar } from '@/lib/store/types';
import { CheckpointWriter, STEP_ID, type RunSnapshot } from '@/lib/train/checkpoint-writer';
import { useWasm } from '@/tests/helpers/tf';

beforeAll(useWasm);

/** A run of two variables, one trainable, whose weights and step the test moves by hand. */
function setup(o: { keep?: number; bestEverySec?: number; store?: MemoryStore } = {}) {
  const store = o.store ?? new MemoryStore();
  const w = tf.variable(tf.tensor1d([1, 2]), true, 'w');
  const frozen = tf.variable(tf.tensor1d([9]), false, 'frozen');
  const state = { step: 0, history: { evals: [], best: null, badEvals: 0 } as MetricsSoFar };
  const snapshot = async (): Promise<RunSnapshot> => ({
    step: state.step,
    epoch: 0,
    optimizer: { kind: 'adamw', step: state.step, m: {}, v: {} },
    rng: [1, 2, 3, 4],
    data: { epoch: 0, cursor: state.step, plan: null },
    config: { epochs: 1, batchSize: 1, learningRate: 1e-3 },
    controls: { lrMultiplier: 1, extraEpochs: 0 },
    metricsSoFar: structuredClone(state.history),
  });
  const writer = new CheckpointWriter({
    store,
    runId: 'r',
    variables: () =>
      new Map([
        ['w', w],
        ['frozen', frozen],
      ]),
    trainable: new Map([['w', w]]),
    keep: o.keep ?? 2,
    bestEverySec: o.bestEverySec ?? 0,
    snapshot,
  });
  const dispose = () => tf.dispose([w, frozen]);
  return { store, writer, w, state, dispose };
}

describe('CheckpointWriter', () => {
  it('keeps the newest few rotating checkpoints and never prunes the best one', async () => {
    const { store, writer, state, dispose } = setup({ keep: 2 });
    for (const step of [1, 2, 3]) {
      state.step = step;
      if (step === 1) await writer.takeBest();
      await writer.save('periodic', step);
    }
    expect((await store.listCheckpoints('r')).map((m) => m.id)).toEqual(['best', STEP_ID(2), STEP_ID(3)]);
    expect(writer.lastId).toBe(STEP_ID(3));
    expect(writer.bestId).toBe('best');
    dispose();
  });

  it('writes a best checkpoint with the weights of its evaluation and the frozen variables read when written', async () => {
    const { store, writer, w, state, dispose } = setup({ bestEverySec: 3600 });
    state.step = 5;
    await writer.takeBest();
    w.assign(tf.tensor1d([7, 7]));
    state.step = 6;
    // the first best is written at once; the next waits (an hour between best writes)
    expect((await writer.flushBestIfDue()).map((m) => m.step)).toEqual([5]);
    await writer.takeBest();
    expect(await writer.flushBestIfDue()).toEqual([]);
    const best = (await store.loadCheckpoint('r', 'best')) as Checkpoint;
    expect(Array.from(best.weights.w.data)).toEqual([1, 2]);
    expect(Array.from(best.weights.frozen.data)).toEqual([9]);
    expect(best.step).toBe(5);
    // a rotating checkpoint writes the waiting best first
    const written = await writer.save('epoch', 6);
    expect(written.map((m) => m.id)).toEqual(['best', STEP_ID(6)]);
    expect(Array.from(((await store.loadCheckpoint('r', 'best')) as Checkpoint).weights.w.data)).toEqual([7, 7]);
    dispose();
  });

  it('a resumed run continues the rotation and finds the stored best', async () => {
    const first = setup({ keep: 2 });
    first.state.step = 1;
    await first.writer.takeBest();
    first.state.history = { evals: [], best: { metric: 'loss', mode: 'min', value: 0.5, step: 1, epoch: 0 }, badEvals: 0 };
    await first.writer.save('periodic', 1);
    first.state.step = 2;
    await first.writer.save('periodic', 2);
    const from = (await first.store.loadCheckpoint('r', STEP_ID(2))) as Checkpoint;
    first.dispose();

    const second = setup({ keep: 2, store: first.store });
    await second.writer.resume(from);
    expect(second.writer.bestId).toBe('best');
    second.state.step = 3;
    await second.writer.save('periodic', 3);
    expect((await second.store.listCheckpoints('r')).map((m) => m.id)).toEqual(['best', STEP_ID(2), STEP_ID(3)]);
    second.dispose();
  });

  it('writes nothing without a store', async () => {
    const w = tf.variable(tf.tensor1d([1]), true, 'only');
    const writer = new CheckpointWriter({
      runId: 'r',
      variables: () => new Map([['only', w]]),
      trainable: new Map([['only', w]]),
      keep: 2,
      bestEverySec: 0,
      snapshot: async () => {
        throw new Error('not read without a store');
      },
    });
    await writer.takeBest();
    expect(await writer.save('final', 1)).toEqual([]);
    expect(await writer.flushBest()).toEqual([]);
    expect(writer.lastId).toBeUndefined();
    w.dispose();
  });
});
