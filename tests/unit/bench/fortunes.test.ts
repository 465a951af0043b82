// bench:fortunes builds its dataset from the fortune-mod quotation files: one quotation per "%"-separated item,
// labeled with its file, whitespace folded, a seeded 80 / 20 cut. Checked on small files written here (the Debian
// package need not be installed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fortuneSplit } from '@/bench/fortunes';

const TOPICS = ['computers', 'politics', 'science', 'songs-poems', 'startrek', 'law', 'food', 'sports'];

describe('bench:fortunes dataset', () => {
  it('reads each quotation once with its file as the label, folds whitespace, drops scraps, cuts 80 / 20 by seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortunes-'));
    for (const t of TOPICS) {
      const items = Array.from({ length: 5 }, (_, i) => `A ${t} saying number ${i},\n\tspread over\n  lines.\n\t\t-- Someone`);
      writeFileSync(join(dir, t), `${items.join('\n%\n')}\n%\nshort\n%\n`);
    }
    const a = fortuneSplit(dir);
    const rows = [...a.train, ...a.test];
    expect(rows).toHaveLength(40); // 8 files × 5, "short" left out
    expect(a.test).toHaveLength(8);
    expect(rows).toContainEqual(['A law saying number 3, spread over lines. -- Someone', 'law']);
    expect(new Set(rows.map((r) => r[0])).size).toBe(40);
    expect(rows.every(([text]) => !text.includes('%') && !/\s{2}/.test(text))).toBe(true);
    // the same seed gives the same split; another seed another one
    expect(fortuneSplit(dir)).toEqual(a);
    expect(fortuneSplit(dir, 8).test).not.toEqual(a.test);
  });
});
