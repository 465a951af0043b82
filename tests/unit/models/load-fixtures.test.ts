// Numerical check against independent references: tiny BERT-family models exported from Hugging Face code by third
// parties (../shared/fixtures, see its README), loaded with the normal loader and run on the recorded inputs.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '@/lib/io/fs-source';
import { loadPretrained, type LoadedModel } from '@/lib/models/load';
import { useWasm } from '@/tests/helpers/tf';
import { hasShared, sharedPath } from '@/tests/helpers/shared';

interface Arr {
  dims: number[];
  data: number[];
}
interface Expected {
  inputs: Record<string, Arr>;
  outputs: Record<string, Arr>;
}

function expected(name: string): Expected {
  return JSON.parse(readFileSync(sharedPath('fixtures', name, 'expected_outputs.json')!, 'utf8'));
}

function maxAbsDiff(got: ArrayLike<number>, want: number[]): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

/** README: hidden states, pooler and logits match to 9.5e-7, so every comparison here is held to 1e-6. */
const TOL = 1e-6;
const worst = new Map<string, number>();

/** Asserts max |got - want| ≤ TOL and records the worst figure per fixture (logged at the end of the suite). */
function expectClose(fixture: string, what: string, got: ArrayLike<number>, want: number[]): void {
  const d = maxAbsDiff(got, want);
  worst.set(fixture, Math.max(worst.get(fixture) ?? 0, d));
  expect(d, `${fixture} ${what}: max |diff| ${d.toExponential(2)}`).toBeLessThanOrEqual(TOL);
}

async function run(name: string) {
  const m = await loadPretrained(fsSource(sharedPath('fixtures', name, 'hf')!), { requireTokenizer: false });
  const e = expected(name);
  const i2 = (a: Arr) => tf.tensor2d(a.data, a.dims as [number, number], 'int32');
  const batch = {
    inputIds: i2(e.inputs.input_ids),
    attentionMask: i2(e.inputs.attention_mask ?? e.inputs.input_mask),
    tokenTypeIds: e.inputs.token_type_ids ? i2(e.inputs.token_type_ids) : undefined,
  };
  const out = m.encoder.forward(batch, { training: false, outputHiddenStates: true });
  return { m, e, out, batch };
}

/** x · Wᵀ + b with the loaded head weights, computed here (the heads module is not under test). */
function denseHead(m: LoadedModel, prefix: string, x: tf.Tensor): tf.Tensor {
  const w = m.extraTensors.get(`${prefix}.weight`)!,
    b = m.extraTensors.get(`${prefix}.bias`)!;
  const x2 = x.reshape([-1, w.shape[1]]);
  return tf.matMul(x2, tf.tensor2d(w.data, w.shape as [number, number]), false, true).add(tf.tensor1d(b.data));
}

describe.skipIf(!hasShared('fixtures'))('BERT family vs Hugging Face reference outputs (../shared/fixtures)', () => {
  beforeAll(useWasm);
  afterAll(() => {
    const figures = [...worst].map(([name, d]) => `${name} ${d.toExponential(2)}`);
    console.log(`[fixtures] max |diff| per fixture (tolerance ${TOL.toExponential(0)}): ${figures.join(', ')}`);
  });

  it('ort-bert-toy (BertForPreTraining, 5 layers): hidden states, pooler and NSP scores from the loaded head ≤ 1e-6', async () => {
    const f = 'ort-bert-toy';
    const { m, e, out } = await run(f);
    expect(m.arch).toBe('bert');
    expect(m.prefix).toBe('bert.');
    expect(out.hiddenStates!.length).toBe(6);
    for (let l = 0; l <= 5; l++) expectClose(f, `hidden_state_${l}`, out.hiddenStates![l].dataSync(), e.outputs[`hidden_state_${l}`].data);
    expectClose(f, 'pooler', out.pooled.dataSync(), e.outputs.pooler_output.data);
    expectClose(f, 'NSP scores', denseHead(m, 'cls.seq_relationship', out.pooled).dataSync(), e.outputs.seq_relationship_score.data);
    expect(m.extraTensors.has('cls.predictions.transform.dense.weight')).toBe(true);
    m.encoder.dispose();
  });

  it('ort-tf-bert-mrpc-tiny (12 layers, real weights): hidden states, pooler, and logits = pooler·Wᵀ+b ≤ 1e-6', async () => {
    const f = 'ort-tf-bert-mrpc-tiny';
    const { m, e, out } = await run(f);
    for (let l = 0; l <= 12; l++) expectClose(f, `hidden_state_${l}`, out.hiddenStates![l].dataSync(), e.outputs[`hidden_state_${l}`].data);
    expectClose(f, 'pooler', out.pooled.dataSync(), e.outputs.pooler_output.data);
    expectClose(f, 'logits', denseHead(m, 'classifier', out.pooled).dataSync(), e.outputs.output_1.data);
    expect([...m.headParams.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    m.encoder.dispose();
  });

  it('ort-tf-bert-qa-tiny (24 layers, no pooler, padding + token type 1): hidden states and start/end logits ≤ 1e-6', async () => {
    const f = 'ort-tf-bert-qa-tiny';
    const { m, e, out } = await run(f);
    expect(m.encoder.params.has('pooler.dense.weight')).toBe(false);
    for (let l = 0; l <= 24; l++) expectClose(f, `hidden_state_${l}`, out.hiddenStates![l].dataSync(), e.outputs[`hidden_state_${l}`].data);
    const logits = denseHead(m, 'qa_outputs', out.sequence).reshape([2, 7, 2]);
    const [start, end] = tf.split(logits, 2, 2);
    expectClose(f, 'start logits', start.dataSync(), e.outputs.output_1.data);
    expectClose(f, 'end logits', end.dataSync(), e.outputs.output_2.data);
    m.encoder.dispose();
  });

  it('optimum-tiny-distilbert (DistilBERT names/config): hidden states and logits via pre_classifier ≤ 1e-6', async () => {
    const f = 'optimum-tiny-distilbert-onnx';
    const { m, e, out } = await run(f);
    expect(m.arch).toBe('distilbert');
    expect(m.prefix).toBe('distilbert.');
    expect(m.labels).toEqual(['NEGATIVE', 'POSITIVE']);
    expect([...m.headParams.keys()].sort()).toEqual([
      'classifier.bias',
      'classifier.weight',
      'pre_classifier.bias',
      'pre_classifier.weight',
    ]);
    for (let l = 0; l <= 2; l++) expectClose(f, `hidden_state_${l}`, out.hiddenStates![l].dataSync(), e.outputs[`hidden_state_${l}`].data);
    const logits = denseHead(m, 'classifier', tf.relu(denseHead(m, 'pre_classifier', out.pooled)));
    expectClose(f, 'logits', logits.dataSync(), e.outputs.logits.data);
    m.encoder.dispose();
  });

  it('loading then disposing a model returns tf.memory().numTensors to baseline', async () => {
    const before = tf.memory().numTensors;
    const m = await loadPretrained(fsSource(sharedPath('fixtures', 'ort-tf-bert-mrpc-tiny', 'hf')!), { requireTokenizer: false });
    expect(tf.memory().numTensors).toBeGreaterThan(before + 190);
    tf.tidy(() => {
      m.encoder.forward(
        { inputIds: tf.tensor2d([[2, 7, 4]], undefined, 'int32'), attentionMask: tf.tensor2d([[1, 1, 1]], undefined, 'int32') },
        { training: false },
      );
    });
    m.encoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
