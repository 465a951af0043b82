// Stratified splits (exact class proportions within one row, reproducible), k-fold, class weights, over/under-
// sampling of train only, seeded augmentation, and the LabeledData builder.
import { describe, expect, it } from 'vitest';
import {
  augmentExamples,
  previewAugmentation,
  randomDeletion,
  randomInsertion,
  randomSwap,
  synonymReplacement,
  vocabularyOf,
} from '@/lib/data/augment';
import { classWeights, oversample, undersample } from '@/lib/data/balance';
import { DataError } from '@/lib/data/errors';
import { buildLabeledData } from '@/lib/data/labeled';
import { mulberry32 } from '@/lib/rng';
import { assignFolds, assignSplits } from '@/lib/data/split';
import type { DataRecord, Example } from '@/lib/data/types';

// 1,000 rows over 4 classes of uneven sizes: 503 / 311 / 150 / 36
const sizes: Record<string, number> = { a: 503, b: 311, c: 150, d: 36 };
const records: DataRecord[] = Object.entries(sizes).flatMap(([label, n]) =>
  Array.from({ length: n }, (_, i) => ({ row: 0, text: `${label} example ${i} with some words`, label })),
);
records.forEach((r, i) => (r.row = i + 2));

describe('stratified split', () => {
  const ratios = { train: 0.7, validation: 0.15, test: 0.15 };
  it('gives every class its exact share in each split, within one row', () => {
    const codes = assignSplits(records, { mode: 'ratio', ratios, seed: 1 });
    for (const [label, n] of Object.entries(sizes)) {
      const idx = records.map((r, i) => (r.label === label ? i : -1)).filter((i) => i >= 0);
      const test = idx.filter((i) => codes[i] === 2).length;
      const val = idx.filter((i) => codes[i] === 1).length;
      expect(Math.abs(test - n * 0.15)).toBeLessThanOrEqual(1);
      expect(Math.abs(val - n * 0.15)).toBeLessThanOrEqual(1);
      expect(Math.abs(n - test - val - n * 0.7)).toBeLessThanOrEqual(1);
    }
    expect([...codes].filter((c) => c === 2).length).toBe(150);
    expect([...codes].filter((c) => c === 1).length).toBe(150);
  });

  it('is reproducible with the same seed and differs with another', () => {
    const a = assignSplits(records, { mode: 'ratio', ratios, seed: 7 });
    const b = assignSplits(records, { mode: 'ratio', ratios, seed: 7 });
    const c = assignSplits(records, { mode: 'ratio', ratios, seed: 8 });
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it("uses the file's split column, with a fallback for rows without one", () => {
    const rs: DataRecord[] = [
      { row: 2, text: 'x', label: 'a', split: 'test' },
      { row: 3, text: 'y', label: 'b' },
      { row: 4, text: 'z', label: 'a', split: 'validation' },
    ];
    expect([...assignSplits(rs, { mode: 'column' })]).toEqual([2, 0, 1]);
    expect([...assignSplits(rs, { mode: 'column', fallback: 'test' })]).toEqual([2, 2, 1]);
  });

  it('rejects negative ratios with an option error', () => {
    expect(() => assignSplits(records, { mode: 'ratio', ratios: { train: 1, validation: -0.1, test: 0 }, seed: 1 })).toThrow(DataError);
  });

  it('assigns k folds with each class spread evenly', () => {
    const folds = assignFolds(records, 5, 3);
    for (const [label, n] of Object.entries(sizes)) {
      const counts = [0, 0, 0, 0, 0];
      records.forEach((r, i) => r.label === label && counts[folds[i]]++);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    }
    expect(() => assignFolds(records, 1, 3)).toThrow(DataError);
  });

  it('turns fold i of k into the validation split, each row validated exactly once over all folds', () => {
    const times = new Int32Array(records.length);
    for (let fold = 0; fold < 5; fold++) {
      const codes = assignSplits(records, { mode: 'kfold', k: 5, fold, seed: 3 });
      expect([...codes].filter((c) => c === 1).length).toBe(200);
      codes.forEach((c, i) => (times[i] += c));
    }
    expect([...times].every((t) => t === 1)).toBe(true);
    expect(() => assignSplits(records, { mode: 'kfold', k: 5, fold: 5, seed: 3 })).toThrow(DataError);
  });
});

const ex = (text: string, label: string): Example => ({ text, label });

describe('imbalance', () => {
  const train = [
    ...Array(90)
      .fill(0)
      .map((_, i) => ex(`a${i}`, 'a')),
    ...Array(10)
      .fill(0)
      .map((_, i) => ex(`b${i}`, 'b')),
  ];
  it('weights classes by inverse frequency, normalised to the example count', () => {
    const w = classWeights(train, ['a', 'b']);
    expect(w[1] / w[0]).toBeCloseTo(9, 10);
    expect(90 * w[0] + 10 * w[1]).toBeCloseTo(100, 10);
    const smoothed = classWeights(train, ['a', 'b'], 10);
    expect(smoothed[1] / smoothed[0]).toBeCloseTo(100 / 20, 10);
  });
  it('over-samples every class to the largest, with copies of real examples', () => {
    const o = oversample(train, 1);
    expect(o.filter((e) => e.label === 'b').length).toBe(90);
    expect(o.length).toBe(180);
    expect(o.every((e) => train.includes(e))).toBe(true);
    expect(oversample(train, 1)).toEqual(o);
  });
  it('under-samples every class to the smallest, without repeats', () => {
    const u = undersample(train, 1);
    expect(u.filter((e) => e.label === 'a').length).toBe(10);
    expect(new Set(u).size).toBe(20);
  });
});

describe('augmentation', () => {
  const words = 'the quick brown fox jumps over the lazy dog'.split(' ');
  it('random swap keeps the same words', () => {
    const s = randomSwap(words, 2, mulberry32(1));
    expect([...s].sort()).toEqual([...words].sort());
    expect(s).not.toEqual(words);
  });
  it('random deletion removes words but never all', () => {
    const d = randomDeletion(words, 0.3, mulberry32(2));
    expect(d.length).toBeLessThan(words.length);
    expect(randomDeletion(['one'], 0.99, mulberry32(2))).toEqual(['one']);
    expect(randomDeletion(words, 1, mulberry32(2)).length).toBe(1);
  });
  it('random insertion adds in-vocabulary words', () => {
    const i = randomInsertion(words, 2, mulberry32(3), ['alpha', 'beta']);
    expect(i.length).toBe(words.length + 2);
    expect(i.filter((w) => w === 'alpha' || w === 'beta').length).toBe(2);
  });
  it('synonym replacement uses the neighbour function and skips stop words', () => {
    const nn = (w: string) => (w === 'quick' ? ['fast', 'quick'] : w === 'lazy' ? ['idle'] : []);
    const s = synonymReplacement(words, 2, mulberry32(4), nn);
    expect(s).toEqual('the fast brown fox jumps over the idle dog'.split(' '));
  });
  it('multiplies the training set, keeps labels and originals, and is seeded', () => {
    const train = [ex('good film with a great cast', 'pos'), ex('bad film with a weak plot', 'neg')];
    const opts = {
      transforms: ['swap', 'delete', 'insert'] as const,
      multiplier: 3,
      seed: 5,
      vocabulary: vocabularyOf(
        train.map((e) => e.text),
        1,
      ),
    };
    const out = augmentExamples(train, { ...opts, transforms: [...opts.transforms] });
    expect(out.length).toBe(6);
    expect(out.slice(0, 2)).toEqual(train);
    expect(out.slice(2).map((e) => e.label)).toEqual(['pos', 'neg', 'pos', 'neg']);
    expect(augmentExamples(train, { ...opts, transforms: [...opts.transforms] })).toEqual(out);
    const preview = previewAugmentation(train, { ...opts, transforms: [...opts.transforms] }, 3);
    expect(preview.length).toBe(3);
    expect(preview.map((p) => p.transform)).toEqual(['swap', 'delete', 'insert']);
  });
  it('rejects a bad multiplier and synonym without neighbours', () => {
    expect(() => augmentExamples([ex('a b', 'x')], { transforms: ['swap'], multiplier: 0, seed: 1 })).toThrow(DataError);
    expect(() => augmentExamples([ex('a b', 'x')], { transforms: ['synonym'], multiplier: 2, seed: 1 })).toThrow(/neighbour/);
  });
});

describe('LabeledData builder', () => {
  it('splits usable rows, and balances and augments only the training split', () => {
    const rs: DataRecord[] = [...records, { row: 9999, text: '', label: 'a' }, { row: 10000, text: 'unlabeled', label: null }];
    const data = buildLabeledData(
      rs,
      { task: 'classification', text: 'text', label: ['label'] },
      ['a', 'b', 'c', 'd'],
      { mode: 'ratio', ratios: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 1 },
      { balance: 'oversample', seed: 2, augment: { transforms: ['swap'], multiplier: 2, seed: 3 } },
    );
    expect(data.labels).toEqual(['a', 'b', 'c', 'd']);
    expect(data.validation.length + data.test.length).toBe(200);
    expect(data.test.filter((e) => e.label === 'd').length).toBeLessThanOrEqual(4);
    const trainA = 503 - [...data.validation, ...data.test].filter((e) => e.label === 'a').length;
    expect(Math.abs(trainA - 503 * 0.8)).toBeLessThanOrEqual(1);
    expect(data.train.length).toBe(trainA * 4 * 2); // over-sampled to the largest class, then doubled
    expect([...data.validation, ...data.test, ...data.train].some((e) => e.text === '' || e.text === 'unlabeled')).toBe(false);
  });
});
