// `finetune train` on a BERT folder in Hugging Face layout (a tiny random BERT written here with a WordPiece vocab.txt):
// the output is a transformers-style BertForSequenceClassification checkpoint that predict and eval load back.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '@/lib/io/safetensors';
import { bertConfig, bertParamShapes } from '@/lib/models/bert';
import { lastJson, runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'finetune-bert-'));
const modelDir = join(dir, 'tiny-bert');
const words = [
  'the',
  'a',
  'an',
  'film',
  'movie',
  'wonderful',
  'awful',
  'boring',
  'great',
  'take',
  ',',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
];
const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words];

function writeTinyBert(): void {
  mkdirSync(modelDir, { recursive: true });
  const cfg = bertConfig({
    vocab_size: vocab.length,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 64,
  });
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.04;
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of bertParamShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const ln = name.includes('LayerNorm');
    const data = Float32Array.from({ length: n }, () => (ln && name.endsWith('weight') ? 1 : ln || name.endsWith('bias') ? 0 : rand()));
    tensors[`bert.${name}`] = { shape, data };
  }
  writeFileSync(join(modelDir, 'model.safetensors'), writeSafetensors(tensors));
  writeFileSync(join(modelDir, 'config.json'), JSON.stringify(cfg));
  writeFileSync(join(modelDir, 'vocab.txt'), `${vocab.join('\n')}\n`);
  writeFileSync(
    join(modelDir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64 }),
  );
}

const data = join(dir, 'data.csv');
const out = join(dir, 'run');

describe('finetune train on a tiny BERT folder (full fine-tuning, 40 rows, 2 epochs)', () => {
  let result: Record<string, unknown>;
  beforeAll(async () => {
    writeTinyBert();
    const rows = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? `"a wonderful film, take ${i % 10}",positive` : `"an awful, boring movie, take ${i % 10}",negative`,
    );
    writeFileSync(data, `text,label\n${rows.join('\n')}\n`);
    const r = await runCli([
      'train',
      '--data',
      data,
      '--val-split',
      '0.2',
      '--model',
      modelDir,
      '--mode',
      'full',
      '--epochs',
      '2',
      '--batch-size',
      '8',
      '--lr',
      '1e-3',
      '--max-length',
      '16',
      '--out',
      out,
    ]);
    if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
    result = lastJson(r.stdout);
  }, 180_000);

  it('reports validation metrics on the held-out 20 %', () => {
    expect(result).toMatchObject({ reason: 'completed', steps: 8, epochs: 2 });
    expect((result.validation as Record<string, number>).accuracy).toBeGreaterThanOrEqual(0);
  });

  it('writes a BertForSequenceClassification checkpoint: prefixed encoder, classifier head, labels, tokenizer', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'bert',
      architectures: ['BertForSequenceClassification'],
      problem_type: 'single_label_classification',
      id2label: { 0: 'negative', 1: 'positive' },
    });
    const names = [...readSafetensors(readFileSync(join(out, 'model.safetensors'))).tensors.keys()];
    expect(names).toContain('bert.embeddings.word_embeddings.weight');
    expect(names).toContain('bert.encoder.layer.1.output.LayerNorm.bias');
    expect(names).toContain('classifier.weight');
    expect(names.filter((n) => !n.startsWith('bert.') && !n.startsWith('classifier.'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).model.vocab).toHaveProperty('wonderful');
  });

  it('eval on the training file and predict --text load the folder back', async () => {
    const [e, p] = await Promise.all([
      runCli(['eval', '--model', out, '--data', data]),
      runCli(['predict', '--model', out, '--text', 'a wonderful film']),
    ]);
    expect(e.code).toBe(0);
    expect(lastJson(e.stdout)).toMatchObject({ count: 40 });
    expect(p.code).toBe(0);
    expect(['negative', 'positive']).toContain(lastJson(p.stdout).label);
  });
});
