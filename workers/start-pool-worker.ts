/// <reference lib="webworker" />
// Starts a pool thread as a Web Worker (workers/pool.worker.ts, bundled at `url`): the engine worker's threads for
// data-parallel training and head-only features, and the Chromium training benchmark's (bench/train-browser.ts).
import type { StartWorker } from '../lib/train/pool-port';

export function webWorkerStarter(url: URL | string): StartWorker {
  return (setup) => {
    const w = new Worker(url, { type: 'module' });
    w.postMessage({ setup });
    return {
      post: (m, transfer = []) => w.postMessage(m, transfer),
      listen(onMessage, onError) {
        const m = (e: MessageEvent<unknown>) => onMessage(e.data);
        const err = (e: ErrorEvent) => onError(new Error(e.message || 'a pool thread failed to load'));
        w.addEventListener('message', m);
        w.addEventListener('error', err);
        return () => {
          w.removeEventListener('message', m);
          w.removeEventListener('error', err);
        };
      },
      terminate: () => w.terminate(),
    };
  };
}
