// What every session operation gets from its adapter (the worker, or a Node host): a way to post events and to
// report progress with an ETA. Keeps lib/session free of worker globals.
import type { InitOptions } from '../backend/init';
import type { EngineEvent, Progress } from '../protocol';
import type { StartWorker } from '../train/feature-pool';

export interface SessionHost {
  post(ev: EngineEvent, transfer?: Transferable[]): void;
  /** Where the runtime can start threads: head-only runs on wasm spread the encoder's features over `threads`
   *  (lib/train/feature-pool.ts), each set up with `backend`. */
  featureWorkers?: { start: StartWorker; threads: number; backend: InitOptions };
}

/** Progress reporter for one request: throttled to ~5 messages per second, with an ETA from the rate so far. */
export function progressReporter(host: SessionHost, requestId: string, task: string): (done: number, total: number, taskOverride?: string) => void {
  const started = Date.now();
  let last = 0;
  return (done, total, taskOverride) => {
    const now = Date.now();
    if (now - last < 200 && done < total) return;
    last = now;
    const elapsed = (now - started) / 1000;
    const etaSec = total > 0 && done > 0 && elapsed > 0.5 ? (elapsed / done) * (total - done) : undefined;
    const progress: Progress = { requestId, task: taskOverride ?? task, done, total, etaSec };
    host.post({ type: 'progress', progress });
  };
}
