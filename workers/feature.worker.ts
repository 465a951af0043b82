/// <reference lib="webworker" />
// One thread of a head-only run's feature pool (lib/train/feature-pool.ts), started by the engine worker: the first
// message is its setup (the model's files), every later one a request for features.
import { serveFeatureWorker, type ToWorker, type WorkerSetup } from '../lib/train/feature-pool';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let deliver: ((m: ToWorker) => void) | null = null;
const early: ToWorker[] = [];
scope.onmessage = (e: MessageEvent<{ setup: WorkerSetup } | ToWorker>) => {
  const m = e.data;
  if ('setup' in m) {
    void serveFeatureWorker(m.setup, {
      post: (out, transfer = []) => scope.postMessage(out, transfer),
      listen: (fn) => {
        deliver = fn;
        early.splice(0).forEach(fn);
      },
    });
  } else if (deliver) deliver(m);
  else early.push(m);
};
