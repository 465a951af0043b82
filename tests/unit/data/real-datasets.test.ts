// Every real dataset in ../shared/datasets imports with its published row and label counts (README there).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, sharedPath } from '@/tests/helpers/shared';
import { importData } from '@/lib/data/import';
import { analyse } from '@/lib/data/report';

const read = (...p: string[]) => new Uint8Array(readFileSync(sharedPath('datasets', ...p)!));
const countBy = (xs: (string | null)[]) => xs.reduce((m, x) => m.set(String(x), (m.get(String(x)) ?? 0) + 1), new Map<string, number>());

describe.skipIf(!hasShared('datasets/banking77'))('Banking77 (CSV, CRLF, quoted multi-line fields)', () => {
  const categories: string[] = JSON.parse(readFileSync(sharedPath('datasets', 'banking77', 'categories.json')!, 'utf8'));
  for (const [file, rows] of [
    ['train.csv', 10_003],
    ['test.csv', 3_080],
  ] as const) {
    it(`imports ${file} with ${rows} rows and the 77 categories`, () => {
      const r = importData(read('banking77', file), { fileName: file });
      expect(r.table.lineEnding).toBe('crlf');
      expect(r.table.hasHeader).toBe(true);
      expect(r.mapping).toMatchObject({ task: 'classification', text: 'text', label: ['category'] });
      expect(r.data.records.length).toBe(rows);
      expect(r.data.labels.length).toBe(77);
      expect([...r.data.labels].sort()).toEqual([...categories].sort());
      expect(r.warnings).toEqual([]);
      expect(r.data.records.every((x) => !x.text.includes('\r') && !String(x.label).includes('\r'))).toBe(true);
    });
  }
  it('keeps quoted fields that span lines as one row', () => {
    const r = importData(read('banking77', 'train.csv'), { fileName: 'train.csv' });
    const multi = r.data.records.filter((x) => x.text.includes('\n'));
    expect(multi.length).toBeGreaterThan(0);
    expect(multi.every((x) => categories.includes(x.label as string))).toBe(true);
  });
});

describe.skipIf(!hasShared('datasets/sms_spam'))('SMS Spam Collection (label<TAB>text, no header, raw quotes)', () => {
  it('imports 5,574 messages: ham 4,827 / spam 747', () => {
    const r = importData(read('sms_spam', 'SMSSpamCollection'), { fileName: 'SMSSpamCollection' });
    expect(r.table.delimiter).toBe('\t');
    expect(r.table.hasHeader).toBe(false);
    expect(r.mapping.label).toEqual(['column 1']);
    expect(r.mapping.text).toBe('column 2');
    expect(r.data.records.length).toBe(5574);
    expect(Object.fromEntries(countBy(r.data.records.map((x) => x.label as string)))).toEqual({ ham: 4827, spam: 747 });
    const report = analyse(r.data.records);
    expect(report.exactDuplicates.count).toBeGreaterThan(0); // the corpus has repeated messages
  });
});

describe.skipIf(!hasShared('datasets/sst2'))('SST-2 (<label> <sentence>, converted to TSV)', () => {
  for (const [file, rows] of [
    ['stsa.binary.train', 6920],
    ['stsa.binary.dev', 872],
    ['stsa.binary.test', 1821],
  ] as const) {
    it(`imports ${file} with ${rows} sentences and labels 0/1`, () => {
      const raw = readFileSync(sharedPath('datasets', 'sst2', file)!, 'utf8');
      const lines = raw.split('\n').filter((l) => l.trim());
      const tsv = `label\tsentence\n${lines.map((l) => l.replace(' ', '\t')).join('\n')}\n`;
      const r = importData(new TextEncoder().encode(tsv), { fileName: `${file}.tsv` });
      expect(r.data.records.length).toBe(rows);
      expect(r.data.labels).toEqual(['0', '1']);
      const positives = lines.filter((l) => l.startsWith('1 ')).length;
      expect(countBy(r.data.records.map((x) => x.label as string)).get('1')).toBe(positives);
    });
  }
});

describe.skipIf(!hasShared('datasets/wnut17'))('WNUT-17 (CoNLL token<TAB>tag)', () => {
  const tags = new Set([
    'O',
    ...['person', 'location', 'group', 'creative-work', 'corporation', 'product'].flatMap((t) => [`B-${t}`, `I-${t}`]),
  ]);
  for (const [file, rows] of [
    ['wnut17train.conll', 3394],
    ['emerging.dev.conll', 1009],
    ['emerging.test.annotated', 1287],
  ] as const) {
    it(`imports ${file} as ${rows} sentences with one BIO tag per token`, () => {
      const r = importData(read('wnut17', file), { fileName: file });
      expect(r.table.format).toBe('conll');
      expect(r.mapping.task).toBe('token-classification');
      expect(r.data.records.length).toBe(rows);
      expect(r.data.records.every((x) => x.words!.length === x.tags!.length && x.words!.length > 0)).toBe(true);
      expect(r.data.labels.every((t) => tags.has(t))).toBe(true);
      expect(r.data.labels.length).toBe(13);
    });
  }
});
