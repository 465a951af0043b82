// One feature-extraction thread of cli/feature-pool.ts: opens the model from the files it was sent (the encoder and
// head weights; it never tokenizes: it is sent token ids), then answers each request with the features of the
// batches it was given.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../lib/backend/init';
import { memorySource } from '../lib/io/source';
import { openModelFiles } from '../lib/models/open';
import { createTaskModel } from '../lib/models/task-model';
import type { TextTokenizer } from '../lib/models/types';
import { featuresOfBatches } from '../lib/train/features';
import type { FromWorker, ToWorker, WorkerSetup } from './feature-pool';

const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
try {
  const setup = workerData as WorkerSetup;
  await initBackend({ preference: 'wasm' });
  const opened = await openModelFiles(memorySource('feature pool', setup.files), { requireTokenizer: false });
  const tokenizer: TextTokenizer = opened.tokenizer ?? {
    kind: 'hf', vocabSize: 0, padId: 0, modelMaxLength: Number.MAX_SAFE_INTEGER,
    encode: () => { throw new Error('the feature worker is sent token ids, it does not tokenize'); },
    files: () => ({}),
  };
  const model = createTaskModel({ encoder: opened.encoder, tokenizer, task: setup.task, labels: setup.labels, mode: { kind: 'head' }, headParams: opened.headParams });
  port.on('message', async (m: ToWorker) => {
    try {
      const r = await featuresOfBatches(model, m.examples, m.batches, m.pad, undefined, (done) => post({ type: 'progress', id: m.id, done }));
      const rows = m.examples.map((_, k) => r.rows.get(k)!);
      post({ type: 'rows', id: m.id, rows, width: r.width, perToken: r.perToken }, rows.map((x) => x.buffer as ArrayBuffer));
    } catch (e) {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
