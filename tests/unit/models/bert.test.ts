import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '@/tests/helpers/tf';
import { bertConfig, createBert, embeddingLookup, randomBertParams } from '@/lib/models/bert';
import { UserError } from '@/lib/errors';

const tiny = bertConfig({
  vocab_size: 50,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 16,
});

function batch(ids: number[][], mask: number[][], types?: number[][]) {
  return {
    inputIds: tf.tensor2d(ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(mask, undefined, 'int32'),
    tokenTypeIds: types ? tf.tensor2d(types, undefined, 'int32') : undefined,
  };
}

describe('BERT encoder', () => {
  beforeAll(useWasm);

  it('random init follows HF: N(0, initializer_range) weights, zero biases, LayerNorm 1/0, deterministic per seed', () => {
    const p = randomBertParams(tiny, 3);
    const q = randomBertParams(tiny, 3);
    const w = p.get('encoder.layer.0.attention.self.query.weight')!;
    expect(w.shape).toEqual([32, 32]);
    const std = tf.moments(w).variance.sqrt().dataSync()[0];
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    expect(Array.from(w.dataSync())).toEqual(Array.from(q.get('encoder.layer.0.attention.self.query.weight')!.dataSync()));
    expect(Array.from(p.get('encoder.layer.1.output.dense.bias')!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(p.get('embeddings.LayerNorm.weight')!.dataSync()).every((v) => v === 1)).toBe(true);
    expect(p.get('encoder.layer.1.intermediate.dense.weight')!.shape).toEqual([64, 32]);
    expect(p.has('pooler.dense.weight')).toBe(true);
    for (const v of [...p.values(), ...q.values()]) v.dispose();
  });

  it('gives [B,T,H] states, a tanh pooler, and padded positions do not change the real tokens', () => {
    const enc = createBert(tiny);
    const a = tf.tidy(() => enc.forward(batch([[2, 5, 7, 3]], [[1, 1, 1, 1]]), { training: false }).sequence.arraySync());
    const out = tf.tidy(() => {
      const o = enc.forward(batch([[2, 5, 7, 3, 0, 0]], [[1, 1, 1, 1, 0, 0]], [[0, 0, 0, 0, 0, 0]]), {
        training: false,
        outputHiddenStates: true,
      });
      return { seq: o.sequence.arraySync(), pooled: o.pooled.arraySync(), n: o.hiddenStates!.length, shape: o.sequence.shape };
    });
    expect(out.shape).toEqual([1, 6, 32]);
    expect(out.n).toBe(3);
    expect(out.pooled[0].every((v) => Math.abs(v) <= 1)).toBe(true);
    for (let t = 0; t < 4; t++) for (let h = 0; h < 32; h++) expect(Math.abs(out.seq[0][t][h] - a[0][t][h])).toBeLessThan(1e-5);
    enc.dispose();
  });

  it('token type ids change the output', () => {
    const enc = createBert(tiny);
    const d = tf.tidy(() => {
      const x = enc.forward(batch([[2, 5, 7]], [[1, 1, 1]], [[0, 0, 0]]), { training: false }).sequence;
      const y = enc.forward(batch([[2, 5, 7]], [[1, 1, 1]], [[0, 1, 1]]), { training: false }).sequence;
      return x.sub(y).abs().max().dataSync()[0];
    });
    expect(d).toBeGreaterThan(1e-3);
    enc.dispose();
  });

  it('seeded dropout repeats for the same seed and differs from eval', () => {
    const enc = createBert(tiny);
    const b = batch([[2, 5, 7, 9]], [[1, 1, 1, 1]]);
    const r = tf.tidy(() => {
      const x = enc.forward(b, { training: true, seed: 11 }).sequence;
      const y = enc.forward(b, { training: true, seed: 11 }).sequence;
      const z = enc.forward(b, { training: false }).sequence;
      return [x.sub(y).abs().max().dataSync()[0], x.sub(z).abs().max().dataSync()[0]];
    });
    expect(r[0]).toBe(0);
    expect(r[1]).toBeGreaterThan(1e-4);
    enc.dispose();
  });

  it('embedding lookup gradient sums repeated ids into their rows (wasm has no UnsortedSegmentSum)', () => {
    const table = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const ids = tf.tensor2d(
      [
        [0, 2],
        [0, 0],
      ],
      undefined,
      'int32',
    );
    const w = tf.tensor3d([
      [
        [1, 10],
        [2, 20],
      ],
      [
        [3, 30],
        [4, 40],
      ],
    ]);
    const g = tf.grad((t: tf.Tensor) => embeddingLookup(t, ids).mul(w).sum())(table);
    expect(g.arraySync()).toEqual([
      [8, 80],
      [0, 0],
      [2, 20],
    ]);
    expect(embeddingLookup(table, ids).arraySync()).toEqual([
      [
        [1, 2],
        [5, 6],
      ],
      [
        [1, 2],
        [1, 2],
      ],
    ]);
    tf.dispose([table, ids, w, g]);
  });

  it('gradients reach every parameter', () => {
    const enc = createBert(tiny);
    const b = batch(
      [
        [2, 5, 7, 9],
        [2, 4, 0, 0],
      ],
      [
        [1, 1, 1, 1],
        [1, 1, 0, 0],
      ],
      [
        [0, 0, 1, 1],
        [0, 0, 0, 0],
      ],
    );
    const { grads, value } = tf.variableGrads(
      () => enc.forward(b, { training: false }).pooled.square().sum() as tf.Scalar,
      [...enc.params.values()],
    );
    let nonzero = 0;
    for (const g of Object.values(grads)) if (g.abs().max().dataSync()[0] > 0) nonzero++;
    // every tensor except unused embedding rows' matrices gets gradient
    expect(nonzero).toBe(enc.params.size);
    tf.dispose([value, ...Object.values(grads)]);
    enc.dispose();
  });

  it('rejects sequences longer than max_position_embeddings with a UserError', () => {
    const enc = createBert(tiny);
    const ids = [Array.from({ length: 17 }, () => 1)];
    expect(() => tf.tidy(() => enc.forward(batch(ids, ids), { training: false }).sequence)).toThrow(UserError);
    enc.dispose();
  });

  it('missing or mis-shaped parameters are a UserError naming the tensor', () => {
    const p = randomBertParams(tiny, 1);
    p.get('encoder.layer.1.output.dense.weight')!.dispose();
    p.set('encoder.layer.1.output.dense.weight', tf.variable(tf.zeros([3, 3])));
    expect(() => createBert(tiny, p)).toThrow(/encoder\.layer\.1\.output\.dense\.weight/);
    for (const v of p.values()) v.dispose();
  });

  it('create + forward + dispose returns the tensor count to baseline', () => {
    const before = tf.memory().numTensors;
    const enc = createBert(tiny);
    tf.tidy(() => {
      enc.forward(batch([[2, 5]], [[1, 1]]), { training: false });
    });
    enc.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
