// NER through the real `finetune` bin on a tiny random BERT with a WordPiece vocabulary (tests/helpers/tiny-hf.ts): full
// fine-tuning on 1 and 2 threads with sentences longer than --max-length read in windows, LoRA, eval, predict, and the
// Hugging Face and ONNX exports of the BertForTokenClassification folder.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyHfDir } from '@/tests/helpers/tiny-hf';
import { lastJson, runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'finetune-ner-bert-'));
type Sentence = [string, string][];
const PATTERNS = ['P lives in L', 'P went to L', 'we met P in L', 'P likes L', 'the weather in L is good', 'P and P visited L'];
function sentence(i: number, people: string[], places: string[]): Sentence {
  let k = 0;
  return PATTERNS[i % PATTERNS.length].split(' ').flatMap((w): Sentence => {
    if (w === 'P') return [[people[(i + 3 * k++) % people.length], 'B-PER']];
    if (w !== 'L') return [[w, 'O']];
    return places[(i * 3) % places.length].split(' ').map((x, j) => [x, j ? 'I-LOC' : 'B-LOC']);
  });
}
const conll = (ss: Sentence[]) => `-DOCSTART- O\n\n${ss.map((s) => s.map(([w, t]) => `${w}\t${t}`).join('\n')).join('\n\n')}\n`;
const people = ['john', 'mary', 'peter', 'anna', 'paul', 'lisa'];
const places = ['paris', 'london', 'new york', 'rome', 'oslo'];
const long = [0, 1, 2, 3].flatMap((k) => sentence(k, people, places));
const trainFile = join(dir, 'train.conll');
const devFile = join(dir, 'dev.conll');
writeFileSync(trainFile, conll([...Array.from({ length: 30 }, (_, i) => sentence(i, people, places)), long]));
writeFileSync(devFile, conll([...Array.from({ length: 10 }, (_, i) => sentence(i + 2, people, places)), long]));
const model = tinyHfDir('bert', { hidden: 32, layers: 2, heads: 4, positions: 64 });
const TRAIN = ['train', '--task', 'ner', '--data', trainFile, '--eval', devFile, '--model', model];
const SETTINGS = ['--epochs', '2', '--batch-size', '8', '--lr', '0.001', '--max-length', '16', '--seed', '1'];
const ENTITY_METRICS = ['entityF1', 'entityPrecision', 'entityRecall', 'entityMacroF1', 'tokenAccuracy'];

describe('finetune train --task ner on a tiny BERT (full fine-tuning, windows of 16 tokens)', () => {
  const out = join(dir, 'full');
  let result: Record<string, Record<string, number>>;
  let stderr = '';
  beforeAll(async () => {
    const r = await runCli([...TRAIN, ...SETTINGS, '--mode', 'full', '--threads', '2', '--out', out]);
    if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
    result = lastJson(r.stdout) as typeof result;
    stderr = r.stderr;
  }, 300_000);

  it('trains data-parallel on 2 threads, over more windows than sentences, to the metrics of one thread', async () => {
    expect(stderr).toContain('training on 2 threads');
    expect(Number(/training on (\d+) examples/.exec(stderr)?.[1])).toBeGreaterThan(31);
    for (const k of [...ENTITY_METRICS, 'loss']) expect(typeof result.validation[k], k).toBe('number');
    const r = await runCli([...TRAIN, ...SETTINGS, '--mode', 'full', '--threads', '1', '--out', join(dir, 'one')]);
    expect(r.code, r.stderr).toBe(0);
    const one = lastJson(r.stdout).validation as Record<string, number>;
    for (const k of ENTITY_METRICS) expect(one[k], k).toBeCloseTo(result.validation[k], 6);
    expect(one.loss).toBeCloseTo(result.validation.loss, 4);
  });

  it('writes a BertForTokenClassification folder with BIO id2label and no problem_type', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForTokenClassification']);
    expect(config.id2label).toEqual({ 0: 'O', 1: 'B-LOC', 2: 'I-LOC', 3: 'B-PER' });
    expect(config.problem_type).toBeUndefined();
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'))).toMatchObject({ trainExamples: 31, validationExamples: 11 });
  });

  it('eval on the validation file reproduces the validation entity metrics exactly', async () => {
    const r = await runCli(['eval', '--model', out, '--data', devFile, '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    const m = lastJson(r.stdout);
    expect(m.count).toBe(11);
    for (const k of ENTITY_METRICS) expect(m[k], k).toBe(result.validation[k]);
    expect(m.loss as number).toBeCloseTo(result.validation.loss, 6);
    expect(m.perType).toEqual(result.validation.perType);
  });

  it('predict --text on a text longer than a window gives spans that slice the text', async () => {
    const text = 'john lives in paris, and mary went to new york; the weather in rome is good and peter likes oslo';
    const r = await runCli(['predict', '--model', out, '--text', text]);
    expect(r.code, r.stderr).toBe(0);
    const p = lastJson(r.stdout) as { entities: { text: string; start: number; end: number }[] };
    for (const e of p.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
  });

  it('exports the folder as Hugging Face and as ONNX', async () => {
    for (const format of ['hf', 'onnx']) {
      const to = join(dir, `export-${format}`);
      const r = await runCli(['export', '--model', out, '--format', format, '--out', to]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(to, 'config.json'), 'utf8')).architectures).toEqual(['BertForTokenClassification']);
      expect(existsSync(join(to, format === 'onnx' ? 'onnx/model.onnx' : 'model.safetensors'))).toBe(true);
    }
  });

  it('trains with LoRA (merged into the saved weights), and eval on the folder gives the same entities', async () => {
    const lora = join(dir, 'lora');
    const r = await runCli([...TRAIN, ...SETTINGS, '--mode', 'lora:4', '--threads', '1', '--out', lora]);
    expect(r.code, r.stderr).toBe(0);
    const v = lastJson(r.stdout).validation as Record<string, number>;
    const m = lastJson((await runCli(['eval', '--model', lora, '--data', devFile, '--threads', '1'])).stdout);
    expect(m.entityF1 as number).toBeCloseTo(v.entityF1, 6);
    expect(m.loss as number).toBeCloseTo(v.loss, 4);
  });
});
