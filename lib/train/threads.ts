// The entry every pool thread runs (a CLI worker thread, a studio Web Worker): its first message, the setup, says
// whether it computes head-only features (feature-pool.ts) or training gradients (train-pool.ts).
import { serveFeatureWorker, type FromWorker } from './feature-pool';
import type { ThreadSetup, WorkerSetup } from './pool-port';
import type { FromTrainWorker } from './grad-wire';
import { serveTrainWorker } from './train-worker';

export type { ThreadSetup };

/** The thread's side of its port: what it posts (with buffers to transfer) and how it hears requests. */
export interface ThreadPort {
  post(m: FromWorker | FromTrainWorker, transfer?: ArrayBuffer[]): void;
  /** `onMessage` takes the requests of the thread's role (ToWorker or ToTrainWorker) */
  listen(onMessage: (m: never) => void): void;
}

export function serveThread(setup: ThreadSetup, port: ThreadPort): Promise<void> {
  return 'role' in setup && setup.role === 'train' ? serveTrainWorker(setup, port) : serveFeatureWorker(setup as WorkerSetup, port);
}
