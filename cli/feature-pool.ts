// The CLI's head-only feature pool: lib/train/feature-pool.ts over Node worker threads (cli/feature-worker.ts).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TaskModel } from '../lib/models/types';
import { createFeaturePool, type FeaturePool, type FromWorker, type PoolPort, type WorkerSetup } from '../lib/train/feature-pool';

export type { FeaturePool };

/** The default number of threads: every core the process may use, at most 8. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

export function startNodeWorker(setup: WorkerSetup): PoolPort {
  const w = new Worker(new URL('./bin/feature-worker.mjs', import.meta.url), { workerData: setup });
  return {
    post: (m) => w.postMessage(m),
    listen(onMessage, onError) {
      const m = (x: FromWorker) => onMessage(x);
      w.on('message', m);
      w.on('error', onError);
      return () => {
        w.off('message', m);
        w.off('error', onError);
      };
    },
    terminate: () => w.terminate(),
  };
}

export function createNodeFeaturePool(model: TaskModel, threads: number, onProgress?: (done: number, total: number) => void): Promise<FeaturePool> {
  return createFeaturePool(model, threads, startNodeWorker, { preference: 'wasm' }, onProgress);
}
