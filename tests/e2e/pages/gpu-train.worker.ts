/// <reference lib="webworker" />
// Page worker of tests/e2e/webgpu-train.test.ts: ten fineTune() steps of a tiny random BERT (dropout on, clipping on,
// a weight average) on the backend asked for, reporting the backend it got, every step's loss and the final weights.
import { initBackend } from '@/lib/backend/init';
import { createBert, randomBertParams } from '@/lib/models/bert';
import { createTaskModel } from '@/lib/models/task-model';
import type { BackendPreference } from '@/lib/backend/select';
import type { TextTokenizer } from '@/lib/models/types';
import { fineTune } from '@/lib/train/fine-tune';
import { lcg32 } from '@/lib/rng';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const CFG = {
  vocab_size: 200,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 64,
};
const tokenizer: TextTokenizer = {
  kind: 'hf',
  vocabSize: CFG.vocab_size,
  padId: 0,
  modelMaxLength: 64,
  encode() {
    throw new Error('token ids are given');
  },
  files: () => ({}),
};

scope.onmessage = async (e: MessageEvent<{ backend: BackendPreference }>) => {
  try {
    const info = await initBackend({ preference: e.data.backend, wasmPath: '/wasm/', wasmThreads: false });
    const rand = lcg32(7);
    const examples = Array.from({ length: 40 }, () => {
      const len = 4 + Math.floor(rand() * 20);
      return { ids: Array.from({ length: len }, () => 5 + Math.floor(rand() * 190)), label: rand() < 0.5 ? 0 : 1 };
    });
    const model = createTaskModel({
      encoder: createBert(CFG, randomBertParams(CFG, 3)),
      tokenizer,
      task: 'classification',
      labels: ['a', 'b'],
      mode: { kind: 'full' },
      seed: 3,
    });
    const losses: number[] = [];
    const config = {
      epochs: 2,
      batchSize: 8,
      learningRate: 1e-3,
      maxSteps: 10,
      seed: 5,
      maxGradNorm: 0.5,
      emaDecay: 0.9,
      bucketWindow: 1,
      padMultiple: 16,
    };
    for await (const ev of fineTune(model, { train: examples, validation: [] }, config)) {
      if (ev.type === 'error') throw new Error(ev.error.message);
      if (ev.type === 'step') losses.push(ev.loss);
    }
    const weights: Record<string, number[]> = {};
    for (const [name, v] of model.variables()) weights[name] = Array.from((await v.data()) as Float32Array);
    scope.postMessage({ backend: info.backend, fallbackAdapter: info.adapter?.isFallbackAdapter ?? null, losses, weights });
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
