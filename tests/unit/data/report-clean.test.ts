// Report (distribution, duplicates, conflicts, empties, token lengths) and cleaning actions with previews.
import { describe, expect, it } from 'vitest';
import { applyClean, applyCleanAll, previewClean } from '@/lib/data/clean';
import { analyse, lengthHistogram, normaliseText } from '@/lib/data/report';
import type { DataRecord } from '@/lib/data/types';

const rec = (row: number, text: string, label: DataRecord['label']): DataRecord => ({ row, text, label });
const records: DataRecord[] = [
  rec(2, 'Great movie!', 'pos'),
  rec(3, 'great   movie', 'pos'), // normalised duplicate of row 2
  rec(4, 'Great movie!', 'pos'), // exact duplicate of row 2
  rec(5, 'terrible plot', 'neg'),
  rec(6, 'Terrible plot.', 'pos'), // conflicts with row 5
  rec(7, 'terrible plot', 'neg'),
  rec(8, '   ', 'neg'), // empty
  rec(9, '  padded text  ', 'pos'),
  rec(10, 'no label here', null),
];

describe('dataset report', () => {
  it('normalises case, punctuation and spacing', () => {
    expect(normaliseText('  Great,   MOVIE!! ')).toBe('great movie');
  });

  it('counts labels, empties, exact and normalised duplicates and conflicts', () => {
    const r = analyse(records);
    expect(r.rowCount).toBe(9);
    expect(r.labelDistribution).toEqual([
      { label: 'pos', count: 5 },
      { label: 'neg', count: 3 },
    ]);
    expect(r.unlabeled).toBe(1);
    expect(r.emptyTexts).toEqual([8]);
    expect(r.exactDuplicates).toEqual({
      count: 2,
      groups: [
        [2, 4],
        [5, 7],
      ],
    });
    expect(r.normalisedDuplicates.count).toBe(4); // rows 3, 4 (of 2) and 6, 7 (of 5)
    expect(r.conflicts.count).toBe(3);
    expect(r.conflicts.groups).toEqual([{ rows: [5, 6, 7], labels: ['neg', 'pos'] }]);
  });

  it('builds a token-length histogram with the share truncated at max length', () => {
    const many = Array.from({ length: 100 }, (_, i) => rec(i + 2, 'w '.repeat(i + 1).trim(), 'a'));
    const words = (t: string) => t.split(' ').length;
    const h = lengthHistogram(many, words, 80, 10);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(h.truncatedShare).toBeCloseTo(0.2, 10); // lengths 81..100
    expect(h.max).toBe(100);
    expect(h.p50).toBe(51);
    const viaReport = analyse(many, { lengthOf: words, maxLength: 80 }).lengths!;
    expect(viaReport.truncatedShare).toBeCloseTo(0.2, 10);
  });

  it('samples evenly for the histogram when asked', () => {
    const many = Array.from({ length: 1000 }, (_, i) => rec(i + 2, 'x', 'a'));
    let calls = 0;
    lengthHistogram(many, () => ++calls, 10, 5, 100);
    expect(calls).toBe(100);
  });

  it('finds duplicates in 100,000 rows in linear time (under 2 s)', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => rec(i + 2, `text number ${i % 50_000}`, i % 3 ? 'a' : 'b'));
    const t0 = performance.now();
    const r = analyse(big);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.exactDuplicates.count).toBe(50_000);
  });
});

describe('cleaning actions', () => {
  it('previews the same counts it applies', () => {
    for (const a of [
      { type: 'drop-duplicates' },
      { type: 'drop-duplicates', normalised: true },
      { type: 'drop-empty' },
      { type: 'trim' },
      { type: 'drop-conflicts', mode: 'drop-all' },
      { type: 'drop-conflicts', mode: 'keep-majority' },
      { type: 'drop-unlabeled' },
    ] as const) {
      const p = previewClean(records, a);
      const r = applyClean(records, a);
      expect(p).toEqual({ removed: r.removed, modified: r.modified });
      expect(r.records.length).toBe(records.length - r.removed);
    }
  });

  it('drops exact duplicates keeping the first', () => {
    const r = applyClean(records, { type: 'drop-duplicates' });
    expect(r.removed).toBe(2);
    expect(r.records.map((x) => x.row)).toEqual([2, 3, 5, 6, 8, 9, 10]);
  });

  it('drops every conflicting row, or keeps the majority label', () => {
    expect(applyClean(records, { type: 'drop-conflicts', mode: 'drop-all' }).records.map((x) => x.row)).toEqual([2, 3, 4, 8, 9, 10]);
    expect(applyClean(records, { type: 'drop-conflicts', mode: 'keep-majority' }).records.map((x) => x.row)).toEqual([
      2, 3, 4, 5, 7, 8, 9, 10,
    ]);
  });

  it('drops empties and trims whitespace without touching the input', () => {
    expect(applyClean(records, { type: 'drop-empty' }).records.some((x) => x.row === 8)).toBe(false);
    const t = applyClean(records, { type: 'trim' });
    expect(t.modified).toBe(2); // rows 8 and 9
    expect(t.records.find((x) => x.row === 9)!.text).toBe('padded text');
    expect(records.find((x) => x.row === 9)!.text).toBe('  padded text  ');
  });

  it('chains actions in order', () => {
    const r = applyCleanAll(records, [
      { type: 'trim' },
      { type: 'drop-empty' },
      { type: 'drop-duplicates', normalised: true },
      { type: 'drop-unlabeled' },
    ]);
    expect(r.records.map((x) => x.row)).toEqual([2, 5, 9]);
  });
});
