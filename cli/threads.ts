// The CLI's pool threads: Node worker threads (cli/pool-worker.ts) for head-only features (lib/train/feature-pool.ts)
// and data-parallel training (lib/train/train-pool.ts).
import { availableParallelism, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TaskModel } from '../lib/models/types';
import { createFeaturePool, withFeaturePool as withPool, type FeaturePool } from '../lib/train/feature-pool';
import type { FeatureExtractor } from '../lib/train/features';
import type { Cli } from './context';
import type { StartWorker } from '../lib/train/pool-port';
import { UserError } from '../lib/errors';
import type { ThreadsPort } from '../lib/run/train-run';
import { maxThreads } from '../lib/run/threads';

export type { FeaturePool };

/** The default number of threads: every core the process may use. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/** The run's pool threads from --threads (every core when absent): 1 to 4 per core, else a UserError naming it. */
export function threadsPort(requested: number | undefined): ThreadsPort {
  const cores = defaultThreads();
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > maxThreads(cores))) {
    throw new UserError(
      `--threads ${requested} is not a thread count this machine can use ` +
        `(1 to ${maxThreads(cores)}: 4 per core, ${cores} core${cores > 1 ? 's' : ''})`,
      { option: '--threads' },
      `leave it out to use every core (${cores})`,
    );
  }
  return {
    threads: requested ?? cores,
    requested: requested !== undefined,
    memoryBytes: totalmem(),
    start: startNodeWorker,
    backend: { preference: 'wasm' },
  };
}

export const startNodeWorker: StartWorker = (setup) => {
  const w = new Worker(new URL('./bin/pool-worker.mjs', import.meta.url), { workerData: setup });
  let closing = false;
  return {
    post: (m, transfer = []) => w.postMessage(m, transfer),
    listen(onMessage, onError) {
      const m = (x: unknown) => onMessage(x);
      // a thread that ends without an error event (killed, out of memory) fails whoever waits on it
      const exit = (code: number) => !closing && onError(new Error(`the thread exited (code ${code})`));
      w.on('message', m);
      w.on('error', onError);
      w.on('exit', exit);
      return () => {
        w.off('message', m);
        w.off('error', onError);
        w.off('exit', exit);
      };
    },
    terminate: () => {
      closing = true;
      return w.terminate();
    },
  };
};

export function createNodeFeaturePool(
  model: TaskModel,
  threads: number,
  onProgress?: (done: number, total: number) => void,
): Promise<FeaturePool> {
  return createFeaturePool(model, threads, startNodeWorker, { preference: 'wasm' }, onProgress);
}

/** lib/train/feature-pool.ts's withFeaturePool on `threads` Node worker threads: progress on stderr under `label`,
 *  and a line saying so when the pool cannot start. */
export function withFeaturePool<T>(
  model: TaskModel,
  threads: number,
  cli: Cli,
  label: string,
  fn: (extract?: FeatureExtractor) => Promise<T>,
): Promise<T> {
  return withPool(model, { threads, start: startNodeWorker, backend: { preference: 'wasm' } }, fn, {
    onProgress: (done, total) => cli.progress.update({ label, done, total }),
    onFallback: (e) => cli.log(`computing ${label} in one thread: ${e.message}`),
  });
}
