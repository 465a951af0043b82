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
import { backendMemoryBytes } from '@/lib/backend/fast-paths';
import { initBackend, type InitOptions } from '@/lib/backend/init';
import { memorySource } from '@/lib/io/source';
import { openModelFiles, taskModelFiles } from '@/lib/models/open';
import { taskHeadSpec, createTaskModel } from '@/lib/models/task-model';
import type { TaskModel, TextTokenizer } from '@/lib/models/types';
import type { PadOptions } from './batching';
import type { EncodedExample } from './encode';
import type { LossOptions } from './losses';
import { AdamOptimizer, type OptimizerOptions } from './optimizer';
import type { OptimizerState } from '@/lib/store/types';
import { shardGradients, type Shard, type ShardContext } from './shards';
import type { PoolPort, StartWorker, TrainWorkerSetup } from './pool-port';

export type { TrainWorkerSetup };

/** A gradient as it travels: dense, or the rows `rows` of a [vocab, width] embedding gradient (all others zero). */
export type WireGrad = Float32Array | { rows: Int32Array; values: Float32Array };

export type ToTrainWorker =
  | {
      type: 'begin';
      examples: EncodedExample[];
      names: string[];
      sparse: boolean[];
      numLabels: number;
      lossOpts: LossOptions;
      pad: PadOptions;
      weights: Float32Array[];
      optimizer: OptimizerOptions;
      optimizerState: OptimizerState;
    }
  | { type: 'grads'; id: number; shard: Shard; ctx: ShardContext }
  | { type: 'apply'; grads: WireGrad[]; lr: number; scale: number };
export type FromTrainWorker =
  | { type: 'ready' }
  | { type: 'grads'; id: number; loss: number; grads: WireGrad[]; memoryBytes: number }
  | { type: 'error'; message: string };

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
    o: { numLabels: number; lossOpts: LossOptions; pad: PadOptions; optimizer: AdamOptimizer; vocabSize: number },
  ): Promise<void>;
  /** shards 1… of a micro-batch go to the workers; `local` computes shard 0 in this thread meanwhile */
  gradients(shards: Shard[], ctx: ShardContext, local: (s: Shard) => ShardSum): Promise<ShardSum>;
  /** the calling thread took an optimizer step with these summed gradients (in `vars` order) over the examples `idx`:
   *  every replica takes the same one */
  applied(grads: tf.Tensor[], lr: number, scale: number, idx: number[]): Promise<void>;
  /** each worker's backend memory at its last shard (wasm: the heap, which never shrinks: its peak) */
  memory(): number[];
  close(): Promise<void>;
}

const fail = (m: string) => new Error(`a training thread failed: ${m}`);

/** The token ids of some examples, and the pad id: the rows a token-embedding gradient can have non-zero. */
export function tokenRows(examples: EncodedExample[], idx: number[], padId: number): Int32Array {
  const seen = new Set<number>([padId]);
  for (const i of idx) for (const t of examples[i].ids) seen.add(t);
  return Int32Array.from([...seen].sort((a, b) => a - b));
}

/** Reads gradients for the wire: the sparse ones as the rows `rows`. */
async function toWire(grads: tf.Tensor[], sparse: boolean[], rows: Int32Array | null): Promise<WireGrad[]> {
  const parts = tf.tidy(() => grads.map((g, j) => (sparse[j] && rows ? tf.gather(g, tf.tensor1d(rows, 'int32')) : g.clone())));
  const values = (await Promise.all(parts.map((t) => t.data()))) as Float32Array[];
  tf.dispose(parts);
  return values.map((v, j) => (sparse[j] && rows ? { rows: rows.slice(), values: v } : v));
}

/** A wire gradient as a tensor of `shape`. */
function fromWire(g: WireGrad, shape: number[]): tf.Tensor {
  if (g instanceof Float32Array) return tf.tensor(g, shape, 'float32');
  return tf.tidy(() =>
    tf.scatterND(
      tf.tensor2d(g.rows, [g.rows.length, 1], 'int32'),
      tf.tensor(g.values, [g.rows.length, ...shape.slice(1)], 'float32'),
      shape,
    ),
  );
}

/** g + a wire gradient; sparse rows are added in place of a dense scatter (one copy of g instead of three passes). */
function addWire(g: tf.Tensor, w: WireGrad): tf.Tensor {
  if (w instanceof Float32Array) return g.add(tf.tensor(w, g.shape, 'float32'));
  const idx = tf.tensor2d(w.rows, [w.rows.length, 1], 'int32');
  const rows = tf.gather(g, tf.tensor1d(w.rows, 'int32')).add(tf.tensor(w.values, [w.rows.length, ...g.shape.slice(1)], 'float32'));
  return tf.tensorScatterUpdate(g, idx, rows);
}

const buffers = (gs: WireGrad[]) =>
  gs.flatMap((g) =>
    g instanceof Float32Array ? [g.buffer as ArrayBuffer] : [g.rows.buffer as ArrayBuffer, g.values.buffer as ArrayBuffer],
  );

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
  const ports: PoolPort<ToTrainWorker, FromTrainWorker>[] = [];
  let broken: Error | null = null;
  const close = async () => {
    await Promise.all(ports.map((p) => p.terminate()));
  };
  const ready = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const port = start(setup) as PoolPort<ToTrainWorker, FromTrainWorker>;
      ports.push(port);
      const stop = port.listen(
        (m) => {
          stop();
          if (m.type === 'ready') resolve();
          else reject(fail(m.type === 'error' ? m.message : `unexpected "${m.type}"`));
        },
        (e) => {
          stop();
          reject(fail(e.message));
        },
      );
    });
  try {
    await Promise.all(Array.from({ length: threads - 1 }, ready));
  } catch (e) {
    await close();
    throw e;
  }
  // a worker that fails later fails the next step that needs it
  for (const port of ports)
    port.listen(
      (m) => m.type === 'error' && (broken ??= fail(m.message)),
      (e) => (broken ??= fail(e.message)),
    );

  let examples: EncodedExample[] = [];
  let sparse: boolean[] = [];
  const padId = model.tokenizer.padId;
  let nextId = 0;
  const memory = ports.map(() => 0);
  const remote = (port: PoolPort<ToTrainWorker, FromTrainWorker>, shard: Shard, ctx: ShardContext) =>
    new Promise<{ loss: number; grads: WireGrad[] }>((resolve, reject) => {
      const id = nextId++;
      const k = ports.indexOf(port);
      const stop = port.listen(
        (m) => {
          if (m.type === 'grads' && m.id === id) {
            stop();
            memory[k] = m.memoryBytes;
            resolve(m);
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
      port.post({ type: 'grads', id, shard, ctx });
    });

  return {
    threads: ports.length + 1,
    async begin(train, named, o) {
      examples = train;
      const vars = [...named.values()];
      sparse = vars.map((v) => v.rank === 2 && v.shape[0] === o.vocabSize && o.vocabSize > 1000);
      const weights = (await Promise.all(vars.map((v) => v.data()))) as Float32Array[];
      const optimizerState = await o.optimizer.getState();
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
        });
      }
    },
    async gradients(shards, ctx, local) {
      if (broken) throw broken;
      const others = shards.slice(1).map((s, i) => remote(ports[i], s, ctx));
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
      tf.dispose([mine.value, ...mine.grads]);
      return sum;
    },
    async applied(grads, lr, scale, idx) {
      if (broken) throw broken;
      const wire = await toWire(grads, sparse, tokenRows(examples, idx, padId));
      ports.forEach((port, i) => {
        const mine =
          i === ports.length - 1
            ? wire
            : wire.map((g) => (g instanceof Float32Array ? g.slice() : { rows: g.rows.slice(), values: g.values.slice() }));
        port.post({ type: 'apply', grads: mine, lr, scale }, buffers(mine));
      });
    },
    memory: () => [...memory],
    close,
  };
}

/** The worker side of a training thread: opens its replica, then answers shards with their gradients and repeats the
 *  calling thread's optimizer steps. Messages are handled one at a time, in order. */
export async function serveTrainWorker(
  setup: TrainWorkerSetup,
  port: { post(m: FromTrainWorker, transfer?: ArrayBuffer[]): void; listen(onMessage: (m: ToTrainWorker) => void): void },
): Promise<void> {
  try {
    await initBackend(setup.backend);
    const opened = await openModelFiles(memorySource('training thread', setup.files), { requireTokenizer: false });
    const tokenizer: TextTokenizer = opened.tokenizer ?? {
      kind: 'hf',
      vocabSize: 0,
      padId: 0,
      modelMaxLength: Number.MAX_SAFE_INTEGER,
      encode: () => {
        throw new Error('a training thread is sent token ids, it does not tokenize');
      },
      files: () => ({}),
    };
    const model = createTaskModel({
      encoder: opened.encoder,
      tokenizer,
      task: setup.task,
      labels: setup.labels,
      mode: setup.mode,
      headParams: opened.headParams,
      classifierDropout: setup.classifierDropout,
    });
    let run: Extract<ToTrainWorker, { type: 'begin' }> | null = null;
    let vars: tf.Variable[] = [];
    let optimizer: AdamOptimizer | null = null;
    const handle = async (m: ToTrainWorker) => {
      if (m.type === 'begin') {
        const trainable = model.trainable();
        const missing = m.names.filter((n) => !trainable.has(n));
        if (missing.length || trainable.size !== m.names.length)
          throw new Error(`the replica's trainable parameters differ (${missing[0] ?? `${trainable.size} vs ${m.names.length}`})`);
        run = m;
        vars = m.names.map((n) => trainable.get(n)!);
        vars.forEach((v, j) => tf.tidy(() => v.assign(tf.tensor(m.weights[j], v.shape, 'float32'))));
        optimizer?.dispose();
        optimizer = new AdamOptimizer(new Map(m.names.map((n, j) => [n, vars[j]])), m.optimizer);
        optimizer.setState(m.optimizerState);
      } else if (m.type === 'apply') {
        if (!run || !optimizer) throw new Error('an optimizer step arrived before the run began');
        const named: Record<string, tf.Tensor> = {};
        run.names.forEach((n, j) => (named[n] = fromWire(m.grads[j], [...vars[j].shape])));
        optimizer.apply(named, m.lr, m.scale);
        tf.dispose(Object.values(named));
      } else {
        if (!run) throw new Error('a shard arrived before the run began');
        const { value, grads } = shardGradients(model, run.examples, m.shard, m.ctx, vars, {
          numLabels: run.numLabels,
          lossOpts: run.lossOpts,
          pad: run.pad,
        });
        const rows = run.sparse.some(Boolean) ? tokenRows(run.examples, m.shard.idx, run.pad.padId) : null;
        const [loss] = (await value.data()) as Float32Array;
        const wire = await toWire(grads, run.sparse, rows);
        tf.dispose([value, ...grads]);
        port.post({ type: 'grads', id: m.id, loss, grads: wire, memoryBytes: backendMemoryBytes() }, buffers(wire));
      }
    };
    let queue = Promise.resolve();
    port.listen((m) => {
      queue = queue.then(() => handle(m)).catch((e) => port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
    });
    port.post({ type: 'ready' });
  } catch (e) {
    port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}
