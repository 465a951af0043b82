// One thread of the CLI's feature pool (cli/feature-pool.ts): lib/train/feature-pool.ts's worker side over Node's
// worker_threads port.
import { parentPort, workerData } from 'node:worker_threads';
import { serveFeatureWorker, type ToWorker, type WorkerSetup } from '../lib/train/feature-pool';

const port = parentPort!;
await serveFeatureWorker(workerData as WorkerSetup, {
  post: (m, transfer = []) => port.postMessage(m, transfer),
  listen: (onMessage) => port.on('message', (m: ToWorker) => onMessage(m)),
});
