// LoRA: target mapping onto BERT's Linears, PEFT initialisation, merge equivalence, saved adapters, option errors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { linear, type LoraAdapter } from '@/lib/models/layers';
import { checkLoraMode, loraTargetPrefixes, mergedWeight } from '@/lib/models/lora';
import { createTaskModel, mergeLora } from '@/lib/models/task-model';
import type { FineTuneMode, LoraTarget } from '@/lib/models/types';
import { useWasm } from '../../helpers/tf';
import { disposeBatch, maxAbsDiff, sampleBatch, TINY, tinyEncoder, toyTokenizer } from './task-model.helpers';

beforeAll(useWasm);

const LABELS = ['a', 'b', 'c'];
const lora = (targets: LoraTarget[], rank = 4, alpha = 8, dropout = 0): FineTuneMode => ({ kind: 'lora', rank, alpha, dropout, targets });

describe('LoRA targets on BERT', () => {
  it('maps query/key/value/output/ffn onto the Hugging Face Linear prefixes of every layer', () => {
    const enc = tinyEncoder();
    const layers = (f: (i: number) => string[]) => [0, 1].flatMap(f);
    expect(loraTargetPrefixes(enc, ['query'])).toEqual(layers((i) => [`encoder.layer.${i}.attention.self.query`]));
    expect(loraTargetPrefixes(enc, ['key', 'value'])).toEqual(
      layers((i) => [`encoder.layer.${i}.attention.self.key`, `encoder.layer.${i}.attention.self.value`]),
    );
    expect(loraTargetPrefixes(enc, ['output'])).toEqual(layers((i) => [`encoder.layer.${i}.attention.output.dense`]));
    expect(loraTargetPrefixes(enc, ['ffn'])).toEqual(
      layers((i) => [`encoder.layer.${i}.intermediate.dense`, `encoder.layer.${i}.output.dense`]),
    );
    // the pooler is never a target, and asking twice for a target does not duplicate adapters
    expect(loraTargetPrefixes(enc, ['query', 'key', 'value', 'output', 'ffn', 'query']).length).toBe(2 * 6);
    enc.dispose();
  });
});

describe('LoRA targets on DistilBERT', () => {
  it("the encoder's own linearPrefixes and lora.ts's name patterns select the same q_lin/k_lin/v_lin/out_lin/ffn Linears", () => {
    const enc = tinyEncoder('distilbert');
    const patterned = { ...enc, linearPrefixes: undefined };
    for (const t of ['query', 'key', 'value', 'output', 'ffn'] as LoraTarget[]) {
      expect(loraTargetPrefixes(patterned, [t])).toEqual(loraTargetPrefixes(enc, [t]));
    }
    expect(loraTargetPrefixes(enc, ['output', 'ffn'])).toEqual(
      [0, 1].flatMap((i) => ['attention.out_lin', 'ffn.lin1', 'ffn.lin2'].map((s) => `transformer.layer.${i}.${s}`)),
    );
    enc.dispose();
  });
});

describe('LoRA adapters', () => {
  it('start as PEFT does: A ~ U(±1/√in), B = 0, scale alpha/rank — so the encoder output is unchanged', () => {
    const enc = tinyEncoder();
    const batch = sampleBatch();
    const before = tf.tidy(() => enc.forward(batch, { training: false }).sequence);
    const model = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: lora(['query', 'ffn'], 4, 16, 0.1),
      seed: 2,
    });
    expect(enc.lora!.size).toBe(2 * 3);
    const ad = enc.lora!.get('encoder.layer.1.intermediate.dense')!;
    expect(ad.A.shape).toEqual([4, TINY.hidden_size]);
    expect(ad.B.shape).toEqual([TINY.intermediate_size, 4]);
    expect(ad.scale).toBe(4);
    expect(ad.dropout).toBe(0.1);
    const a = ad.A.dataSync();
    const bound = 1 / Math.sqrt(TINY.hidden_size);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(bound * 0.8); // really spread over the range
    expect(ad.B.dataSync().every((x) => x === 0)).toBe(true);
    const after = tf.tidy(() => enc.forward(batch, { training: false }).sequence);
    expect(maxAbsDiff(before, after)).toBe(0);
    tf.dispose([before, after]);
    disposeBatch(batch);
    model.dispose();
  });

  it('a merged LoRA model gives the same logits as the unmerged one (≤ 1e-5) once B is non-zero', () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: lora(['query', 'key', 'value', 'output', 'ffn'], 4, 8),
    });
    const batch = sampleBatch();
    let i = 0;
    for (const ad of model.encoder.lora!.values()) tf.tidy(() => ad.B.assign(tf.randomNormal(ad.B.shape, 0, 0.5, 'float32', 100 + i++)));
    const base = tf.tidy(() => {
      // the same encoder without adapters, to show the adapters matter
      const saved = new Map(model.encoder.lora!);
      model.encoder.lora!.clear();
      const out = model.forward(batch, { training: false });
      for (const [k, v] of saved) model.encoder.lora!.set(k, v);
      return out;
    });
    const unmerged = model.forward(batch, { training: false });
    expect(maxAbsDiff(base, unmerged)).toBeGreaterThan(1e-3);
    const nBefore = tf.memory().numTensors;
    const merged = mergeLora(model);
    // the adapters' 2·(2 layers × 6 Linears) variables are freed; nothing else is allocated
    expect(tf.memory().numTensors).toBe(nBefore - 2 * 12);
    expect(merged.mode).toEqual({ kind: 'full' });
    expect(merged.encoder.lora!.size).toBe(0);
    expect([...merged.variables().keys()].some((n) => n.includes('lora_'))).toBe(false);
    const out = merged.forward(batch, { training: false });
    expect(maxAbsDiff(out, unmerged)).toBeLessThanOrEqual(1e-5);
    expect(() => model.forward(batch, { training: false })).toThrow(/replaced/);
    model.dispose(); // a no-op: the merged model owns everything now
    expect(merged.paramCounts().total).toBeGreaterThan(0);
    tf.dispose([base, unmerged, out]);
    disposeBatch(batch);
    merged.dispose();
  });

  it('merging an [in, out] TF kernel (even [1, 1, in, out]) folds the same update as an [out, in] weight', () => {
    const [out, inn, r] = [5, 3, 2];
    const w = tf.randomNormal([out, inn], 0, 1, 'float32', 1);
    const ad: LoraAdapter = {
      A: tf.variable(tf.randomNormal([r, inn], 0, 1, 'float32', 2)),
      B: tf.variable(tf.randomNormal([out, r], 0, 1, 'float32', 3)),
      scale: 1.5,
      dropout: 0,
    };
    const a = mergedWeight(w, ad, 'out-in');
    const kernel = w.transpose().reshape([1, 1, inn, out]);
    const b = mergedWeight(kernel, ad, 'in-out');
    expect(b.shape).toEqual([1, 1, inn, out]);
    const bT = b.reshape([inn, out]).transpose();
    expect(maxAbsDiff(a, bT)).toBeLessThanOrEqual(1e-6);
    // and it equals what the unmerged Linear computes: x·Wᵀ + scale·x·Aᵀ·Bᵀ
    const x = tf.randomNormal([4, inn], 0, 1, 'float32', 4);
    const params = new Map([['l.weight', tf.variable(w)]]);
    const viaAdapter = linear({ params, training: false, lora: new Map([['l', ad]]) }, 'l', x);
    const viaMerged = tf.matMul(x, a, false, true);
    expect(maxAbsDiff(viaAdapter, viaMerged)).toBeLessThanOrEqual(1e-5);
    tf.dispose([w, a, kernel, b, bT, x, viaAdapter, viaMerged, ad.A, ad.B, ...params.values()]);
  });

  it('saved adapters and head passed back as Float32Arrays restore the exact same model', () => {
    const enc = tinyEncoder();
    const mode = lora(['query', 'value'], 2, 4);
    const m1 = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode,
      seed: 1,
      ownsEncoder: false,
    });
    for (const ad of enc.lora!.values()) tf.tidy(() => ad.B.assign(tf.randomNormal(ad.B.shape, 0, 0.3, 'float32', 9)));
    const batch = sampleBatch();
    const y1 = m1.forward(batch, { training: false });
    const saved = new Map([...m1.trainable()].map(([n, v]) => [n, v.dataSync() as Float32Array]));
    expect([...saved.keys()].filter((n) => n.endsWith('.lora_A.weight')).length).toBe(4);
    m1.dispose();
    expect(enc.lora!.size).toBe(0);
    const m2 = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode,
      seed: 99,
      headParams: saved,
    });
    const y2 = m2.forward(batch, { training: false });
    expect(maxAbsDiff(y1, y2)).toBe(0);
    tf.dispose([y1, y2]);
    disposeBatch(batch);
    m2.dispose();
  });
});

describe('LoRA options', () => {
  const cases: [string, FineTuneMode, string][] = [
    ['rank 0', lora(['query'], 0), 'lora.rank'],
    ['fractional rank', lora(['query'], 2.5), 'lora.rank'],
    ['negative alpha', lora(['query'], 4, -1), 'lora.alpha'],
    ['dropout 1', lora(['query'], 4, 8, 1), 'lora.dropout'],
    ['no targets', lora([]), 'lora.targets'],
    ['an unknown target', lora(['gate' as LoraTarget]), 'lora.targets'],
  ];
  for (const [what, mode, option] of cases) {
    it(`rejects ${what} with a UserError naming option ${option}`, () => {
      expect.assertions(2);
      try {
        checkLoraMode(mode as Extract<FineTuneMode, { kind: 'lora' }>);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        expect((e as UserError).where.option).toBe(option);
      }
    });
  }

  it('an invalid LoRA option leaks no tensors from createTaskModel', () => {
    const enc = tinyEncoder();
    const n = tf.memory().numTensors;
    expect(() =>
      createTaskModel({ encoder: enc, tokenizer: toyTokenizer(), task: 'classification', labels: LABELS, mode: lora(['query'], 0) }),
    ).toThrow(UserError);
    expect(tf.memory().numTensors).toBe(n);
    enc.dispose();
  });
});
