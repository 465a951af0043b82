// `node --import tsx bench/profile.ts [use-lite|bert-tiny] [seqLen] [train|infer]`: which kernels dominate one full
// fine-tuning step (forward + backward, no optimizer) or one inference forward of the engine's models on the wasm
// backend, after 8 warm-up steps (the first steps are slower while the heap grows). Prints a JSON line per kernel
// (top 15), then the top matmul/transpose/sum calls by shape. PROFILE_STOCK_KERNELS=1 profiles tfjs's own kernels;
// PROFILE_BATCH sets the batch (default 32).
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend/init';
import { createBert, type BertConfig } from '../lib/models/bert';
import { createTaskModel } from '../lib/models/task-model';
import type { TaskModel } from '../lib/models/types';
import { makeTargets, makeTensorBatch } from '../lib/train/batching';
import { taskLoss } from '../lib/train/losses';
import { loadBundledUseLite } from './use-lite';

const info = await initBackend({ preference: 'wasm', fastWasmKernels: process.env.PROFILE_STOCK_KERNELS !== '1' });

const which = process.argv[2] ?? 'use-lite';
const seqLen = Number(process.argv[3] ?? 64);
const infer = process.argv[4] === 'infer';
const B = Number(process.env.PROFILE_BATCH ?? 32);
let model: TaskModel;
if (which === 'use-lite') {
  const { encoder, tokenizer } = await loadBundledUseLite();
  model = createTaskModel({ encoder, tokenizer, task: 'classification', labels: ['0', '1'], mode: { kind: 'full' }, seed: 1 });
} else {
  const c = {
    vocab_size: 30522,
    hidden_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 512,
    ...(process.env.PROFILE_NO_DROPOUT ? { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } : {}),
  };
  const tok = {
    kind: 'hf' as const,
    vocabSize: c.vocab_size,
    padId: 0,
    modelMaxLength: 512,
    encode: () => ({ ids: [] }),
    files: () => ({}),
  };
  model = createTaskModel({
    encoder: createBert(c as BertConfig),
    tokenizer: tok,
    task: 'classification',
    labels: ['0', '1'],
    mode: { kind: 'full' },
    seed: 1,
  });
}
const ex = Array.from({ length: B }, (_, i) => ({
  ids: Array.from({ length: seqLen }, (_, j) => 5 + ((i * 131 + j * 17) % 5000)),
  label: i % 2,
}));
const idx = ex.map((_, i) => i);
const vars = [...model.trainable().values()];
const step = () =>
  tf.tidy(() => {
    if (infer)
      return model
        .forward(makeTensorBatch(ex, idx, { padId: model.tokenizer.padId, multiple: 16, cap: 512 }), { training: false })
        .dataSync()[0];
    const batch = makeTensorBatch(ex, idx, { padId: model.tokenizer.padId, multiple: 16, cap: 512 });
    const { value, grads } = tf.variableGrads(
      () =>
        taskLoss('classification', model.forward(batch, { training: true, seed: 1 }), makeTargets('classification', ex, idx, 2, seqLen), {
          labelSmoothing: 0,
        }),
      vars,
    );
    Object.values(grads).forEach((g) => g.slice(0, 1).dataSync()); // wait for every gradient without copying it out
    return value.dataSync()[0];
  });
for (let i = 0; i < 8; i++) step();
const t0 = performance.now();
const prof = await tf.profile(() => {
  step();
});
const total = performance.now() - t0;
const agg = new Map<string, { ms: number; n: number; shapes: Set<string> }>();
for (const k of prof.kernels) {
  const a = agg.get(k.name) ?? { ms: 0, n: 0, shapes: new Set<string>() };
  a.ms += k.kernelTimeMs as number;
  a.n++;
  if (a.shapes.size < 6) a.shapes.add(k.inputShapes.map((s) => `[${s}]`).join('x'));
  agg.set(k.name, a);
}
const sum = [...agg.values()].reduce((s, a) => s + a.ms, 0);
console.log(
  JSON.stringify({
    model: which,
    what: infer ? 'inference' : 'training step',
    kernels: info.fastKernels ? 'engine' : 'stock',
    batch: B,
    seqLen,
    stepMs: Math.round(total),
    kernelMs: Math.round(sum),
  }),
);
for (const [name, a] of [...agg].sort((x, y) => y[1].ms - x[1].ms).slice(0, 15)) {
  console.log(
    JSON.stringify({
      kernel: name,
      ms: Math.round(a.ms),
      share: Math.round((1000 * a.ms) / sum) / 1000,
      calls: a.n,
      exampleShapes: [...a.shapes].slice(0, 4),
    }),
  );
}
// the products, transposes and reductions by shape: where the matmul time goes
const byShape = new Map<string, { ms: number; n: number }>();
for (const k of prof.kernels) {
  if (!['BatchMatMul', 'Transpose', 'Sum'].includes(k.name)) continue;
  const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join('x')}`;
  const a = byShape.get(key) ?? { ms: 0, n: 0 };
  a.ms += k.kernelTimeMs as number;
  a.n++;
  byShape.set(key, a);
}
for (const [key, a] of [...byShape].sort((x, y) => y[1].ms - x[1].ms).slice(0, 15))
  console.log(JSON.stringify({ op: key, calls: a.n, ms: Math.round(a.ms * 10) / 10 }));
