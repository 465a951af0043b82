// Predicted entity spans (lib/train/ner-predict.ts): a tiny real BERT (WordPiece) trained a few steps to tag PER and
// LOC; character offsets slice the original text exactly, spans never overlap, long texts are read in windows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '@/lib/io/fs-source';
import { openModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { TaskModel } from '@/lib/models/types';
import { encodeExamples } from '@/lib/train/encode';
import { fineTune } from '@/lib/train/fine-tune';
import { predictEntities, predictTags, splitWords } from '@/lib/train/ner-predict';
import { useWasm } from '@/tests/helpers/tf';
import { tinyHfDir } from '@/tests/helpers/tiny-hf';
import { collect, errorOf } from './helpers';

const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
const FILL = ['the', 'film', 'was', 'made', 'in', 'summer', 'by', 'a', 'crew', 'with', 'music', 'and', ',', '.', 'it', 'new'];

/** Sentences whose tags follow from their words: "actor"/"director" are PER (after "writer": one two-word PER),
 *  "hollywood pictures" is LOC, "hollywood" alone LOC. */
function sentences(n: number, seed: number): { words: string[]; tags: string[] }[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  return Array.from({ length: n }, () => {
    const words: string[] = [],
      tags: string[] = [];
    const len = 6 + Math.floor(rnd() * 10);
    while (words.length < len) {
      const r = rnd();
      const [w, t]: [string[], string[]] =
        r < 0.12
          ? [
              ['hollywood', 'pictures'],
              ['B-LOC', 'I-LOC'],
            ]
          : r < 0.18
            ? [['hollywood'], ['B-LOC']]
            : r < 0.28
              ? [[rnd() < 0.5 ? 'actor' : 'director'], ['B-PER']]
              : r < 0.34
                ? [
                    ['writer', 'actor'],
                    ['B-PER', 'I-PER'],
                  ]
                : [[FILL[Math.floor(rnd() * FILL.length)]], ['O']];
      words.push(...w);
      tags.push(...t);
    }
    return { words, tags };
  });
}

let model: TaskModel;
beforeAll(async () => {
  await useWasm();
  const base = await openModelFiles(fsSource(tinyHfDir('bert', { hidden: 32, layers: 1, heads: 2, positions: 64 })));
  model = createTaskModel({
    encoder: base.encoder,
    tokenizer: base.tokenizer!,
    task: 'token-classification',
    labels: LABELS,
    mode: { kind: 'full' },
    seed: 5,
  });
  const train = encodeExamples(
    model.tokenizer,
    sentences(48, 1).map((x) => ({ text: '', label: '', ...x })),
    LABELS,
    64,
    'token-classification',
  );
  const events = await collect(
    fineTune(model, { train, validation: [] }, { epochs: 8, batchSize: 8, learningRate: 1e-2, schedule: 'constant', seed: 2 }),
  );
  expect(errorOf(events)).toBeUndefined();
}, 120_000);
afterAll(() => model?.dispose());

describe('splitWords', () => {
  it('splits on whitespace and punctuation with offsets into the text, keeping inner hyphens, apostrophes and numbers', () => {
    const text = "  Hollywood,  (U.S.) o'clock 1,000 well-known!\tend ";
    const words = splitWords(text);
    expect(words.map((w) => w.word)).toEqual(['Hollywood', ',', '(', 'U.S', '.', ')', "o'clock", '1,000', 'well-known', '!', 'end']);
    for (const w of words) expect(text.slice(w.start, w.end)).toBe(w.word);
    expect(splitWords('   ')).toEqual([]);
  });
});

describe('predictTags', () => {
  it('tags pre-split sentences, one tag and probability per word, the way they were trained', async () => {
    const held = sentences(12, 99);
    const out = await predictTags(
      model,
      held.map((h) => h.words),
    );
    let right = 0,
      total = 0;
    out.forEach((o, i) => {
      expect(o.tags).toHaveLength(held[i].words.length);
      expect(o.probs).toHaveLength(held[i].words.length);
      for (const p of o.probs) expect(p).toBeGreaterThan(0);
      o.tags.forEach((t, k) => ((right += t === held[i].tags[k] ? 1 : 0), total++));
    });
    expect(right / total).toBeGreaterThan(0.9);
    expect(await predictTags(model, [[]])).toEqual([{ tags: [], probs: [] }]);
  });
});

describe('predictEntities', () => {
  it('returns typed, scored spans whose offsets slice the original text (case, punctuation, extra spaces kept)', async () => {
    const text = 'The  Actor  filmed in Hollywood   Pictures, with a Director.';
    const ents = await predictEntities(model, text);
    for (const e of ents) {
      expect(text.slice(e.start, e.end)).toBe(e.text);
      expect(e.score).toBeGreaterThan(0);
      expect(e.score).toBeLessThanOrEqual(1);
    }
    expect(ents.map((e) => [e.type, e.text])).toEqual([
      ['PER', 'Actor'],
      ['LOC', 'Hollywood   Pictures'],
      ['PER', 'Director'],
    ]);
    expect(await predictEntities(model, ' \n ')).toEqual([]);
  });

  it('reads a text longer than the max length in windows: entities all along it, none overlapping', async () => {
    const parts: string[] = [];
    for (let i = 0; i < 12; i++) parts.push(`The crew, in summer ${i}: a Director with music; the film was made in Hollywood.`);
    const text = parts.join('  ');
    const words = splitWords(text);
    const maxLength = 24;
    expect(words.length).toBeGreaterThan(6 * maxLength);
    const ents = await predictEntities(model, text, { maxLength });
    for (let i = 1; i < ents.length; i++) expect(ents[i].start).toBeGreaterThanOrEqual(ents[i - 1].end);
    for (const e of ents) expect(text.slice(e.start, e.end)).toBe(e.text);
    // found in every part, the last one (far past the first window) included
    const found = (re: RegExp) => ents.filter((e) => re.test(e.text)).map((e) => e.start);
    expect(found(/^Director$/)).toHaveLength(12);
    expect(found(/^Hollywood$/)).toHaveLength(12);
    expect(found(/^Hollywood$/).at(-1)).toBe(text.lastIndexOf('Hollywood'));
    // the whole text is far more than the model's 64 positions: only windows read it; the default window is those 64
    expect(model.tokenizer.modelMaxLength).toBe(64);
    const wide = await predictEntities(model, text);
    expect(wide.filter((e) => e.text === 'Director').map((e) => e.start)).toEqual(found(/^Director$/));
  });
});
