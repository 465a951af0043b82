// TaskModel lifecycle: memory comes back to baseline on dispose / switch, saved heads are checked, bad options are
// UserErrors that leak nothing.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { createTaskModel, headVariables, switchMode } from '@/lib/models/task-model';
import type { Encoder, FineTuneMode } from '@/lib/models/types';
import { disposeBatch, maxAbsDiff, sampleBatch, TINY, tinyEncoder, toyTokenizer } from './task-model.helpers';
import { useWasm } from '../../helpers/tf';

beforeAll(useWasm);

const LABELS = ['neg', 'pos'];
const MODES: FineTuneMode[] = [
  { kind: 'full' },
  { kind: 'freeze', layers: 1 },
  { kind: 'head' },
  { kind: 'lora', rank: 2, alpha: 4, dropout: 0.1, targets: ['query', 'value', 'output', 'ffn'] },
];

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('memory: deleting or switching a model frees its tensors', () => {
  for (const mode of MODES) {
    it(`${mode.kind}: create, train-forward, dispose → tf.memory().numTensors back to baseline`, () => {
      const batch = sampleBatch();
      const base = tf.memory().numTensors;
      const model = createTaskModel({ encoder: tinyEncoder(), tokenizer: toyTokenizer(), task: 'classification', labels: LABELS, mode });
      const during = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) model.forward(batch, { training: true, seed: i }).dispose();
      const f = model.features(batch);
      f.dispose();
      expect(tf.memory().numTensors).toBe(during); // forward/features keep nothing
      model.dispose();
      expect(tf.memory().numTensors).toBe(base);
      disposeBatch(batch);
    });
  }

  it('switching LoRA → head-only → full keeps encoder + head, frees the adapters, and ends at baseline', () => {
    const base = tf.memory().numTensors;
    const encoder = tinyEncoder();
    const withEncoder = tf.memory().numTensors;
    const lora = createTaskModel({ encoder, tokenizer: toyTokenizer(), task: 'classification', labels: LABELS, mode: MODES[3] });
    const headTensors = 2;
    const adapters = 2 * 2 * 5; // 2 layers × (query, value, attention output, intermediate, output) × (A, B)
    expect(tf.memory().numTensors).toBe(withEncoder + headTensors + adapters);
    const head = switchMode(lora, { kind: 'head' });
    expect(tf.memory().numTensors).toBe(withEncoder + headTensors);
    expect(head.paramCounts().trainable).toBe(2 * TINY.hidden_size + 2);
    const full = switchMode(head, { kind: 'full' });
    expect(tf.memory().numTensors).toBe(withEncoder + headTensors);
    expect(() => head.trainable()).toThrow(/replaced/);
    head.dispose(); // no-op
    expect(full.encoder).toBe(encoder);
    full.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });

  it('ownsEncoder: false leaves the encoder alive for the next model', () => {
    const encoder = tinyEncoder();
    const withEncoder = tf.memory().numTensors;
    const a = createTaskModel({
      encoder,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'full' },
      ownsEncoder: false,
    });
    a.dispose();
    expect(tf.memory().numTensors).toBe(withEncoder);
    const b = createTaskModel({ encoder, tokenizer: toyTokenizer(), task: 'regression', labels: [], mode: { kind: 'head' } });
    b.dispose();
    expect(encoder.params.get('embeddings.word_embeddings.weight')!.isDisposed).toBe(true);
  });
});

describe('saved heads', () => {
  it('a head passed as tf.Variables is used as-is and taken over', () => {
    const encoder = tinyEncoder();
    const first = createTaskModel({
      encoder,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'full' },
      ownsEncoder: false,
      seed: 3,
    });
    const batch = sampleBatch();
    const y1 = first.forward(batch, { training: false });
    const hv = headVariables(first);
    const second = createTaskModel({
      encoder,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'head' },
      headParams: new Map(hv),
    });
    expect(headVariables(second).get('classifier.weight')).toBe(hv.get('classifier.weight'));
    const y2 = second.forward(batch, { training: false });
    expect(maxAbsDiff(y1, y2)).toBe(0);
    tf.dispose([y1, y2]);
    disposeBatch(batch);
    second.dispose();
    expect(hv.get('classifier.weight')!.isDisposed).toBe(true);
  });

  it('a head for another label count is a UserError naming the tensor, and nothing leaks', () => {
    const encoder = tinyEncoder();
    const n = tf.memory().numTensors;
    const e = userError(() =>
      createTaskModel({
        encoder,
        tokenizer: toyTokenizer(),
        task: 'classification',
        labels: ['a', 'b', 'c'],
        mode: { kind: 'full' },
        headParams: new Map([
          ['classifier.weight', new Float32Array(2 * TINY.hidden_size)],
          ['classifier.bias', new Float32Array(2)],
        ]),
      }),
    );
    expect(e.where.tensor).toBe('classifier.weight');
    expect(e.message).toMatch(/3 labels/);
    expect(tf.memory().numTensors).toBe(n);
    encoder.dispose();
  });

  it('an incomplete head, a stray name, or adapters outside LoRA mode are UserErrors', () => {
    const encoder = tinyEncoder();
    const H = TINY.hidden_size;
    const mk =
      (m: [string, Float32Array][], mode: FineTuneMode = { kind: 'full' }) =>
      () =>
        createTaskModel({
          encoder,
          tokenizer: toyTokenizer(),
          task: 'classification',
          labels: LABELS,
          mode,
          headParams: new Map(m),
          ownsEncoder: false,
        });
    expect(userError(mk([['classifier.weight', new Float32Array(2 * H)]])).where.tensor).toBe('classifier.bias');
    expect(userError(mk([['cls.predictions.bias', new Float32Array(4)]])).where.tensor).toBe('cls.predictions.bias');
    expect(userError(mk([['encoder.layer.0.attention.self.query.lora_A.weight', new Float32Array(2 * H)]])).where.option).toBe('mode');
    encoder.dispose();
  });
});

describe('options', () => {
  it('freezing more layers than the model has is a UserError on option freeze.layers', () => {
    const encoder = tinyEncoder();
    const e = userError(() =>
      createTaskModel({ encoder, tokenizer: toyTokenizer(), task: 'classification', labels: LABELS, mode: { kind: 'freeze', layers: 3 } }),
    );
    expect(e.where.option).toBe('freeze.layers');
    expect(e.message).toMatch(/0 to 2/);
    encoder.dispose();
  });

  it('LoRA on an encoder without adapter support is a UserError on option mode', () => {
    const encoder = tinyEncoder();
    const noLora = { ...encoder, lora: undefined } as Encoder;
    const e = userError(() =>
      createTaskModel({ encoder: noLora, tokenizer: toyTokenizer(), task: 'classification', labels: LABELS, mode: MODES[3] }),
    );
    expect(e.where.option).toBe('mode');
    encoder.dispose();
  });

  it('keeps id2label in id order, copied from the caller', () => {
    const labels = ['O', 'B-PER', 'I-PER'];
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'token-classification',
      labels,
      mode: { kind: 'full' },
    });
    labels.push('B-LOC');
    expect(model.labels).toEqual(['O', 'B-PER', 'I-PER']);
    expect(model.task).toBe('token-classification');
    model.dispose();
  });

  it('a second LoRA model on an encoder that still carries adapters is refused', () => {
    const encoder = tinyEncoder();
    const a = createTaskModel({
      encoder,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: MODES[3],
      ownsEncoder: false,
    });
    expect(() => createTaskModel({ encoder, tokenizer: toyTokenizer(), task: 'classification', labels: LABELS, mode: MODES[3] })).toThrow(
      /already carries LoRA/,
    );
    a.dispose();
    encoder.dispose();
  });
});
