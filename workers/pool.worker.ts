/// <reference lib="webworker" />
// One pool thread started by the engine worker: head-only features (lib/train/feature-pool.ts) or training gradients
// (lib/train/train-pool.ts), as its setup says (lib/train/threads.ts). The first message is the setup (the model's
// files), every later one a request.
import type { ToWorker } from '../lib/train/feature-pool';
import { serveThread, type ThreadSetup } from '../lib/train/threads';
import type { ToTrainWorker } from '../lib/train/train-pool';

const scope = self as unknown as DedicatedWorkerGlobalScope;
type Request = ToWorker | ToTrainWorker;
let deliver: ((m: never) => void) | null = null;
const early: Request[] = [];
scope.onmessage = (e: MessageEvent<{ setup: ThreadSetup } | Request>) => {
  const m = e.data;
  if ('setup' in m) {
    void serveThread(m.setup, {
      post: (out, transfer = []) => scope.postMessage(out, transfer),
      listen: (fn) => {
        deliver = fn;
        early.splice(0).forEach((m) => fn(m as never));
      },
    });
  } else if (deliver) deliver(m as never);
  else early.push(m);
};
