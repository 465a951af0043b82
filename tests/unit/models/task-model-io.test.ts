// A TaskModel as a Hugging Face task checkpoint: prefixed encoder names, head names, merged LoRA, config keys, and a
// round trip through safetensors bytes back into an identical model.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '@/lib/io/safetensors';
import { createBert } from '@/lib/models/bert';
import { entriesToVariables, exportTaskWeights, hfTaskConfig, splitTaskCheckpoint, taskCheckpointName } from '@/lib/models/param-io';
import { createTaskModel, mergeLora } from '@/lib/models/task-model';
import type { Architecture } from '@/lib/models/types';
import { useWasm } from '../../helpers/tf';
import { disposeBatch, maxAbsDiff, sampleBatch, TINY, tinyEncoder, toyTokenizer } from './task-model.helpers';

beforeAll(useWasm);

const LABELS = ['negative', 'positive'];

describe('task checkpoint names', () => {
  const cases: [Architecture, string, string[]][] = [
    ['bert', 'bert.', ['classifier.bias', 'classifier.weight']],
    ['distilbert', 'distilbert.', ['classifier.bias', 'classifier.weight', 'pre_classifier.bias', 'pre_classifier.weight']],
    ['roberta', 'roberta.', ['classifier.dense.bias', 'classifier.dense.weight', 'classifier.out_proj.bias', 'classifier.out_proj.weight']],
  ];
  for (const [arch, prefix, head] of cases) {
    it(`${arch}: every encoder weight under "${prefix}", the head under transformers' own names`, async () => {
      const model = createTaskModel({
        encoder: tinyEncoder(arch),
        tokenizer: toyTokenizer(),
        task: 'classification',
        labels: LABELS,
        mode: { kind: 'full' },
      });
      const out = await exportTaskWeights(model);
      const names = [...out.keys()];
      expect(names.filter((n) => !n.startsWith(prefix)).sort()).toEqual(head);
      // RobertaForSequenceClassification has no pooler (add_pooling_layer=False): its 2 tensors are not exported
      expect(names.length).toBe(model.variables().size - (arch === 'roberta' ? 2 : 0));
      expect(out.get(`${prefix}embeddings.word_embeddings.weight`)!.shape).toEqual([100, 32]);
      model.dispose();
    });
  }

  it('does not double a prefix the name already has; USE-Lite names stay as they are', () => {
    expect(taskCheckpointName('bert', 'bert.pooler.dense.weight')).toBe('bert.pooler.dense.weight');
    expect(taskCheckpointName('roberta', 'classifier.out_proj.weight')).toBe('classifier.out_proj.weight');
    expect(taskCheckpointName('use-lite', 'module/Embeddings_en')).toBe('module/Embeddings_en');
  });
});

describe('export with LoRA', () => {
  it('folds adapters into copies of the weights (model untouched) exactly as mergeLora does', async () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'lora', rank: 2, alpha: 4, dropout: 0, targets: ['query', 'ffn'] },
    });
    for (const ad of model.encoder.lora!.values()) tf.tidy(() => ad.B.assign(tf.randomNormal(ad.B.shape, 0, 0.5, 'float32', 5)));
    const merged = await exportTaskWeights(model);
    expect([...merged.keys()].some((n) => n.includes('lora_'))).toBe(false);
    expect(model.encoder.lora!.size).toBe(6); // still training-ready
    const kept = await exportTaskWeights(model, { mergeLora: false });
    expect(kept.get('bert.encoder.layer.0.attention.self.query.lora_A.weight')!.shape).toEqual([2, 32]);
    const q = 'bert.encoder.layer.0.attention.self.query.weight';
    expect(kept.get(q)!.data).not.toEqual(merged.get(q)!.data);

    const full = mergeLora(model);
    for (const [n, v] of full.variables()) {
      const e = merged.get(taskCheckpointName('bert', n))!;
      const diff = tf.tidy(() => tf.tensor(e.data, e.shape).sub(v).abs().max().dataSync()[0]);
      expect(diff, n).toBeLessThanOrEqual(1e-6);
    }
    full.dispose();
  });
});

describe('round trip', () => {
  it('export → safetensors bytes → split → encoder + headParams gives identical logits', async () => {
    const model = createTaskModel({
      encoder: tinyEncoder('bert', 7),
      tokenizer: toyTokenizer(),
      task: 'multilabel',
      labels: ['a', 'b', 'c'],
      mode: { kind: 'full' },
      seed: 3,
    });
    const batch = sampleBatch();
    const y1 = model.forward(batch, { training: false });
    const bytes = writeSafetensors(await exportTaskWeights(model));
    const { encoder, head } = splitTaskCheckpoint('bert', readSafetensors(bytes).tensors);
    expect([...head.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(encoder.has('embeddings.word_embeddings.weight')).toBe(true);
    const back = createTaskModel({
      encoder: createBert(TINY, entriesToVariables(encoder)),
      tokenizer: toyTokenizer(),
      task: 'multilabel',
      labels: ['a', 'b', 'c'],
      mode: { kind: 'full' },
      headParams: new Map([...head].map(([n, e]) => [n, e.data])),
    });
    const y2 = back.forward(batch, { training: false });
    expect(maxAbsDiff(y1, y2)).toBe(0);
    tf.dispose([y1, y2]);
    disposeBatch(batch);
    model.dispose();
    back.dispose();
  });

  it('a checkpoint without the base prefix splits the same way', () => {
    const entries = new Map([
      ['embeddings.word_embeddings.weight', 1],
      ['classifier.weight', 2],
      ['encoder.layer.0.attention.self.query.lora_B.weight', 3],
    ]);
    const { encoder, head } = splitTaskCheckpoint('bert', entries);
    expect([...encoder.keys()]).toEqual(['embeddings.word_embeddings.weight']);
    expect([...head.keys()]).toEqual(['classifier.weight', 'encoder.layer.0.attention.self.query.lora_B.weight']);
  });
});

describe('config.json of the task model', () => {
  it('carries architectures, id2label/label2id, problem_type and the head dropout over the encoder config', () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'multilabel',
      labels: ['toxic', 'insult'],
      mode: { kind: 'head' },
      classifierDropout: 0.2,
    });
    const cfg = hfTaskConfig(model);
    expect(cfg).toMatchObject({
      architectures: ['BertForSequenceClassification'],
      id2label: { '0': 'toxic', '1': 'insult' },
      label2id: { toxic: 0, insult: 1 },
      problem_type: 'multi_label_classification',
      classifier_dropout: 0.2,
      hidden_size: 32,
      num_hidden_layers: 2,
    });
    model.dispose();
    const reg = createTaskModel({
      encoder: tinyEncoder('distilbert'),
      tokenizer: toyTokenizer(),
      task: 'regression',
      labels: [],
      mode: { kind: 'full' },
    });
    expect(hfTaskConfig(reg)).toMatchObject({
      architectures: ['DistilBertForSequenceClassification'],
      id2label: { '0': 'LABEL_0' },
      problem_type: 'regression',
      seq_classif_dropout: 0.2,
      dim: 32,
    });
    reg.dispose();
    const ner = createTaskModel({
      encoder: tinyEncoder('roberta'),
      tokenizer: toyTokenizer(),
      task: 'token-classification',
      labels: ['O', 'B-PER'],
      mode: { kind: 'full' },
    });
    const nerCfg = hfTaskConfig(ner);
    expect(nerCfg.architectures).toEqual(['RobertaForTokenClassification']);
    expect(nerCfg.problem_type).toBeUndefined();
    ner.dispose();
  });
});
