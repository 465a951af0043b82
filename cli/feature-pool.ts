// Head-only feature extraction spread over Node worker threads. The wasm backend runs on one thread, and computing
// the frozen encoder's features is most of a head-only run, so the CLI splits it: this thread takes one share of the
// length-sorted evaluation batches, each worker (a thread with its own wasm backend and a copy of the model, sent as
// Hugging Face files) another. The engine sees only a FeatureExtractor (lib/train/features.ts); the rows are the
// same as in-thread extraction (tested).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { taskModelFiles } from '../lib/models/open';
import type { TaskModel } from '../lib/models/types';
import { planEval } from '../lib/train/batching';
import type { EncodedExample } from '../lib/train/encode';
import { featuresOfBatches, type FeatureExtractor } from '../lib/train/features';

export interface FeaturePool {
  extract: FeatureExtractor;
  /** threads that compute features, this one included */
  threads: number;
  close(): Promise<void>;
}

/** What a worker starts from: the model as Hugging Face files, and the task and labels its head was built for. */
export interface WorkerSetup {
  files: Record<string, string | Uint8Array>;
  task: TaskModel['task'];
  labels: string[];
}

/** Messages between the pool and cli/feature-worker.ts. */
export type ToWorker = { id: number; examples: EncodedExample[]; batches: number[][]; pad: { padId: number; multiple: number; cap?: number } };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'rows'; id: number; rows: Float32Array[]; width: number; perToken: boolean }
  | { type: 'progress'; id: number; done: number }
  | { type: 'error'; message: string };

/** The default number of threads: every core the process may use, at most 8. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** Starts `threads - 1` workers, each holding a copy of the model's encoder. Rejects if one fails to start. */
export async function createFeaturePool(model: TaskModel, threads: number, onProgress?: (done: number, total: number) => void): Promise<FeaturePool> {
  const setup: WorkerSetup = { files: await taskModelFiles(model), task: model.task, labels: model.labels };
  const workers: Worker[] = [];
  const start = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const w = new Worker(new URL('./bin/feature-worker.mjs', import.meta.url), { workerData: setup });
      workers.push(w);
      const fail = (e: Error) => reject(new Error(`a feature worker did not start: ${e.message}`));
      w.once('error', fail);
      w.once('message', (m: FromWorker) => (m.type === 'ready' ? resolve(w) : fail(new Error(m.type === 'error' ? m.message : `unexpected "${m.type}"`))));
    });
  const close = async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    await Promise.all(Array.from({ length: threads - 1 }, start));
  } catch (e) {
    await close();
    throw e;
  }
  let nextId = 0;
  const extract: FeatureExtractor = async (examples, batchSize, pad, signal) => {
    // batches sorted by length, dealt round-robin: every thread gets short and long ones alike
    const batches = planEval(examples.map((e) => e.ids.length), batchSize);
    const parts = Array.from({ length: workers.length + 1 }, (_, p) => batches.filter((_, k) => k % (workers.length + 1) === p));
    const rows: Float32Array[] = new Array(examples.length);
    const progress = new Array<number>(parts.length).fill(0);
    const report = (p: number, done: number) => {
      progress[p] = done;
      onProgress?.(progress.reduce((a, b) => a + b, 0), examples.length);
    };
    let shape = { width: 0, perToken: false };
    const remote = workers.map((w, i) => {
      const part = parts[i + 1];
      const ids = part.flat();
      let next = 0;
      const local = part.map((b) => b.map(() => next++)); // the batches as indices into the examples sent
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        const onMessage = (m: FromWorker) => {
          if (m.type === 'progress' && m.id === id) report(i + 1, m.done);
          else if (m.type === 'rows' && m.id === id) {
            m.rows.forEach((r, k) => (rows[ids[k]] = r));
            shape = { width: m.width, perToken: m.perToken };
            done();
            resolve();
          } else if (m.type === 'error') {
            done();
            reject(new Error(`feature worker: ${m.message}`));
          }
        };
        const onError = (e: Error) => {
          done();
          reject(e);
        };
        const done = () => {
          w.off('message', onMessage);
          w.off('error', onError);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.postMessage({ id, examples: ids.map((k) => examples[k]), batches: local, pad } satisfies ToWorker);
      });
    });
    const mine = await featuresOfBatches(model, examples, parts[0], pad, signal, (done) => report(0, done));
    mine.rows.forEach((r, k) => (rows[k] = r));
    if (signal?.aborted) {
      // the workers finish their share unobserved; the caller stops on the signal
      remote.forEach((p) => p.catch(() => undefined));
      return { rows, ...shape };
    }
    await Promise.all(remote);
    if (parts[0].length) shape = { width: mine.width, perToken: mine.perToken };
    return { rows, ...shape };
  };
  return { extract, threads: workers.length + 1, close };
}
