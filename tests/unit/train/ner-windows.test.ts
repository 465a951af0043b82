// Long sentences in token classification (lib/train/ner-windows.ts, encode.ts, evaluate.ts): overlapping windows on
// word boundaries, each within the max length, every word trained on, and every word scored exactly once.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '@/lib/io/fs-source';
import { openModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { TaskModel, TextTokenizer } from '@/lib/models/types';
import { encodeExamples, IGNORE_INDEX } from '@/lib/train/encode';
import { evaluateModel } from '@/lib/train/evaluate';
import { fineTune } from '@/lib/train/fine-tune';
import { encodeSentence, planWindows, sentencesOf } from '@/lib/train/ner-windows';
import { useWasm } from '@/tests/helpers/tf';
import { tinyHfDir } from '@/tests/helpers/tiny-hf';
import { collect, errorOf, of } from './helpers';

beforeAll(useWasm);
const models: TaskModel[] = [];
afterEach(() => models.splice(0).forEach((m) => m.dispose()));

const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
let dir: string;
async function tinyNer(): Promise<TaskModel> {
  dir ??= tinyHfDir('bert', { hidden: 16, layers: 1, heads: 2, positions: 64 });
  const base = await openModelFiles(fsSource(dir));
  const m = createTaskModel({
    encoder: base.encoder,
    tokenizer: base.tokenizer!,
    task: 'token-classification',
    labels: LABELS,
    mode: { kind: 'full' },
    seed: 3,
  });
  models.push(m);
  return m;
}

/** A sentence of `n` words (some split into several word pieces) with PER and LOC entities along it. */
function longSentence(n: number): { words: string[]; tags: string[] } {
  const fill = ['the', 'film', 'was', 'shot', 'in', 'summer', 'by', 'crew', 'xylophones', 'of', 'it'];
  const words: string[] = [],
    tags: string[] = [];
  for (let i = 0; words.length < n; i++) {
    if (i % 7 === 3 && words.length + 2 <= n) {
      words.push('hollywood', 'pictures');
      tags.push('B-LOC', 'I-LOC');
    } else if (i % 5 === 1) {
      words.push('actor');
      tags.push('B-PER');
    } else {
      words.push(fill[i % fill.length]);
      tags.push('O');
    }
  }
  return { words, tags };
}

function checkWindows(tok: TextTokenizer, words: string[], maxLength: number) {
  const windows = encodeSentence(tok, words, maxLength);
  const seen = new Array<number>(words.length).fill(0),
    scored = new Array<number>(words.length).fill(0);
  for (const w of windows) {
    expect(w.ids.length).toBeLessThanOrEqual(maxLength);
    const ws = new Set(w.wordIds.filter((x): x is number => x !== null));
    expect([...ws]).toEqual(Array.from({ length: w.end - w.start }, (_, k) => w.start + k)); // whole words, in order
    for (const x of ws) seen[x]++;
    for (let x = w.from; x < w.to; x++) scored[x]++;
  }
  expect(seen.every((c) => c >= 1)).toBe(true);
  expect(scored.every((c) => c === 1)).toBe(true);
  return windows;
}

describe('planWindows', () => {
  it('strides half a window on word boundaries and scores each word where it is farther from an edge', () => {
    const plan = planWindows(new Array(30).fill(1), 10);
    expect(plan).toEqual([
      { start: 0, end: 10, from: 0, to: 8 },
      { start: 5, end: 15, from: 8, to: 13 },
      { start: 10, end: 20, from: 13, to: 18 },
      { start: 15, end: 25, from: 18, to: 23 },
      { start: 20, end: 30, from: 23, to: 30 },
    ]);
    // word pieces of various counts, and a word longer than a window alone
    const odd = planWindows([3, 1, 4, 1, 5, 9, 2, 6, 0, 3, 14, 1], 8);
    expect(odd[0].start).toBe(0);
    expect(odd.at(-1)!.end).toBe(12);
    odd.forEach((w, i) => {
      if (i) expect(w.from).toBe(odd[i - 1].to);
      expect(w.from).toBeGreaterThanOrEqual(w.start);
      expect(w.to).toBeLessThanOrEqual(w.end);
    });
    expect(planWindows([], 8)).toEqual([{ start: 0, end: 0, from: 0, to: 0 }]);
  });
});

describe('long sentences in token classification', () => {
  it('a sentence 3x the max length becomes overlapping windows within the max length covering every word', async () => {
    const model = await tinyNer();
    const { words, tags } = longSentence(40);
    const max = 24;
    const pieces = words.reduce((a, w) => a + model.tokenizer.encodeWords!([w]).ids.length - 2, 2);
    expect(pieces).toBeGreaterThan(3 * max);
    const windows = checkWindows(model.tokenizer, words, max);
    expect(windows.length).toBeGreaterThanOrEqual(5);
    const enc = encodeExamples(model.tokenizer, [{ text: '', label: '', words, tags }], LABELS, max, 'token-classification');
    expect(enc).toHaveLength(windows.length);
    enc.forEach((e, k) => {
      expect(e.ids.length).toBeLessThanOrEqual(max);
      expect(e.window).toMatchObject({ sentence: 0, index: k, count: windows.length });
      // every word of the window is trained on (its first piece has its tag), continuation pieces and specials are not
      const firsts = e.tags!.filter((t) => t !== IGNORE_INDEX).map((t) => LABELS[t]);
      expect(firsts).toEqual(tags.slice(windows[k].start, windows[k].end));
    });
    // joined back, the windows' scored tokens are the sentence's words once each, in order
    const sentences = sentencesOf(enc);
    expect(sentences).toHaveLength(1);
    expect(sentences[0].map(({ example, token }) => LABELS[enc[example].tags![token]])).toEqual(tags);
  });

  it('trains on the windows and evaluates every word of the sentence exactly once', async () => {
    const model = await tinyNer();
    const long = longSentence(40),
      short = longSentence(9);
    const data = [long, short].map((s) => ({ text: '', label: '', ...s }));
    const enc = encodeExamples(model.tokenizer, data, LABELS, 24, 'token-classification');
    expect(enc.length).toBeGreaterThan(3);
    expect(enc.at(-1)!.window).toBeUndefined(); // a sentence that fits stays one example
    const events = await collect(fineTune(model, { train: enc, validation: enc }, { epochs: 2, batchSize: 4, learningRate: 5e-3 }));
    expect(errorOf(events)).toBeUndefined();
    for (const ev of of(events, 'eval')) {
      const r = ev.result;
      expect(r.count).toBe(2);
      expect(r.ner!.sentences).toBe(2);
      expect(r.ner!.words).toBe(49);
      expect(r.ner!.support).toBe(long.tags.filter((t) => t.startsWith('B-')).length + short.tags.filter((t) => t.startsWith('B-')).length);
      expect(r.classification!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(49);
      for (const k of ['entityF1', 'entityPrecision', 'entityRecall', 'entityMacroF1', 'tokenAccuracy', 'loss'])
        expect(Number.isFinite(r.scalars[k]), k).toBe(true);
    }
    // the one evaluator agrees (studio Evaluate, CLI eval)
    const { result } = await evaluateModel(model, enc);
    expect(result.ner!.words).toBe(49);
    expect(result.scalars.tokenAccuracy).toBeCloseTo(result.scalars.accuracy, 10);
  });
});
