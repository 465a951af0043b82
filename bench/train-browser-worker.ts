/// <reference lib="webworker" />
// The page worker of bench/train-browser.ts: bert-tiny-shape or the bundled USE-Lite (fetched as the studio fetches
// it) full fine-tuning through the engine's fineTune(), in one thread or data-parallel on Web Workers
// (workers/pool.worker.ts, as the studio starts them), samples/s per step.
import { urlSource } from '../lib/io/url-source';
import { loadUseLite } from '../lib/models/use-lite-load';
import { initBackend } from '../lib/backend/init';
import { createBert } from '../lib/models/bert';
import { createTaskModel } from '../lib/models/task-model';
import { fineTune } from '../lib/train/fine-tune';
import { createTrainPool } from '../lib/train/train-pool';
import { webWorkerStarter } from '../workers/start-pool-worker';
import { BERT_TINY, idsOnlyTokenizer, median, syntheticExamples } from './train-shapes';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const BATCH = 32;

scope.onmessage = async (e: MessageEvent<{ model: string; threads: number; seqLen: number; steps: number; warmup: number }>) => {
  const { threads, seqLen, steps, warmup } = e.data;
  try {
    const backend = { preference: 'wasm' as const, wasmPath: '/wasm/', wasmThreads: false };
    await initBackend(backend);
    const base =
      e.data.model === 'use-lite'
        ? await loadUseLite(urlSource('/models/use-lite/', 'USE-Lite (bundled)'))
        : { encoder: createBert(BERT_TINY), tokenizer: idsOnlyTokenizer(BERT_TINY.vocab_size, 512) };
    const model = createTaskModel({ ...base, task: 'classification', labels: ['0', '1'], mode: { kind: 'full' }, seed: 1 });
    const pool = threads > 1 ? await createTrainPool(model, threads, webWorkerStarter('/pool.worker.js'), backend) : undefined;
    const train = syntheticExamples(BATCH * (steps + warmup), seqLen, model.tokenizer.vocabSize, seqLen);
    const rates: number[] = [];
    for await (const ev of fineTune(
      model,
      { train, validation: [] },
      { epochs: 1, batchSize: BATCH, learningRate: 1e-5, maxSteps: steps + warmup, bucketWindow: 1, padMultiple: 16, seed: 1 },
      { pool },
    )) {
      if (ev.type === 'error') throw new Error(ev.error.message);
      if (ev.type === 'step' && ev.step > warmup) rates.push(ev.samplesPerSec);
    }
    await pool?.close();
    model.dispose();
    scope.postMessage({ samplesPerSec: median(rates) });
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
