/// <reference lib="webworker" />
// The page worker of bench/train-browser.ts: bert-tiny-shape or the bundled USE-Lite (fetched as the studio fetches
// it) full fine-tuning through the engine's fineTune(), in one thread or data-parallel on Web Workers
// (workers/pool.worker.ts, as the studio starts them): 1 thread and N in alternating segments (bench/paired-rates.ts).
import { urlSource } from '../lib/io/url-source';
import { loadUseLite } from '../lib/models/use-lite-load';
import { initBackend } from '../lib/backend/init';
import { createBert } from '../lib/models/bert';
import { createTaskModel } from '../lib/models/task-model';
import { createTrainPool } from '../lib/train/train-pool';
import { webWorkerStarter } from '../workers/start-pool-worker';
import { pairedRates } from './paired-rates';
import { BERT_TINY, idsOnlyTokenizer, syntheticExamples } from './train-shapes';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const BATCH = 32;

scope.onmessage = async (
  e: MessageEvent<{ model: string; threadCounts: number[]; seqLen: number; steps: number; warmup: number; rounds: number }>,
) => {
  const { threadCounts, seqLen, steps, warmup, rounds } = e.data;
  try {
    const backend = { preference: 'wasm' as const, wasmPath: '/wasm/', wasmThreads: false };
    await initBackend(backend);
    const base =
      e.data.model === 'use-lite'
        ? await loadUseLite(urlSource('/models/use-lite/', 'USE-Lite (bundled)'))
        : { encoder: createBert(BERT_TINY), tokenizer: idsOnlyTokenizer(BERT_TINY.vocab_size, 512) };
    const model = createTaskModel({ ...base, task: 'classification', labels: ['0', '1'], mode: { kind: 'full' }, seed: 1 });
    const rates = await pairedRates(model, threadCounts, (n) => createTrainPool(model, n, webWorkerStarter('/pool.worker.js'), backend), {
      batch: BATCH,
      steps,
      warmup,
      rounds,
      examples: syntheticExamples(BATCH * (steps + warmup), seqLen, model.tokenizer.vocabSize, seqLen),
    });
    model.dispose();
    scope.postMessage({ rates });
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
