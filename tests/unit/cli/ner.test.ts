// NER through the real `finetune` bin on the bundled USE-Lite (head only, cached features): CoNLL files written here
// (-DOCSTART-, a multi-column file, a sentence longer than --max-length), then inspect, train, eval, predict, export.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasShared, sharedPath } from '@/tests/helpers/shared';
import { STACK_LINE, lastJson, runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'finetune-ner-'));
type Sentence = [string, string][];
const PATTERNS = ['P lives in L', 'P went to L yesterday', 'we met P in L', 'P likes L', 'the weather in L is good', 'P and P visited L'];
/** Sentence i of the "john lives in paris" patterns over these names and places (a place may be two words). */
function sentence(i: number, people: string[], places: string[]): Sentence {
  let k = 0;
  return PATTERNS[i % PATTERNS.length].split(' ').flatMap((w): Sentence => {
    if (w === 'P') return [[people[(i + 3 * k++) % people.length], 'B-PER']];
    if (w !== 'L') return [[w, 'O']];
    return places[(i * 3) % places.length].split(' ').map((x, j) => [x, j ? 'I-LOC' : 'B-LOC']);
  });
}
function conll(sentences: Sentence[], multiColumn = false): string {
  const line = ([w, t]: [string, string]) => (multiColumn ? `${w} NN I-NP ${t}` : `${w}\t${t}`);
  return `-DOCSTART- -X- O O\n\n${sentences.map((s) => s.map(line).join('\n')).join('\n\n')}\n`;
}
const people = ['john', 'mary', 'peter', 'anna', 'paul', 'lisa', 'mark', 'sara'];
const places = ['paris', 'london', 'new york', 'rome', 'madrid', 'vienna', 'oslo', 'san francisco'];
const long = (n: number) => Array.from({ length: 5 }, (_, k) => sentence(n + k, people, places)).flat();
const train = [...Array.from({ length: 36 }, (_, i) => sentence(i, people, places)), long(0)];
const dev = [
  ...Array.from({ length: 12 }, (_, i) => sentence(i + 1, ['kate', 'john', 'tom', 'mary'], ['tokyo', 'paris', 'cairo'])),
  long(2),
];
const trainFile = join(dir, 'train.conll');
const devFile = join(dir, 'dev.conll');
writeFileSync(trainFile, conll(train));
writeFileSync(devFile, conll(dev, true));
const entityCount = (ss: Sentence[], type: string) => ss.flat().filter(([, t]) => t === `B-${type}`).length;
const out = join(dir, 'run');
const TRAIN = ['train', '--data', trainFile, '--eval', devFile, '--test', devFile, '--model', 'use-lite', '--mode', 'head'];
const SETTINGS = ['--epochs', '2', '--batch-size', '8', '--lr', '0.003', '--max-length', '16', '--seed', '5'];
const ENTITY_METRICS = ['entityF1', 'entityPrecision', 'entityRecall', 'entityMacroF1', 'tokenAccuracy', 'loss'];

describe('finetune inspect on NER files', () => {
  it('reads a CoNLL file without --task or columns and prints entity counts and sentence lengths', async () => {
    const r = await runCli(['inspect', '--data', trainFile]);
    expect(r.code, r.stderr).toBe(0);
    const report = lastJson(r.stdout) as { ner: Record<string, unknown>; [k: string]: unknown };
    expect(report).toMatchObject({ format: 'conll', rows: 37, mapping: { task: 'token-classification', text: 'tokens', tags: 'tags' } });
    expect(report.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-PER']);
    const counts = Object.fromEntries((report.ner.entityCounts as { type: string; count: number }[]).map((e) => [e.type, e.count]));
    expect(counts).toEqual({ PER: entityCount(train, 'PER'), LOC: entityCount(train, 'LOC') });
    expect(report.ner).toMatchObject({ sentences: 37, entities: entityCount(train, 'PER') + entityCount(train, 'LOC') });
    expect((report.ner.words as { max: number }).max).toBe(long(0).length);
  });

  it('reads the tag from the last column of a multi-column CoNLL file, and --task ner says the same', async () => {
    const r = await runCli(['inspect', '--data', devFile, '--task', 'ner']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ rows: 13, guessed: [], ner: { sentences: 13 } });
  });

  it('reads token JSONL under other keys with --text-column and --tags-column, and names a key that is not a list', async () => {
    const jsonl = join(dir, 'words.jsonl');
    writeFileSync(jsonl, train.map((s) => JSON.stringify({ id: 1, sentence: s.map((x) => x[0]), labels_: s.map((x) => x[1]) })).join('\n'));
    const r = await runCli(['inspect', '--data', jsonl, '--text-column', 'sentence', '--tags-column', 'labels_']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ format: 'jsonl', mapping: { task: 'token-classification' }, ner: { sentences: 37 } });
    const bad = await runCli(['inspect', '--data', jsonl, '--text-column', 'id', '--tags-column', 'labels_']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--text-column');
    expect(bad.stderr).toContain('"id"');
  });

  it.skipIf(!hasShared('datasets/wnut17'))('counts 3,394 sentences and 1,975 entities in WNUT-17 train', async () => {
    const r = await runCli(['inspect', '--data', sharedPath('datasets', 'wnut17', 'wnut17train.conll')!]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout).ner).toMatchObject({ sentences: 3394, entities: 1975 });
  });
});

describe('finetune train --task ner on USE-Lite (head only, cached features) → eval → predict → export', () => {
  let result: Record<string, unknown>;
  let stderr = '';
  beforeAll(async () => {
    const r = await runCli([...TRAIN, '--task', 'ner', ...SETTINGS, '--threads', '2', '--out', out]);
    if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
    result = lastJson(r.stdout);
    stderr = r.stderr;
  }, 300_000);

  it('prints the entity metrics of validation and --test, with one entry per entity type, as the last line', () => {
    for (const split of ['validation', 'test']) {
      const m = result[split] as Record<string, number> & { perType: Record<string, Record<string, number>> };
      for (const k of ENTITY_METRICS) expect(typeof m[k], `${split}.${k}`).toBe('number');
      expect(Object.keys(m.perType)).toEqual(['LOC', 'PER']);
      expect(m.perType.PER).toMatchObject({ support: entityCount(dev, 'PER') });
      expect(Object.keys(m.perType.LOC)).toEqual(['precision', 'recall', 'f1', 'support']);
    }
    expect(result.test).toEqual(result.validation);
    expect(result.best).toMatchObject({ metric: 'entityF1' });
    expect(stderr).toContain('computing encoder features on 2 threads');
  });

  it('cuts the long sentences into windows, and counts sentences in run.json', () => {
    const encoded = Number(/training on (\d+) examples/.exec(stderr)?.[1]);
    expect(encoded).toBeGreaterThan(train.length);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ task: 'token-classification', trainExamples: 37, validationExamples: 13, maxLength: 16 });
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['UseLiteForTokenClassification']);
    expect(config.id2label).toEqual({ 0: 'O', 1: 'B-LOC', 2: 'I-LOC', 3: 'B-PER' });
    expect(config.problem_type).toBeUndefined();
  });

  it('trains to the same metrics in one thread', async () => {
    const r = await runCli([...TRAIN, ...SETTINGS, '--threads', '1', '--out', join(dir, 'one')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('using --task ner');
    expect(lastJson(r.stdout).validation).toEqual(result.validation);
  });

  it('eval on the validation file reproduces its entity metrics exactly, on 1 and 2 threads; --report has the confusion', async () => {
    const validation = result.validation as Record<string, unknown>;
    for (const threads of ['1', '2']) {
      const r = await runCli(['eval', '--model', out, '--data', devFile, '--threads', threads]);
      expect(r.code, r.stderr).toBe(0);
      const m = lastJson(r.stdout);
      expect(m.count).toBe(13);
      for (const k of ENTITY_METRICS.filter((x) => x !== 'loss')) expect(m[k], k).toBe(validation[k]);
      expect(m.loss as number).toBeCloseTo(validation.loss as number, 6);
      expect(m.perType).toEqual(validation.perType);
    }
    const full = lastJson((await runCli(['eval', '--model', out, '--data', devFile, '--report'])).stdout);
    const ner = full.ner as { perType: unknown[]; confusion: { rows: string[]; columns: string[] } };
    expect(ner.perType).toHaveLength(2);
    expect(ner.confusion).toMatchObject({ rows: ['LOC', 'PER', 'spurious'], columns: ['LOC', 'PER', 'missed'] });
  });

  it('predict --text gives entities whose start/end slice the text to the entity', async () => {
    const text = 'Yesterday, john went to new york; mary lives in paris.';
    const r = await runCli(['predict', '--model', out, '--text', text, '--task', 'ner']);
    expect(r.code, r.stderr).toBe(0);
    const p = lastJson(r.stdout) as { text: string; entities: { text: string; type: string; start: number; end: number; score: number }[] };
    expect(p.text).toBe(text);
    expect(p.entities.length).toBeGreaterThan(0);
    for (const e of p.entities) {
      expect(text.slice(e.start, e.end)).toBe(e.text);
      expect(['PER', 'LOC']).toContain(e.type);
      expect(e.score).toBeGreaterThan(0);
      expect(e.score).toBeLessThanOrEqual(1);
    }
  });

  it('predict --data x.conll --out y.conll writes one tag per word and a blank line after each sentence', async () => {
    const preds = join(dir, 'preds.conll');
    const r = await runCli(['predict', '--model', out, '--data', devFile, '--out', preds, '--threads', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ format: 'conll', sentences: 13, words: dev.flat().length });
    const blocks = readFileSync(preds, 'utf8').split('\n\n');
    expect(blocks.pop()).toBe('');
    expect(blocks.map((b) => b.split('\n').map((l) => l.split('\t')[0]))).toEqual(dev.map((s) => s.map(([w]) => w)));
    for (const l of blocks.flatMap((b) => b.split('\n'))) expect(['O', 'B-LOC', 'I-LOC', 'B-PER']).toContain(l.split('\t')[1]);
  });

  it('predict --out y.jsonl writes tokens, tags and entities per sentence; a CSV text column is split into words', async () => {
    const csv = join(dir, 'texts.csv');
    writeFileSync(csv, 'id,text\n1,"john lives in paris, with mary."\n2,nothing here\n');
    for (const [input, n] of [
      [devFile, 13],
      [csv, 2],
    ] as const) {
      const preds = join(dir, 'preds.jsonl');
      const r = await runCli(['predict', '--model', out, '--data', input, '--out', preds]);
      expect(r.code, r.stderr).toBe(0);
      const lines = readFileSync(preds, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(n);
      for (const s of lines) {
        expect(s.tags).toHaveLength(s.tokens.length);
        for (const e of s.entities) expect(s.text.slice(e.start, e.end)).toBe(e.text);
      }
      if (input === csv) expect(lines[0].tokens).toEqual(['john', 'lives', 'in', 'paris', ',', 'with', 'mary', '.']);
    }
  });

  it('exits 2 on an --out that is neither CoNLL nor JSONL, a --task other than the model’s, and --format recipe', async () => {
    const bad = await runCli(['predict', '--model', out, '--data', devFile, '--out', join(dir, 'preds.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--out');
    const task = await runCli(['predict', '--model', out, '--text', 'john', '--task', 'classification']);
    expect(task.code).toBe(2);
    expect(task.stderr).toContain('--task');
    const recipe = await runCli(['export', '--model', out, '--format', 'recipe', '--out', join(dir, 'recipe')]);
    expect(recipe.code).toBe(2);
    expect(recipe.stderr).toContain('sequence tasks only');
    expect(recipe.stderr).not.toMatch(STACK_LINE);
  });
});
