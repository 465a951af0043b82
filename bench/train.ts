// `npm run bench:train`: training and inference throughput of the engine on the wasm backend, as JSON lines.
// Training goes through the real fineTune() loop (batching, loss, AdamW, clipping); inference through the model's
// forward. Each line also carries analytic GFLOP/s (bench/flops.ts) and the efficiency against this run's own 512×512
// matmul GFLOP/s, measured just before each line (the machine may be shared).
// Training on 1 thread and on every core is measured in alternating segments and the speed-up paired within each
// round (bench/paired-rates.ts: this machine's speed moves too much within a minute for figures taken apart).
// Environment: BENCH_STEPS (timed training steps per segment, default 6), BENCH_WARMUP (default 3: a segment's first
// steps are slower), BENCH_ROUNDS (rounds of segments, default 4), BENCH_MODELS (comma list of bert-tiny,use-lite;
// default both), BENCH_THREADS (thread counts beside 1, default every core), BENCH_SEQ (sequence lengths, default
// 64,128), BENCH_BROWSER=0 (skip the Chromium half, bench/train-browser.ts), BENCH_STOCK_KERNELS=1 (tfjs's own wasm
// BatchMatMul/GatherV2, for comparison).
import * as tf from '@tensorflow/tfjs';
import { backendMemoryBytes } from '../lib/backend/fast-paths';
import { initBackend } from '../lib/backend/init';
import { createBert } from '../lib/models/bert';
import { createTaskModel } from '../lib/models/task-model';
import type { FineTuneMode, TaskModel } from '../lib/models/types';
import { makeTensorBatch } from '../lib/train/batching';
import { BERT_TINY, idsOnlyTokenizer, median, syntheticExamples } from './train-shapes';
import { createTrainPool } from '../lib/train/train-pool';
import { pairedRates } from './paired-rates';
import { defaultThreads, startNodeWorker } from '../cli/threads';
import { bertFlopShape, forwardFlops, trainingFlops, useLiteFlopShape, type FlopShape } from './flops';
import { loadBundledUseLite } from './use-lite';
import { benchTrainBrowser } from './train-browser';

const STEPS = Number(process.env.BENCH_STEPS ?? 6);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** thread counts to train with: 1 and every core (BENCH_THREADS overrides, e.g. "1,2,4") */
const THREADS = process.env.BENCH_THREADS ? process.env.BENCH_THREADS.split(',').map(Number) : [...new Set([1, defaultThreads()])];

function emit(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/** GFLOP/s of a square matmul, the median of `reps` timed runs after a warm-up. */
export function matmulGflops(n = 512, reps = 20): number {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const once = () => {
    const c = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
    c.dataSync();
    c.dispose();
  };
  for (let i = 0; i < 3; i++) once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    once();
    times.push((performance.now() - t0) / 1000);
  }
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / median(times) / 1e9;
}

function inferSamplesPerSec(model: TaskModel, seqLen: number): number {
  const ex = syntheticExamples(BATCH, seqLen, model.tokenizer.vocabSize, 7);
  const idx = ex.map((_, i) => i);
  const batch = makeTensorBatch(ex, idx, { padId: model.tokenizer.padId, multiple: 16, cap: model.tokenizer.modelMaxLength });
  const once = () => tf.tidy(() => model.forward(batch, { training: false }).dataSync());
  for (let i = 0; i < WARMUP; i++) once();
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    once();
    times.push((performance.now() - t0) / 1000);
  }
  tf.dispose([batch.inputIds, batch.attentionMask, batch.tokenTypeIds].filter((t): t is tf.Tensor2D => Boolean(t)));
  return BATCH / median(times);
}

/** The machine is shared: the matmul reference is measured around each model measurement, not once. */
async function benchModel(name: string, make: () => Promise<TaskModel>, shape: FlopShape): Promise<void> {
  for (const seqLen of (process.env.BENCH_SEQ ?? '64,128').split(',').map(Number)) {
    const model = await make();
    try {
      // the reference is the mean of a matmul measured just before and just after, so a change in the machine's load
      // during the measurement shows in both figures
      const around = async <T>(f: () => T | Promise<T>): Promise<{ value: T; matmul: number; spread: number }> => {
        const before = matmulGflops();
        const value = await f();
        const after = matmulGflops();
        return { value, matmul: (before + after) / 2, spread: Math.abs(before - after) / Math.max(before, after) };
      };
      const tr = await around(() =>
        pairedRates(model, THREADS, (n) => createTrainPool(model, n, startNodeWorker, { preference: 'wasm' }), {
          batch: BATCH,
          steps: STEPS,
          warmup: WARMUP,
          rounds: ROUNDS,
          examples: syntheticExamples(BATCH * (WARMUP + STEPS), seqLen, model.tokenizer.vocabSize, seqLen),
        }),
      );
      for (const r of tr.value) {
        const trainGflops = (r.samplesPerSec * trainingFlops(shape, 1, seqLen)) / 1e9;
        // wasm heaps never shrink: the calling thread's includes the models measured before this line
        const memory = [backendMemoryBytes(), ...r.poolMemory];
        // efficiency: achieved GFLOP/s over what `threads` single-thread matmuls would reach
        emit({
          bench: 'train',
          model: name,
          mode: model.mode.kind,
          batch: BATCH,
          seqLen,
          threads: r.threads,
          samplesPerSec: round(r.samplesPerSec),
          ...(r.speedup ? { speedup: round(r.speedup), speedups: r.speedups!.map((x) => round(x)) } : {}),
          gflops: round(trainGflops),
          matmulGflops: round(tr.matmul),
          matmulSpread: round(tr.spread),
          efficiency: round(trainGflops / (tr.matmul * r.threads), 3),
          heapMBPerThread: memory.map((b) => Math.round(b / 2 ** 20)),
          heapMBTotal: Math.round(memory.reduce((a, b) => a + b, 0) / 2 ** 20),
        });
      }
      const inf = await around(() => inferSamplesPerSec(model, seqLen));
      const inferGflops = (inf.value * forwardFlops(shape, 1, seqLen)) / 1e9;
      emit({
        bench: 'inference',
        model: name,
        batch: BATCH,
        seqLen,
        samplesPerSec: round(inf.value),
        gflops: round(inferGflops),
        matmulGflops: round(inf.matmul),
        matmulSpread: round(inf.spread),
        efficiency: round(inferGflops / inf.matmul, 3),
      });
    } finally {
      model.dispose();
    }
  }
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export async function benchTrain(): Promise<void> {
  const info = await initBackend({ preference: 'wasm', fastWasmKernels: process.env.BENCH_STOCK_KERNELS !== '1' });
  const models = (process.env.BENCH_MODELS ?? 'bert-tiny,use-lite').split(',');
  emit({
    bench: 'matmul',
    backend: info.backend,
    threads: info.threads,
    kernels: info.fastKernels ? 'engine' : 'stock',
    n: 512,
    gflops: round(matmulGflops()),
  });
  const full: FineTuneMode = { kind: 'full' };

  const tiny = BERT_TINY;
  if (models.includes('bert-tiny'))
    await benchModel(
      'bert-tiny-shape (random init)',
      async () =>
        createTaskModel({
          encoder: createBert(tiny),
          tokenizer: idsOnlyTokenizer(tiny.vocab_size, 512),
          task: 'classification',
          labels: ['0', '1'],
          mode: full,
          seed: 1,
        }),
      bertFlopShape(tiny),
    );

  if (models.includes('use-lite'))
    await benchModel(
      'use-lite',
      async () => {
        const { encoder, tokenizer } = await loadBundledUseLite();
        return createTaskModel({ encoder, tokenizer, task: 'classification', labels: ['0', '1'], mode: full, seed: 1 });
      },
      useLiteFlopShape({
        embedding_size: 256,
        hidden_size: 512,
        attention_sizes: [256, 512],
        intermediate_size: 1536,
        projection_size: 512,
      }),
    );

  emit({
    bench: 'matmul',
    backend: info.backend,
    n: 512,
    gflops: round(matmulGflops()),
    note: 'measured again at the end (shared machine)',
  });
  if (process.env.BENCH_BROWSER !== '0') await benchTrainBrowser();
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await benchTrain();
}
