// One thread of the CLI's pools (cli/threads.ts): head-only features or training gradients, as its setup says
// (lib/train/threads.ts), over Node's worker_threads port.
import { parentPort, workerData } from 'node:worker_threads';
import { serveThread, type ThreadSetup } from '../lib/train/threads';

const port = parentPort!;
await serveThread(workerData as ThreadSetup, {
  post: (m, transfer = []) => port.postMessage(m, transfer),
  listen: (onMessage) => port.on('message', (m) => onMessage(m as never)),
});
