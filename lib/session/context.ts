// What every session operation gets from its adapter (the worker, or a Node host): a way to post events and to
// report progress with an ETA. Keeps lib/session free of worker globals.
import type { EngineEvent, Progress } from '../protocol';
import type { ThreadsPort } from '../run/train-run';

export interface SessionHost {
  post(ev: EngineEvent, transfer?: Transferable[]): void;
  /** Where the runtime can start threads: runs on wasm train data-parallel on them (lib/train/train-pool.ts), or in
   *  head-only mode compute the encoder's features on them (lib/train/feature-pool.ts). */
  threads?: ThreadsPort;
}

/** Progress reporter for one request: throttled to ~5 messages per second, with an ETA from the rate so far. */
export function progressReporter(
  host: SessionHost,
  requestId: string,
  task: string,
): (done: number, total: number, taskOverride?: string) => void {
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

/** Lets queued messages (pause, stop, a prediction) run between two pieces of work: a task through a MessageChannel,
 *  which browsers do not clamp as they clamp a nested setTimeout(0) to 4 ms (a head-only step on cached features takes
 *  1-3 ms: a timeout after each tripled that phase of the studio's runs). */
export function yieldToMessages(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((r) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      r();
    };
    port2.postMessage(null);
  });
}
