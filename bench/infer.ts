// `npm run bench:infer`: inference throughput of one model in three runtimes, as JSON lines: (a) the engine's own batch
// inference (predict(), TF.js wasm, batch 32), (b) the exported ONNX graph in onnxruntime-node on the same batches
// (intraOpNumThreads = every core), (c) the exported folder in transformers.js' text-classification pipeline (the same
// texts per call, its own tokenizer included). Models: the bundled USE-Lite (loaded as the CLI does) and a tiny BERT
// of BERT-Tiny's shape with a real WordPiece tokenizer (tests/helpers/tiny-hf.ts), each with a random 2-label head.
// Texts: the first BENCH_INFER_N (default 500) SST-2 validation sentences from ../shared (or $FINETUNE_SHARED).
// Each line: samples/s (the median of BENCH_REPS timed passes, default 3, after one warm-up pass), whether the figure
// includes tokenization, and the largest |probability − engine's| as a check that the runtimes agree.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { env, pipeline, type TextClassificationPipeline } from '@huggingface/transformers';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../lib/backend/init';
import { onnxFolderFiles, toOnnx } from '../lib/export/onnx/index';
import { fsSource } from '../lib/io/fs-source';
import { openModelFiles } from '../lib/models/open';
import { createTaskModel } from '../lib/models/task-model';
import type { TaskModel } from '../lib/models/types';
import { makeTensorBatch } from '../lib/train/batching';
import type { EncodedExample } from '../lib/train/encode';
import { evalBatches } from '../lib/train/evaluate';
import { predict } from '../lib/train/predict';
import { sharedPath } from '../tests/helpers/shared';
import { tinyHfDir } from '../tests/helpers/tiny-hf';
import { median } from './train-shapes';
import { loadBundledUseLite } from './use-lite';

const N = Number(process.env.BENCH_INFER_N ?? 500);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const BATCH = 32;
const THREADS = cpus().length;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function emit(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/** samples/s: one warm-up pass, then the median of REPS timed passes over all texts. */
async function rate(pass: () => Promise<number[][]>): Promise<{ samplesPerSec: number; probs: number[][] }> {
  const probs = await pass();
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    await pass();
    times.push((performance.now() - t0) / 1000);
  }
  return { samplesPerSec: probs.length / median(times), probs };
}

const softmax = (row: ArrayLike<number>) => {
  const m = Math.max(...Array.from(row));
  const e = Array.from(row, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

function maxDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.map((row, i) => Math.max(...row.map((x, j) => Math.abs(x - b[i][j])))));
}

/** One batch as onnxruntime feeds (int64), padded to its longest as the engine pads it. */
function onnxFeeds(examples: EncodedExample[], idx: number[], padId: number, tokenTypes: boolean): Record<string, ort.Tensor> {
  const b = makeTensorBatch(examples, idx, { padId, multiple: 1 });
  const int64 = (t: tf.Tensor) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(t.dataSync(), (v) => BigInt(v)),
      t.shape,
    );
  const f: Record<string, ort.Tensor> = { input_ids: int64(b.inputIds), attention_mask: int64(b.attentionMask) };
  if (tokenTypes) f.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b.inputIds.size), b.inputIds.shape);
  tf.dispose([b.inputIds, b.attentionMask, b.tokenTypeIds].filter((t): t is tf.Tensor2D => Boolean(t)));
  return f;
}

/** `folder`: the transformers.js folder name; `folderConfig` may adjust its config.json. */
async function benchModel(
  name: string,
  folder: string,
  model: TaskModel,
  texts: string[],
  folderConfig?: (c: Record<string, unknown>) => void,
) {
  const encs = texts.map((t) => model.tokenizer.encode(t, undefined, { maxLength: model.tokenizer.modelMaxLength }));
  const examples = encs.map((e) => ({ ...e, label: 0 }));
  const batches = evalBatches(examples, BATCH);
  const tokens = encs.reduce((a, e) => a + e.ids.length, 0) / encs.length;
  const common = { model: name, samples: texts.length, batch: BATCH, meanTokens: round(tokens, 1) };

  const engine = await rate(async () => (await predict(model, encs, { batchSize: BATCH, padMultiple: 1 })) as number[][]);
  emit({ bench: 'infer', runtime: 'engine (tfjs wasm)', ...common, samplesPerSec: round(engine.samplesPerSec), tokenization: false });

  const bytes = await toOnnx(model);
  // every core, and one thread: the engine's wasm backend runs on one thread in Node (no cross-origin isolation)
  for (const threads of [...new Set([THREADS, 1])]) {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
    const feeds = batches.map((idx) => onnxFeeds(examples, idx, model.tokenizer.padId, session.inputNames.includes('token_type_ids')));
    const onnx = await rate(async () => {
      const out: number[][] = new Array(texts.length);
      for (let k = 0; k < batches.length; k++) {
        const { logits } = await session.run(feeds[k], ['logits']);
        const c = logits.dims[1];
        const data = logits.data as Float32Array;
        batches[k].forEach((i, r) => (out[i] = softmax(data.subarray(r * c, (r + 1) * c))));
      }
      return out;
    });
    emit({
      bench: 'infer',
      runtime: 'onnxruntime-node',
      ...common,
      threads,
      samplesPerSec: round(onnx.samplesPerSec),
      tokenization: false,
      maxProbDiffVsEngine: maxDiff(onnx.probs, engine.probs),
    });
    await session.release();
  }

  const root = mkdtempSync(join(tmpdir(), 'finetune-bench-infer-'));
  for (const [path, content] of Object.entries(await onnxFolderFiles(model))) {
    const file = join(root, folder, path);
    mkdirSync(dirname(file), { recursive: true });
    if (path === 'config.json' && folderConfig) {
      const c = JSON.parse(content as string) as Record<string, unknown>;
      folderConfig(c);
      writeFileSync(file, JSON.stringify(c, null, 2));
    } else writeFileSync(file, content);
  }
  env.allowRemoteModels = false;
  env.localModelPath = root;
  try {
    const clf = (await pipeline('text-classification', folder, {
      dtype: 'fp32',
      session_options: { intraOpNumThreads: THREADS },
    })) as TextClassificationPipeline;
    const tjs = await rate(async () => {
      const out: number[][] = new Array(texts.length);
      for (const idx of batches) {
        const res = (await clf(
          idx.map((i) => texts[i]),
          { top_k: null },
        )) as { label: string; score: number }[][];
        idx.forEach((i, r) => (out[i] = model.labels.map((l) => res[r].find((x) => x.label === l)!.score)));
      }
      return out;
    });
    emit({
      bench: 'infer',
      runtime: 'transformers.js (onnxruntime-node)',
      ...common,
      threads: THREADS,
      samplesPerSec: round(tjs.samplesPerSec),
      tokenization: true,
      maxProbDiffVsEngine: maxDiff(tjs.probs, engine.probs),
    });
    await clf.dispose();
  } catch (e) {
    emit({ bench: 'infer', runtime: 'transformers.js (onnxruntime-node)', ...common, error: (e as Error).message });
  }
}

export async function benchInfer(): Promise<void> {
  const file = sharedPath('datasets', 'sst2', 'stsa.binary.dev');
  if (!file) {
    emit({ bench: 'infer', skipped: '../shared/datasets/sst2/stsa.binary.dev not found (set FINETUNE_SHARED)' });
    return;
  }
  const texts = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, N)
    .map((l) => l.slice(2));
  const info = await initBackend({ preference: 'wasm' });
  emit({ bench: 'infer-setup', backend: info.backend, tfjsThreads: info.threads, cores: THREADS, ort: ort.env.versions.common });
  const models = (process.env.BENCH_MODELS ?? 'bert-tiny,use-lite').split(',');
  const labels = ['negative', 'positive'];
  if (models.includes('bert-tiny')) {
    const dir = tinyHfDir('bert', { hidden: 128, layers: 2, heads: 2, intermediate: 512, positions: 512, std: 0.02 });
    const base = await openModelFiles(fsSource(dir));
    const model = createTaskModel({
      encoder: base.encoder,
      tokenizer: base.tokenizer!,
      task: 'classification',
      labels,
      mode: { kind: 'full' },
      seed: 1,
    });
    await benchModel('bert-tiny-shape (tiny-hf WordPiece)', 'bert-tiny', model, texts);
    model.dispose();
  }
  if (models.includes('use-lite')) {
    const { encoder, tokenizer } = await loadBundledUseLite();
    const model = createTaskModel({ encoder, tokenizer, task: 'classification', labels, mode: { kind: 'full' }, seed: 1 });
    // transformers.js has no "use-lite" model type: its generic sequence classifier (any model_type it knows that takes
    // input_ids + attention_mask and returns logits) runs the graph as it is
    await benchModel('use-lite', 'use-lite', model, texts, (c) => {
      c.model_type = 'bert';
    });
    model.dispose();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await benchInfer();
}
