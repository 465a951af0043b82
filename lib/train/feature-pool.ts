// Head-only feature extraction spread over threads. The wasm backend computes on one thread, and computing the frozen
// encoder's features is most of a head-only run, so a pool splits it: the calling thread takes one share of the
// length-sorted evaluation batches, each worker (a thread with its own backend and a copy of the model, sent as
// Hugging Face files) another. Runtime-agnostic: a runtime supplies `StartWorker` (Node worker_threads in the CLI,
// Web Workers in the browser) and runs `serveFeatureWorker` inside each thread. Rows are the same as in-thread
// extraction (tested).
import type { InitOptions } from '@/lib/backend/init';
import { taskModelFiles } from '@/lib/models/open';
import type { TaskModel } from '@/lib/models/types';
import { planEval, type PadOptions } from './batching';
import type { EncodedExample } from './encode';
import { featuresOfBatches, type FeatureExtractor } from './features';
import { startThreads, type PoolPort, type StartWorker, type WorkerSetup } from './pool-port';
import { openReplica } from './replica';

export type ToWorker = { id: number; examples: EncodedExample[]; batches: number[][]; pad: PadOptions };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'rows'; id: number; rows: Float32Array[]; width: number; perToken: boolean }
  | { type: 'progress'; id: number; done: number }
  | { type: 'error'; message: string };

/** A feature thread's end of the pool. */
export type FeaturePort = PoolPort<ToWorker, FromWorker>;
export type { StartWorker, WorkerSetup };

export interface FeaturePool {
  extract: FeatureExtractor;
  /** threads that compute features, the calling one included */
  threads: number;
  close(): Promise<void>;
}

/** Starts `threads - 1` workers, each holding a copy of the model. Rejects (and stops them) if one fails to start. */
export async function createFeaturePool(
  model: TaskModel,
  threads: number,
  start: StartWorker,
  backend: InitOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<FeaturePool> {
  const setup: WorkerSetup = { files: await taskModelFiles(model), task: model.task, labels: model.labels, backend };
  const ports = await startThreads<ToWorker, FromWorker>(start, setup, threads - 1, 'a feature worker did not start');
  const close = async () => {
    await Promise.all(ports.map((p) => p.terminate()));
  };

  let nextId = 0;
  /** one worker's share: its batches' examples go over, their rows come back into `rows` */
  const remote = (
    port: FeaturePort,
    part: number[][],
    examples: EncodedExample[],
    pad: PadOptions,
    rows: Float32Array[],
    progress: (done: number) => void,
  ) =>
    new Promise<{ width: number; perToken: boolean }>((resolve, reject) => {
      const ids = part.flat();
      let next = 0;
      const batches = part.map((b) => b.map(() => next++)); // the batches as indices into the examples sent
      const id = nextId++;
      const stop = port.listen(
        (m) => {
          if (m.type === 'progress' && m.id === id) progress(m.done);
          else if (m.type === 'rows' && m.id === id) {
            stop();
            m.rows.forEach((r, k) => (rows[ids[k]] = r));
            resolve({ width: m.width, perToken: m.perToken });
          } else if (m.type === 'error') {
            stop();
            reject(new Error(`feature worker: ${m.message}`));
          }
        },
        (e) => {
          stop();
          reject(e);
        },
      );
      port.post({ id, examples: ids.map((k) => examples[k]), batches, pad });
    });

  const extract: FeatureExtractor = async (examples, batchSize, pad, signal) => {
    // batches sorted by length, dealt round-robin: every thread gets short and long ones alike
    const batches = planEval(
      examples.map((e) => e.ids.length),
      batchSize,
    );
    const n = ports.length + 1;
    const parts = Array.from({ length: n }, (_, p) => batches.filter((_, k) => k % n === p));
    const rows: Float32Array[] = new Array(examples.length);
    const progress = new Array<number>(n).fill(0);
    const report = (p: number) => (done: number) => {
      progress[p] = done;
      onProgress?.(
        progress.reduce((a, b) => a + b, 0),
        examples.length,
      );
    };
    const others = ports.map((port, i) => remote(port, parts[i + 1], examples, pad, rows, report(i + 1)));
    const mine = await featuresOfBatches(model, examples, parts[0], pad, signal, report(0));
    mine.rows.forEach((r, k) => (rows[k] = r));
    if (signal?.aborted) {
      // the workers finish their share unobserved; the caller stops on the signal
      others.forEach((p) => p.catch(() => undefined));
      return { rows, width: mine.width, perToken: mine.perToken };
    }
    const shapes = await Promise.all(others);
    const shape = parts[0].length ? mine : (shapes.find((_, i) => parts[i + 1].length) ?? mine);
    return { rows, width: shape.width, perToken: shape.perToken };
  };
  return { extract, threads: ports.length + 1, close };
}

/** The worker side: opens the model from the files it was sent (it never tokenizes: it is sent token ids), then
 *  answers each request with the features of the batches it was given. */
export async function serveFeatureWorker(
  setup: WorkerSetup,
  port: { post(m: FromWorker, transfer?: ArrayBuffer[]): void; listen(onMessage: (m: ToWorker) => void): void },
): Promise<void> {
  try {
    const model = await openReplica(setup, { kind: 'head' });
    port.listen(async (m) => {
      try {
        const r = await featuresOfBatches(model, m.examples, m.batches, m.pad, undefined, (done) =>
          port.post({ type: 'progress', id: m.id, done }),
        );
        const rows = m.examples.map((_, k) => r.rows.get(k)!);
        port.post(
          { type: 'rows', id: m.id, rows, width: r.width, perToken: r.perToken },
          rows.map((x) => x.buffer as ArrayBuffer),
        );
      } catch (e) {
        port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    });
    port.post({ type: 'ready' });
  } catch (e) {
    port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

/** Where a feature pool's threads come from: how many, how to start one, and its backend. */
export interface FeatureThreads {
  threads: number;
  start: StartWorker;
  backend: InitOptions;
}

/**
 * Runs `fn` with the encoder's features computed on a pool of `threads` (each opens the model's weights; the head
 * runs in this thread), or in this thread when there is none, one, or the pool cannot start (`onFallback` hears why).
 */
export async function withFeaturePool<T>(
  model: TaskModel,
  threads: FeatureThreads | undefined,
  fn: (extract?: FeatureExtractor) => Promise<T>,
  opts: { onProgress?: (done: number, total: number) => void; onFallback?: (e: Error) => void } = {},
): Promise<T> {
  let pool: FeaturePool | null = null;
  if (threads && threads.threads > 1) {
    try {
      pool = await createFeaturePool(model, threads.threads, threads.start, threads.backend, opts.onProgress);
    } catch (e) {
      opts.onFallback?.(e instanceof Error ? e : new Error(String(e)));
    }
  }
  try {
    return await fn(pool?.extract);
  } finally {
    await pool?.close();
  }
}
