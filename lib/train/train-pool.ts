// Data-parallel training over threads. Each worker holds a replica of the model in the run's mode (sent once as
// Hugging Face files, LoRA adapters unmerged), the training examples and a replica of the optimizer. For every
// micro-batch the calling thread sends each worker one shard (lib/train/shards.ts), computes shard 0 itself meanwhile,
// and sums the shards' gradients in shard order, so a run is deterministic for a given thread count and matches a
// one-thread run to float rounding. After the calling thread's optimizer step the workers get the same summed
// gradients, learning rate and scale and take the same step, so the replicas stay bit-identical without sending
// weights. Token-embedding gradients travel as the rows of the batch's tokens only (the rest are exactly zero): a
// 30k-token vocabulary is most of a small model. Runtime-agnostic like feature-pool.ts: a runtime supplies
// `StartWorker` (Node worker_threads in the CLI, Web Workers in the studio) and runs lib/train/threads.ts in each.
import * as tf from '@tensorflow/tfjs';
import type { InitOptions } from '@/lib/backend/init';
import { taskModelFiles } from '@/lib/models/open';
import { taskHeadSpec } from '@/lib/models/task-model';
import type { TaskModel } from '@/lib/models/types';
import type { PadOptions } from './batching';
import type { EncodedExample } from './encode';
import {
  addWire,
  buffers,
  Spares,
  tokenRows,
  tokenTables,
  toWire,
  type FromTrainWorker,
  type ToTrainWorker,
  type WireGrad,
} from './grad-wire';
import type { LossOptions } from './losses';
import type { WeightAverage } from './ema';
import { batchLogits, evalBatches, placeOutputs, type ExampleOutput } from './evaluate';
import type { AdamOptimizer } from './optimizer';
import { startThreads, type PoolPort, type StartWorker, type TrainWorkerSetup } from './pool-port';
import type { Shard, ShardContext } from './shards';

export type { FromTrainWorker, ToTrainWorker, TrainWorkerSetup };

/** The shards' summed loss and gradients, in `vars` order, as tensors the caller disposes. */
export interface ShardSum {
  value: tf.Scalar;
  grads: tf.Tensor[];
}

export interface TrainPool {
  /** threads that compute gradients, the calling one included */
  threads: number;
  /** sends the run's examples, loss settings, weights and optimizer (with its state) to every replica; once, before
   *  the first step and after anything but `applied` changed the weights */
  begin(
    examples: EncodedExample[],
    vars: Map<string, tf.Variable>,
    o: {
      numLabels: number;
      lossOpts: LossOptions;
      pad: PadOptions;
      optimizer: AdamOptimizer;
      vocabSize: number;
      validation: EncodedExample[];
      ema: WeightAverage | null;
      /** the contrastive pairs phase: `vars` are the encoder's parameters (lib/train/contrastive.ts) */
      pairs?: boolean;
    },
  ): Promise<void>;
  /** the validation examples' outputs, as `collectOutputs` gives them: the batches are dealt round-robin, `local`
   *  computes this thread's share; `average`: on the weight average, which every replica keeps too */
  outputs(batchSize: number, local: (idx: number[]) => tf.Tensor, average: boolean): Promise<ExampleOutput[]>;
  /** shards 1… of a micro-batch go to the workers; `local` computes shard 0 in this thread meanwhile */
  gradients(shards: Shard[], ctx: ShardContext, local: (s: Shard) => ShardSum): Promise<ShardSum>;
  /** the calling thread took an optimizer step with these summed gradients (in `vars` order) over the examples `idx`:
   *  every replica takes the same one. `next`: the micro-batch the next step will most likely start with; its shards
   *  go to the workers right behind the step, so they compute it while this thread takes its own step (a later
   *  `gradients` call with other shards, or a `begin`, discards it) */
  applied(grads: tf.Tensor[], lr: number, scale: number, idx: number[], next?: { shards: Shard[]; ctx: ShardContext }): Promise<void>;
  /** each worker's backend memory at its last shard (wasm: the heap, which never shrinks: its peak) */
  memory(): number[];
  close(): Promise<void>;
}

const fail = (m: string) => new Error(`a training thread failed: ${m}`);

/** Starts `threads - 1` workers, each with a replica of `model`. Rejects (and stops them) if one fails to start. */
export async function createTrainPool(model: TaskModel, threads: number, start: StartWorker, backend: InitOptions): Promise<TrainPool> {
  const setup: TrainWorkerSetup = {
    role: 'train',
    files: await taskModelFiles(model, { mergeLora: false }),
    task: model.task,
    labels: model.labels,
    mode: model.mode,
    classifierDropout: taskHeadSpec(model).dropout,
    backend,
  };
  const ports = await startThreads<ToTrainWorker, FromTrainWorker>(start, setup, threads - 1, 'a training thread failed');
  let broken: Error | null = null;
  const close = async () => {
    await Promise.all(ports.map((p) => p.terminate()));
  };
  // a worker that fails later fails the next step that needs it
  for (const port of ports)
    port.listen(
      (m) => m.type === 'error' && (broken ??= fail(m.message)),
      (e) => (broken ??= fail(e.message)),
    );

  let examples: EncodedExample[] = [];
  let validation: EncodedExample[] = [];
  let sparse: boolean[] = [];
  const padId = model.tokenizer.padId;
  let nextId = 0;
  const memory = ports.map(() => 0);
  // each worker's gradient arrays that arrived last, which carry the summed gradients back to it (see Spares)
  const spares = ports.map(() => new Spares());
  type Port = PoolPort<ToTrainWorker, FromTrainWorker>;
  type Reply<T extends FromTrainWorker['type']> = Extract<FromTrainWorker, { type: T }>;
  /** Sends a request with a fresh id and resolves with the thread's reply of `type` to it (rejects on its failure). */
  const ask = <T extends 'grads' | 'logits'>(port: Port, type: T, request: (id: number) => ToTrainWorker) =>
    new Promise<Reply<T>>((resolve, reject) => {
      const id = nextId++;
      const stop = port.listen(
        (m) => {
          if (m.type === type && 'id' in m && m.id === id) {
            stop();
            resolve(m as Reply<T>);
          } else if (m.type === 'error') {
            stop();
            reject(fail(m.message));
          }
        },
        (e) => {
          stop();
          reject(fail(e.message));
        },
      );
      port.post(request(id));
    });
  /** the next step's shards sent ahead by `applied`, with the key of what was asked */
  let ahead: { key: string; replies: Promise<Reply<'grads'>>[] } | null = null;
  const keyOf = (shards: Shard[], ctx: ShardContext) => JSON.stringify([shards.slice(1), ctx]);
  const remote = async (port: Port, shard: Shard, ctx: ShardContext) => {
    const m = await ask(port, 'grads', (id) => ({ type: 'grads', id, shard, ctx }));
    memory[ports.indexOf(port)] = m.memoryBytes;
    return m;
  };
  const logitsOf = async (port: Port, batches: number[][], average: boolean) =>
    (await ask(port, 'logits', (id) => ({ type: 'logits', id, batches, average }))).results;

  return {
    threads: ports.length + 1,
    async begin(train, named, o) {
      ahead = null; // computed with the weights this replaces
      examples = train;
      const vars = [...named.values()];
      sparse = tokenTables(vars, o.vocabSize);
      const weights = (await Promise.all(vars.map((v) => v.data()))) as Float32Array[];
      const optimizerState = await o.optimizer.getState();
      validation = o.validation;
      const emaState = o.ema ? await o.ema.getState() : undefined;
      for (const port of ports) {
        port.post({
          type: 'begin',
          examples,
          names: [...named.keys()],
          sparse,
          numLabels: o.numLabels,
          lossOpts: o.lossOpts,
          pad: o.pad,
          weights,
          optimizer: { ...o.optimizer.opts },
          optimizerState,
          validation,
          emaDecay: o.ema?.decay ?? 0,
          ...(emaState ? { emaState } : {}),
          ...(o.pairs ? { pairs: true } : {}),
        });
      }
    },
    async outputs(batchSize, local, average) {
      if (broken) throw broken;
      const batches = evalBatches(validation, batchSize);
      const n = ports.length + 1;
      const parts = Array.from({ length: n }, (_, p) => batches.filter((_, k) => k % n === p));
      const others = ports.map((port, i) => logitsOf(port, parts[i + 1], average));
      others.forEach((p) => p.catch(() => undefined));
      const out: ExampleOutput[] = new Array(validation.length);
      for (const idx of parts[0]) placeOutputs(validation, idx, await batchLogits(() => local(idx)), out);
      const results = await Promise.all(others);
      results.forEach((r, i) => parts[i + 1].forEach((idx, b) => placeOutputs(validation, idx, r[b], out)));
      return out;
    },
    async gradients(shards, ctx, local) {
      if (broken) throw broken;
      const sent = ahead?.key === keyOf(shards, ctx) ? ahead.replies : null;
      ahead = null;
      const others = sent ?? shards.slice(1).map((s, i) => remote(ports[i], s, ctx));
      others.forEach((p) => p.catch(() => undefined));
      const mine = local(shards[0]);
      let results: { loss: number; grads: WireGrad[] }[];
      try {
        results = await Promise.all(others);
      } catch (e) {
        tf.dispose([mine.value, ...mine.grads]);
        throw e;
      }
      if (!results.length) return mine;
      results.forEach((r, i) => spares[i].keep(r.grads));
      // fixed order: shard 0, then 1, 2, … — the same sum for the same thread count
      const sum = tf.tidy(() => {
        let grads = mine.grads;
        let value: tf.Tensor = mine.value;
        for (const r of results) {
          grads = grads.map((g, j) => addWire(g, r.grads[j]));
          value = value.add(r.loss);
        }
        return { value: value as tf.Scalar, grads };
      });
      // addWire may have added into this thread's own gradients in place: those are the sum's, not to be freed
      tf.dispose([mine.value, ...mine.grads].filter((t) => t !== sum.value && !sum.grads.includes(t)));
      return sum;
    },
    async applied(grads, lr, scale, idx, next) {
      if (broken) throw broken;
      const rows = tokenRows(examples, idx, padId);
      for (let i = 0; i < ports.length; i++) {
        // each worker's copy goes in the arrays its gradients came in, where they fit
        const wire = await toWire(grads, sparse, rows, spares[i].take());
        ports[i].post({ type: 'apply', grads: wire, lr, scale }, buffers(wire));
      }
      ahead = null;
      if (next && next.shards.length === ports.length + 1) {
        const replies = next.shards.slice(1).map((s, i) => remote(ports[i], s, next.ctx));
        replies.forEach((p) => p.catch(() => undefined)); // one not used is dropped unread
        ahead = { key: keyOf(next.shards, next.ctx), replies };
      }
    },
    memory: () => [...memory],
    close,
  };
}
