// Data-parallel training on real worker threads (cli/threads.ts's startNodeWorker, each thread with its own wasm
// backend and a replica): a run on N threads matches the same run in one thread — same global batch, same seed, dropout
// on — to 1e-5 in every step's loss and in the final weights after 20 steps, for full fine-tuning and LoRA on BERT and
// for the bundled USE-Lite; a checkpoint written on 2 threads resumes on 1 to the same weights.
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeWorker } from '@/cli/threads';
import { loadBundledUseLite } from '@/cli/models';
import { createTaskModel } from '@/lib/models/task-model';
import type { FineTuneMode, TaskModel } from '@/lib/models/types';
import { MemoryStore } from '@/lib/store/memory-store';
import type { TrainConfig } from '@/lib/train/config';
import type { EncodedExample } from '@/lib/train/encode';
import { fineTune } from '@/lib/train/fine-tune';
import type { StartWorker } from '@/lib/train/pool-port';
import { fromWire, Spares, tokenRows, tokenTables, toWire, WireUnpacker, type WireGrad } from '@/lib/train/grad-wire';
import { shardGradients, splitShards, type Shard } from '@/lib/train/shards';
import { sumOfSquares } from '@/lib/backend/fast-paths';
import { createTrainPool, type TrainPool } from '@/lib/train/train-pool';
import { useWasm } from '../../helpers/tf';
import { collect, encodedSentiment, of, sentimentExamples, stepLosses, tinyModel } from './helpers';

beforeAll(useWasm);

const CONFIG: TrainConfig = {
  epochs: 3,
  batchSize: 8,
  learningRate: 5e-3,
  maxSteps: 20,
  seed: 11,
  gradAccumSteps: 1,
  bucketWindow: 4,
  evalEverySteps: 10,
};

async function weightsOf(model: TaskModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [n, v] of model.variables()) out.set(n, (await v.data()) as Float32Array);
  return out;
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [n, x] of a) {
    const y = b.get(n)!;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  return worst;
}

/** Trains a fresh model from `make` with `threads` threads; returns the step losses, validation losses and weights. */
async function train(
  make: () => TaskModel | Promise<TaskModel>,
  data: { train: EncodedExample[]; validation: EncodedExample[] },
  threads: number,
  config = CONFIG,
) {
  const model = await make();
  let pool: TrainPool | undefined;
  try {
    if (threads > 1) pool = await createTrainPool(model, threads, startNodeWorker, { preference: 'wasm' });
    const events = await collect(fineTune(model, data, config, { pool }));
    const error = of(events, 'error')[0];
    if (error) throw new Error(error.error.message);
    return {
      events,
      losses: stepLosses(events),
      evals: of(events, 'eval').map((e) => e.result.scalars.loss),
      weights: await weightsOf(model),
      threads: of(events, 'start')[0].threads,
    };
  } finally {
    await pool?.close();
    model.dispose();
  }
}

describe('splitShards', () => {
  it("splits a batch into contiguous shards of near-equal size that keep each row's position", () => {
    expect(splitShards([5, 9, 2, 7, 1], 2)).toEqual([
      { idx: [5, 9, 2], rows: [0, 1, 2] },
      { idx: [7, 1], rows: [3, 4] },
    ]);
    expect(splitShards([4, 3], 4)).toEqual([
      { idx: [4], rows: [0] },
      { idx: [3], rows: [1] },
    ]);
    expect(splitShards([1, 2, 3], 1)).toEqual([{ idx: [1, 2, 3], rows: [0, 1, 2] }]);
  });
});

describe('gradients on the wire', () => {
  it("a token-embedding gradient is zero outside the batch's token rows: its norm over those rows is the whole one", () => {
    const model = tinyModel();
    const vars = [...model.trainable().values()];
    const word = [...model.trainable().keys()].indexOf('embeddings.word_embeddings.weight');
    // a table counts where the vocabulary is over 1,000 (this model's has 64 rows; the rule holds for any size)
    expect(tokenTables(vars, vars[word].shape[0]).some(Boolean)).toBe(false);
    expect(
      tokenTables(
        [
          { rank: 2, shape: [30522, 128] },
          { rank: 2, shape: [512, 128] },
        ],
        30522,
      ),
    ).toEqual([true, false]);
    const train = encodedSentiment(8, 1);
    const idx = [0, 1, 2, 3, 4, 5, 6, 7];
    const pad = { padId: model.tokenizer.padId, multiple: 8, cap: 512 };
    const { value, grads } = shardGradients(model, train, splitShards(idx, 1)[0], { seed: 1, length: 16, denominator: 8 }, vars, {
      numLabels: 2,
      lossOpts: { labelSmoothing: 0 },
      pad,
    });
    const rows = tokenRows(train, idx, pad.padId);
    const g = grads[word];
    const dense = sumOfSquares(g);
    const picked = tf.tidy(() => sumOfSquares(tf.gather(g, tf.tensor1d(rows, 'int32'))));
    expect(dense.dataSync()[0]).toBeGreaterThan(0);
    expect(picked.dataSync()[0]).toBe(dense.dataSync()[0]);
    tf.dispose([value, ...grads, dense, picked]);
    model.dispose();
  });

  it("a replica's kept embedding-gradient table gives the same tensors as a fresh one each step, and frees nothing else", () => {
    const unpack = new WireUnpacker();
    const shapes = [[6, 4], [3]];
    const before = tf.memory().numTensors;
    let table: tf.Tensor | null = null;
    for (const rows of [[0, 2, 5], [1, 2], [4]]) {
      const wire: WireGrad[] = [
        { rows: Int32Array.from(rows), values: Float32Array.from({ length: rows.length * 4 }, (_, i) => i + rows[0] + 0.5) },
        Float32Array.from([1, 2, 3]),
      ];
      const got = unpack.take(wire, shapes);
      const want = wire.map((w, j) => fromWire(w, shapes[j]));
      got.forEach((t, j) => expect(Array.from(t.dataSync())).toEqual(Array.from(want[j].dataSync())));
      expect(unpack.kept(got[0])).toBe(true);
      expect(unpack.kept(got[1])).toBe(false);
      table ??= got[0];
      expect(got[0]).toBe(table);
      tf.dispose([...want, got[1]]);
    }
    unpack.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradients go on the wire in the arrays that arrived last where their sizes fit, with the same values', async () => {
    const grads = [tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), tf.tensor1d([9, 10, 11])];
    const sparse = [true, false];
    const rows = Int32Array.from([1, 3]);
    const before = tf.memory().numTensors;
    const fresh = await toWire(grads, sparse, rows);
    const spares = new Spares();
    spares.keep([{ rows: Int32Array.from([0]), values: new Float32Array(2) }, new Float32Array(3).fill(-1)]);
    const kept = spares.take();
    expect(spares.take()).toEqual([]); // handed out once
    const reused = await toWire(grads, sparse, rows, kept);
    // the dense gradient is written into the spare array; the token rows are a new pair of arrays
    expect(reused[1]).toBe(kept[1]);
    expect(Array.from(reused[1] as Float32Array)).toEqual([9, 10, 11]);
    expect(reused[0]).toEqual(fresh[0]);
    expect(reused[0]).toEqual({ rows: Int32Array.from([1, 3]), values: Float32Array.from([3, 4, 7, 8]) });
    // an array of another size is not used
    const other = new Float32Array(5);
    const notReused = await toWire(grads, sparse, rows, [undefined, other]);
    expect(notReused[1]).not.toBe(other);
    expect(Array.from(notReused[1] as Float32Array)).toEqual([9, 10, 11]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(grads);
  });
});

describe('data-parallel training (worker threads)', () => {
  const data = { train: encodedSentiment(96, 3), validation: encodedSentiment(16, 4) };

  for (const [name, mode] of [
    ['full', { kind: 'full' }],
    ['LoRA', { kind: 'lora', rank: 4, alpha: 8, dropout: 0.1, targets: ['query', 'value'] }],
  ] as [string, FineTuneMode][]) {
    it(`BERT ${name}: 2 and 3 threads match 1 thread to 1e-5 over 20 steps (dropout on)`, async () => {
      const make = () => tinyModel('classification', ['neg', 'pos'], mode, 5);
      const one = await train(make, data, 1);
      expect(one.losses).toHaveLength(20);
      for (const threads of [2, 3]) {
        const many = await train(make, data, threads);
        expect(many.threads).toBe(threads);
        many.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i]), `${threads} threads, step ${i + 1}`).toBeLessThan(1e-5));
        many.evals.forEach((l, i) => expect(Math.abs(l - one.evals[i])).toBeLessThan(1e-5));
        expect(maxDiff(many.weights, one.weights), `${threads} threads`).toBeLessThan(1e-5);
      }
      // the weights moved, so equal weights are not equal because nothing trained
      const fresh = make();
      expect(maxDiff(one.weights, await weightsOf(fresh))).toBeGreaterThan(1e-3);
      fresh.dispose();
    }, 180_000);
  }

  it("sends the next step's shards with each step (one request per step), and shards sent ahead but not taken are dropped", async () => {
    const make = () => tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 5);
    const one = await train(make, data, 1);
    /** a 2-thread run through `wrap`: its losses and weights, shard requests posted in all and from inside `applied` */
    const run = async (wrap: (pool: TrainPool) => TrainPool) => {
      let sent = 0;
      const counting: StartWorker = (setup) => {
        const port = startNodeWorker(setup);
        return { ...port, post: (m, t) => ((m as { type: string }).type === 'grads' && sent++, port.post(m, t)) };
      };
      const model = make();
      const pool = await createTrainPool(model, 2, counting, { preference: 'wasm' });
      let ahead = 0;
      const spied = wrap({
        ...pool,
        applied: async (...a) => {
          const before = sent;
          await pool.applied(...a);
          ahead += sent - before;
        },
      });
      const events = await collect(fineTune(model, data, CONFIG, { pool: spied }));
      await pool.close();
      const out = { losses: stepLosses(events), weights: await weightsOf(model), sent, ahead };
      model.dispose();
      return out;
    };
    // 96 rows in batches of 8: 12 steps an epoch, 20 steps. Every step but the last of the epoch (12) and of the run
    // (20) sends the next one ahead: 18 used + 1 dropped (the run ends), plus steps 1 and 13 asked for when they start
    const used = await run((p) => p);
    expect([used.ahead, used.sent]).toEqual([19, 21]);
    used.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i]), `step ${i + 1}`).toBeLessThan(1e-5));
    expect(maxDiff(used.weights, one.weights)).toBeLessThan(1e-5);
    // shards sent ahead that are not what the next step asks for (reversed rows): every step asks again, the replies
    // to what was sent ahead are dropped unread, and the run is the same run
    const reversed = (s: Shard) => ({ idx: [...s.idx].reverse(), rows: [...s.rows].reverse() });
    const dropped = await run((p) => ({
      ...p,
      applied: (g, lr, scale, idx, next) => p.applied(g, lr, scale, idx, next && { ...next, shards: next.shards.map(reversed) }),
    }));
    expect([dropped.ahead, dropped.sent]).toEqual([19, 19 + 20]);
    dropped.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i]), `step ${i + 1}`).toBeLessThan(1e-5));
    expect(maxDiff(dropped.weights, one.weights)).toBeLessThan(1e-5);
  }, 180_000);

  const bertFullTest =
    'BERT full with gradient accumulation, class weights, label smoothing and a weight average: 2 threads match 1, validation included';
  it(bertFullTest, { timeout: 180_000 }, async () => {
    const config: TrainConfig = {
      ...CONFIG,
      gradAccumSteps: 2,
      batchSize: 5,
      classWeights: 'balanced',
      labelSmoothing: 0.1,
      emaDecay: 0.9,
      evalBatchSize: 4,
    };
    const make = () => tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 6);
    const one = await train(make, data, 1, config);
    const two = await train(make, data, 2, config);
    two.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i])).toBeLessThan(1e-5));
    expect(maxDiff(two.weights, one.weights)).toBeLessThan(1e-5);
    // the validation passes (batches dealt to both threads, each on its replica's weight average) give the same metrics
    expect(two.evals.length).toBeGreaterThanOrEqual(2);
    two.evals.forEach((l, i) => expect(Math.abs(l - one.evals[i]), `eval ${i}`).toBeLessThan(1e-5));
    const accuracy = (r: typeof one) => of(r.events, 'eval').map((e) => e.result.scalars.accuracy);
    expect(accuracy(two)).toEqual(accuracy(one));
  });

  const exactResumeTest =
    'exact resume on 2 threads: stopped after a checkpoint and resumed on 2 threads, ' +
    'the run ends where an uninterrupted 2-thread run ends (1e-6)';
  it(exactResumeTest, { timeout: 180_000 }, async () => {
    const make = () => tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 8);
    const config: TrainConfig = { ...CONFIG, maxSteps: undefined, epochs: 2, checkpointEverySteps: 5 };
    const whole = await train(make, data, 2, config);
    const store = new MemoryStore();
    const first = make();
    let pool = await createTrainPool(first, 2, startNodeWorker, { preference: 'wasm' });
    const abort = new AbortController();
    for await (const ev of fineTune(first, data, config, { pool, store, runId: 'r', signal: abort.signal }))
      if (ev.type === 'checkpoint' && ev.checkpoint.step === 5) abort.abort();
    await pool.close();
    first.dispose();
    const ckpt = (await store.listCheckpoints('r')).filter((m) => !m.best).sort((a, b) => b.step - a.step)[0];
    const resumed = make();
    pool = await createTrainPool(resumed, 2, startNodeWorker, { preference: 'wasm' });
    const events = await collect(
      fineTune(resumed, data, config, { pool, store, runId: 'r', resumeFrom: (await store.loadCheckpoint('r', ckpt.id))! }),
    );
    await pool.close();
    expect(of(events, 'error')).toEqual([]);
    expect(of(events, 'start')[0].threads).toBe(2);
    expect(maxDiff(await weightsOf(resumed), whole.weights)).toBeLessThanOrEqual(1e-6);
    resumed.dispose();
  });

  it('a checkpoint written on 2 threads resumes on 1 thread to the weights of an uninterrupted run', async () => {
    const make = () => tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 7);
    const config: TrainConfig = { ...CONFIG, maxSteps: undefined, epochs: 2, checkpointEverySteps: 6 };
    const whole = await train(make, data, 1, config);
    // 2 threads, stopped after its step-6 checkpoint
    const store = new MemoryStore();
    const model = make();
    const pool = await createTrainPool(model, 2, startNodeWorker, { preference: 'wasm' });
    const abort = new AbortController();
    for await (const ev of fineTune(model, data, config, { pool, store, runId: 'r', signal: abort.signal }))
      if (ev.type === 'checkpoint' && ev.checkpoint.step === 6) abort.abort();
    await pool.close();
    model.dispose();
    const ckpt = (await store.listCheckpoints('r')).filter((m) => !m.best).sort((a, b) => b.step - a.step)[0];
    expect(ckpt.step).toBeGreaterThanOrEqual(6);
    const resumed = make();
    const events = await collect(
      fineTune(resumed, data, config, { store, runId: 'r', resumeFrom: (await store.loadCheckpoint('r', ckpt.id))! }),
    );
    expect(of(events, 'error')).toEqual([]);
    expect(maxDiff(await weightsOf(resumed), whole.weights)).toBeLessThan(1e-5);
    resumed.dispose();
  }, 180_000);
});

describe('a training thread that dies', () => {
  it('stops the run with a message naming the failure, keeps the last checkpoint, and the run resumes on fewer threads', async () => {
    const data = { train: encodedSentiment(96, 3), validation: encodedSentiment(16, 4) };
    const make = () => tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 9);
    const config: TrainConfig = { ...CONFIG, maxSteps: undefined, epochs: 2, checkpointEverySteps: 4, evalEverySteps: undefined };
    const whole = await train(make, data, 1, config);
    // real worker threads; the 7th shard request's thread is terminated from outside while it computes
    let shards = 0;
    const dying: StartWorker = (setup) => {
      const w = new Worker(new URL('../../../cli/bin/pool-worker.mjs', import.meta.url), { workerData: setup });
      return {
        post: (m, transfer = []) => {
          w.postMessage(m, transfer);
          if ((m as { type: string }).type === 'grads' && ++shards === 7) void w.terminate();
        },
        listen(onMessage, onError) {
          const exit = (code: number) => onError(new Error(`the thread exited (code ${code})`));
          w.on('message', onMessage);
          w.on('exit', exit);
          return () => {
            w.off('message', onMessage);
            w.off('exit', exit);
          };
        },
        terminate: () => w.terminate(),
      };
    };
    const store = new MemoryStore();
    const model = make();
    const pool = await createTrainPool(model, 2, dying, { preference: 'wasm' });
    const events = await collect(fineTune(model, data, config, { pool, store, runId: 'r' }));
    await pool.close();
    model.dispose();
    const error = of(events, 'error')[0];
    expect(error.error.message).toMatch(/a training thread failed: the thread exited/);
    expect(error.step).toBe(6);
    expect(error.lastGoodCheckpointId).toBe('step-0000004');
    // the checkpoint is intact: resumed in one thread, the run ends where an uninterrupted one does
    const resumed = make();
    const rest = await collect(
      fineTune(resumed, data, config, { store, runId: 'r', resumeFrom: (await store.loadCheckpoint('r', 'step-0000004'))! }),
    );
    expect(of(rest, 'error')).toEqual([]);
    expect(maxDiff(await weightsOf(resumed), whole.weights)).toBeLessThan(1e-5);
    resumed.dispose();
  }, 180_000);
});

describe('data-parallel training on the bundled USE-Lite', () => {
  let base: Awaited<ReturnType<typeof loadBundledUseLite>>;
  let data: { train: EncodedExample[]; validation: EncodedExample[] };
  beforeAll(async () => {
    base = await loadBundledUseLite();
    const enc = (n: number, seed: number) =>
      sentimentExamples(n, seed).map((e) => ({ ...base.tokenizer.encode(e.text, undefined, { maxLength: 24 }), label: e.label }));
    data = { train: enc(48, 3), validation: enc(8, 4) };
  }, 60_000);
  afterAll(() => base?.encoder.dispose());

  it('full fine-tuning on 2 threads matches 1 thread to 1e-5 over 20 steps (dropout on)', async () => {
    // every run starts from the bundled weights: each loads its own copy
    const make = async () => {
      const { encoder, tokenizer } = await loadBundledUseLite();
      return createTaskModel({ encoder, tokenizer, task: 'classification', labels: ['neg', 'pos'], mode: { kind: 'full' }, seed: 2 });
    };
    const config: TrainConfig = { ...CONFIG, batchSize: 4, learningRate: 1e-4, evalEverySteps: undefined };
    const one = await train(make, data, 1, config);
    const two = await train(make, data, 2, config);
    expect(two.threads).toBe(2);
    two.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i]), `step ${i + 1}`).toBeLessThan(1e-5));
    expect(maxDiff(two.weights, one.weights)).toBeLessThan(1e-5);
  }, 300_000);
});
