// Rows whose field count differs from the header's, beyond the corpus: a long file with one bad line, rows across
// parse chunks, and the command line's path (cli/data.ts), which must report rows it leaves out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTable, mapTable, mappingFor } from '@/cli/data';
import { importData } from '@/lib/data/import';
import { parseFile } from '@/lib/data/parse';

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'ragged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rows with more fields than the header', () => {
  it('one bad line in 100,000 rows is left out and named; the rest import', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `review ${i} was ${i % 2 ? 'fine' : 'poor'},${i % 2 ? 'pos' : 'neg'}`);
    lines[54_321] = 'this one, sadly, has commas,neg';
    const r = importData(enc.encode(`text,label\n${lines.join('\n')}\n`), { fileName: 'big.csv' });
    expect(r.data.records.length).toBe(99_999);
    expect(r.data.labels).toEqual(['neg', 'pos']);
    const bad = { code: 'extra-fields', rows: [54_323], count: 1, snippet: 'this one, sadly, has commas,neg' };
    expect(r.warnings).toEqual([expect.objectContaining(bad)]);
    expect(r.warnings[0].message).toMatch(/^Row 54323 has 4 fields where the header has 2/);
  });

  it('keeps spreadsheet row numbers when bad rows fall in different parse chunks', () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      i % 1000 === 7 ? '"quoted, fine\nover two lines",x,extra' : `"row ${i}, quoted",${i % 2 ? 'a' : 'b'}`,
    );
    const t = parseFile(enc.encode(`text,label\n${lines.join('\n')}\n`), { fileName: 'c.csv', chunkSize: 2048 });
    // rows as a spreadsheet numbers them: a quoted field over two lines is still one row
    expect(t.warnings).toEqual([expect.objectContaining({ code: 'extra-fields', rows: [9, 1009, 2009], count: 3 })]);
    expect(t.rows.length).toBe(2997);
    expect(t.rows.every((r) => r.length === 2)).toBe(true);
    expect(t.rowNumbers.slice(6, 8)).toEqual([8, 10]);
  });
});

describe('the command line (cli/data.ts)', () => {
  const path = join(dir, 'reviews.csv');
  writeFileSync(path, 'text,label\ngreat movie,pos\na,b,c,d\nawful film,neg\nonly text\nfine acting,pos\n');

  it('leaves the too-long row out of the examples and reports it with the warnings train prints', async () => {
    const t = await loadTable(path, '--data');
    const { mapping } = mappingFor(t, {}, true);
    const mapped = mapTable(t, mapping);
    expect(mapped.labels).toEqual(['neg', 'pos']);
    expect(mapped.records.map((r) => r.row)).toEqual([2, 4, 5, 6]);
    expect(mapped.warnings.map((w) => [w.code, w.rows])).toEqual([
      ['extra-fields', [3]],
      ['ragged-row', [5]],
      ['missing-label', [5]],
    ]);
    // inspect lists table and mapping warnings together: each once
    expect([...t.table.warnings, ...mapped.warnings].filter((w) => w.code === 'extra-fields').length).toBe(1);
  });
});
