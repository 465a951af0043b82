import { describe, expect, it } from 'vitest';
import { foldSplit } from '@/lib/run/cross-validate';

const rows = (n: number, spamEvery: number) =>
  Array.from({ length: n }, (_, i) => ({ text: `text ${i}`, label: i % spamEvery === 0 ? 'spam' : 'ham' }));

describe('k-fold splits', () => {
  it('partition the rows: each row is validation in exactly one fold, fold sizes differ by at most one', () => {
    const ex = rows(53, 4);
    const seen = new Map<string, number>();
    const sizes: number[] = [];
    for (let f = 0; f < 5; f++) {
      const s = foldSplit(ex, 5, f, 42);
      expect(s.train.length + s.validation.length).toBe(53);
      sizes.push(s.validation.length);
      for (const e of s.validation) seen.set(e.text, (seen.get(e.text) ?? 0) + 1);
    }
    expect(seen.size).toBe(53);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('are stratified: every fold has the label mix of the whole (within one row per label) and are seeded', () => {
    const ex = rows(100, 5); // 20 spam, 80 ham
    for (let f = 0; f < 4; f++) {
      const v = foldSplit(ex, 4, f, 7).validation;
      expect(v.filter((e) => e.label === 'spam').length).toBe(5);
      expect(v.filter((e) => e.label === 'ham').length).toBe(20);
    }
    expect(foldSplit(ex, 4, 1, 7).validation).toEqual(foldSplit(ex, 4, 1, 7).validation);
    expect(foldSplit(ex, 4, 1, 7).validation).not.toEqual(foldSplit(ex, 4, 1, 8).validation);
  });

  it('name the option when k or the fold is impossible', () => {
    expect(() => foldSplit(rows(3, 2), 5, 0, 1)).toThrow(/k from 2 to 3/);
    expect(() => foldSplit(rows(10, 2), 3, 3, 1)).toThrow(/fold 4 does not exist/);
  });
});
