// What the engine writes for a Hugging Face folder against what transformers' task classes expect: every tensor name
// and shape in model.safetensors (nothing missing, nothing extra) and the config.json keys, for each architecture,
// task and fine-tuning mode.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkHfTensors, expectedHfTensors, hfArchitectureName } from '@/lib/export/hf-names';
import { readSafetensors } from '@/lib/io/safetensors';
import { taskModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { Architecture, FineTuneMode, Task } from '@/lib/models/types';
import { hasShared, sharedPath } from '../../helpers/shared';
import { useWasm } from '../../helpers/tf';
import { tinyEncoder, toyTokenizer } from '../models/task-model.helpers';

beforeAll(useWasm);

const ARCHS: Architecture[] = ['bert', 'distilbert', 'roberta'];
const TASKS: [Task, string[], string | undefined][] = [
  ['classification', ['negative', 'positive'], 'single_label_classification'],
  ['multilabel', ['sports', 'politics', 'tech'], 'multi_label_classification'],
  ['regression', [], 'regression'],
  ['token-classification', ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'], undefined],
];
const MODES: [string, FineTuneMode][] = [
  ['full', { kind: 'full' }],
  ['LoRA (merged on export)', { kind: 'lora', rank: 2, alpha: 4, dropout: 0, targets: ['query', 'value', 'output', 'ffn'] }],
  ['freeze 1', { kind: 'freeze', layers: 1 }],
];

async function exported(arch: Architecture, task: Task, labels: string[], mode: FineTuneMode, mergeLora?: boolean) {
  const model = createTaskModel({ encoder: tinyEncoder(arch), tokenizer: toyTokenizer(), task, labels, mode });
  if (mode.kind === 'lora') for (const ad of model.encoder.lora!.values()) tf.tidy(() => ad.B.assign(tf.onesLike(ad.B).mul(0.01)));
  try {
    const files = await taskModelFiles(model, mergeLora === undefined ? {} : { mergeLora });
    const config = JSON.parse(files['config.json'] as string) as Record<string, unknown>;
    const tensors = readSafetensors(files['model.safetensors'] as Uint8Array).tensors;
    return { config, tensors };
  } finally {
    model.dispose();
  }
}

describe('exported model.safetensors holds exactly the state dict of the transformers class', () => {
  for (const arch of ARCHS) {
    for (const [task, labels, problem] of TASKS) {
      for (const [modeName, mode] of MODES) {
        it(`${arch} · ${task} · ${modeName}: ${hfArchitectureName(arch, task)} names and shapes, config keys`, async () => {
          const numBefore = tf.memory().numTensors;
          const { config, tensors } = await exported(arch, task, labels, mode);
          const check = checkHfTensors(tensors, expectedHfTensors(arch, task, config));
          expect(check).toEqual({ missing: [], extra: [], wrongShape: [] });

          expect(config.architectures).toEqual([hfArchitectureName(arch, task)]);
          expect(config.model_type).toBe(arch);
          const names = task === 'regression' ? ['LABEL_0'] : labels;
          expect(config.id2label).toEqual(Object.fromEntries(names.map((l, i) => [String(i), l])));
          expect(config.label2id).toEqual(Object.fromEntries(names.map((l, i) => [l, i])));
          expect(config.problem_type).toBe(problem);
          expect(tf.memory().numTensors).toBe(numBefore);
        });
      }
    }
  }

  it('without merging, LoRA adapters are the only extra tensors (under <linear>.lora_A/B.weight)', async () => {
    const lora = MODES[1][1];
    const { config, tensors } = await exported('bert', 'classification', ['a', 'b'], lora, false);
    const check = checkHfTensors(tensors, expectedHfTensors('bert', 'classification', config));
    expect(check.missing).toEqual([]);
    expect(check.wrongShape).toEqual([]);
    expect(check.extra.length).toBe(2 * 5 * 2); // A and B × 5 linears per layer (query, value, output, ffn: 2) × 2 layers
    for (const n of check.extra) expect(n).toMatch(/^bert\.encoder\.layer\.\d\..*\.lora_[AB]\.weight$/);
  });
});

describe('expectedHfTensors', () => {
  it('lists the pooler only for BertForSequenceClassification, and no non-persistent buffers', () => {
    const cfg = { hidden_size: 8, num_hidden_layers: 1, intermediate_size: 16, vocab_size: 10, max_position_embeddings: 12 };
    const has = (arch: Architecture, task: Task, n: string) => expectedHfTensors(arch, task, cfg).has(n);
    expect(has('bert', 'classification', 'bert.pooler.dense.weight')).toBe(true);
    expect(has('bert', 'token-classification', 'bert.pooler.dense.weight')).toBe(false);
    expect(has('roberta', 'classification', 'roberta.pooler.dense.weight')).toBe(false);
    expect(has('roberta', 'token-classification', 'roberta.pooler.dense.weight')).toBe(false);
    for (const arch of ARCHS) for (const n of expectedHfTensors(arch, 'classification', cfg).keys()) expect(n).not.toMatch(/_ids$/);
  });

  it('takes the label count from id2label, else num_labels, else 2; regression has one output', () => {
    const cfg = { hidden_size: 8, num_hidden_layers: 1, intermediate_size: 16 };
    expect(expectedHfTensors('bert', 'classification', cfg).get('classifier.weight')).toEqual([2, 8]);
    expect(expectedHfTensors('bert', 'multilabel', { ...cfg, num_labels: 5 }).get('classifier.weight')).toEqual([5, 8]);
    const id2label = { 0: 'a', 1: 'b', 2: 'c' };
    expect(expectedHfTensors('roberta', 'classification', { ...cfg, id2label }).get('classifier.out_proj.weight')).toEqual([3, 8]);
    expect(expectedHfTensors('distilbert', 'regression', { dim: 4, n_layers: 1 }).get('classifier.weight')).toEqual([1, 4]);
    expect(() => expectedHfTensors('use-lite', 'classification', {})).toThrow(/USE-Lite/);
  });

  it('checkHfTensors reports missing, extra and wrong shapes, sorted', () => {
    const expected = new Map([
      ['a', [2, 2]],
      ['b', [2]],
      ['c', [3]],
    ]);
    const actual = new Map<string, number[] | { shape: number[] }>([
      ['c', { shape: [4] }],
      ['z', [1]],
      ['a', [2, 2]],
      ['y', [1]],
    ]);
    expect(checkHfTensors(actual, expected)).toEqual({ missing: ['b'], extra: ['y', 'z'], wrongShape: ['c: got [4], expected [3]'] });
  });

  const FIXTURES: [string, Architecture][] = [
    ['ort-tf-bert-mrpc-tiny', 'bert'],
    ['optimum-tiny-distilbert-onnx', 'distilbert'],
  ];
  for (const [folder, arch] of FIXTURES) {
    it.skipIf(!hasShared('fixtures', folder, 'hf'))(`matches the ${arch} sequence-classification checkpoint in ../shared/${folder}`, () => {
      const dir = join(sharedPath('fixtures', folder)!, 'hf');
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      const { tensors } = readSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors', {
        ignore: (n) => n.endsWith('position_ids'),
      });
      expect(checkHfTensors(tensors, expectedHfTensors(arch, 'classification', config))).toEqual({
        missing: [],
        extra: [],
        wrongShape: [],
      });
    });
  }
});
