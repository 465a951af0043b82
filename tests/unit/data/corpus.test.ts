// A corpus of malformed and unusual files, generated here. Each must give its specific error (DataError code, with
// row/column where one exists) or warning, never crash, and never leave partial data in the database. Every file goes
// through the engine's import (lib/data + lib/store) and through the studio's (lib/session/datasets: preview, then
// import with the previewed mapping, as the Data screen's worker runs them), on fake-indexeddb.
import { describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { DataError } from '@/lib/data/errors';
import { UserError } from '@/lib/errors';
import { importData, type ImportResult } from '@/lib/data/import';
import type { ColumnMapping, DataErrorCode, DataWarning } from '@/lib/data/types';
import type { EngineEvent } from '@/lib/protocol';
import { chunkRows, openStudioDb, type StudioDb } from '@/lib/store/db';
import { importAndStore, loadRecords } from '@/lib/session/stored-data';
import type { ImportOptions } from '@/lib/data/import';
import * as studio from '@/lib/session/datasets';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';

const enc = new TextEncoder();
const u8 = (...parts: (string | number[])[]) => {
  const chunks = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
};
const utf16 = (s: string, be: boolean, bom: boolean) => {
  const out = new Uint8Array((s.length + (bom ? 1 : 0)) * 2);
  let o = 0;
  const put = (c: number) => {
    out[o++] = be ? c >> 8 : c & 255;
    out[o++] = be ? c & 255 : c >> 8;
  };
  if (bom) put(0xfeff);
  for (let i = 0; i < s.length; i++) put(s.charCodeAt(i));
  return out;
};
const good = 'text,label\ngreat movie,pos\nawful film,neg\nfine acting,pos\n';

interface Case {
  name: string;
  bytes: Uint8Array;
  opts?: ImportOptions;
  mapping?: ColumnMapping;
  error?: DataErrorCode;
  where?: { row?: number; column?: string | number };
  warning?: DataWarning['code'];
  warningRows?: number[];
  check?: (r: ImportResult) => void;
}

const cases: Case[] = [
  // ---- hard errors: nothing stored ----
  { name: 'an empty file', bytes: u8(''), error: 'empty-file' },
  { name: 'only whitespace', bytes: u8('  \n\n \t\n'), error: 'empty-file' },
  { name: 'only a UTF-8 byte-order mark', bytes: u8([0xef, 0xbb, 0xbf]), error: 'empty-file' },
  { name: 'a zip archive (xlsx)', bytes: u8([0x50, 0x4b, 3, 4, 20, 0, 6, 0]), opts: { fileName: 'book.xlsx' }, error: 'binary-content' },
  {
    name: 'NUL bytes inside a CSV',
    bytes: u8('text,label\nok,a\nbad', [0], ' row,b\n'),
    error: 'binary-content',
    where: { row: 3, column: 4 },
  },
  {
    name: 'a PNG image',
    bytes: u8([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0]),
    error: 'binary-content',
  },
  {
    name: 'an unbalanced quote in the middle',
    bytes: u8('text,label\ngood,a\n"never closed,b\nmore,a\n'),
    error: 'unbalanced-quotes',
    where: { row: 3 },
  },
  {
    name: 'an unbalanced quote on the last row',
    bytes: u8('text,label\ngood,a\nfine,b\n"open at the end,a'),
    error: 'unbalanced-quotes',
    where: { row: 4 },
  },
  {
    name: 'a field over the size limit',
    bytes: u8(`text,label\nshort,a\n${'x'.repeat(500)},b\n`),
    opts: { maxFieldChars: 100 },
    error: 'field-too-large',
    where: { row: 3, column: 'text' },
  },
  {
    name: 'a field over the default limit of 100,000 characters',
    bytes: u8(`text,label\nshort,a\n${'x'.repeat(100_001)},b\n`),
    error: 'field-too-large',
    where: { row: 3, column: 'text' },
  },
  { name: 'a file over the size limit', bytes: u8(good), opts: { maxBytes: 10 }, error: 'file-too-large' },
  { name: 'a header and no rows', bytes: u8('text,label\n'), error: 'no-rows' },
  {
    name: 'invalid JSON',
    bytes: u8('[{"text": "a", "label": "x"},\n {"text": "b" "label": "y"}]'),
    opts: { fileName: 'd.json' },
    error: 'bad-json',
    where: { row: 2 },
  },
  { name: 'JSON that is a number', bytes: u8('42'), opts: { fileName: 'd.json' }, error: 'bad-json' },
  { name: 'an empty JSON array', bytes: u8('[]'), opts: { fileName: 'd.json' }, error: 'no-rows' },
  { name: 'a JSON array of numbers', bytes: u8('[1, 2, 3]'), opts: { fileName: 'd.json' }, error: 'no-rows' },
  {
    name: 'JSON lines where no line parses',
    bytes: u8('{oops\n{"text": \n'),
    opts: { fileName: 'd.jsonl' },
    error: 'bad-json',
    where: { row: 1 },
  },
  { name: 'a .conll file without tags', bytes: u8('one\ntwo\n\nthree\n'), opts: { fileName: 'x.conll' }, error: 'conll-empty' },
  { name: 'a label column with one class', bytes: u8('text,label\na,x\nb,x\nc,x\n'), error: 'one-class', where: { column: 'label' } },
  {
    name: 'a label column with one class after case folding',
    bytes: u8('text,label\na,Pos\nb,pos\nc, POS\n'),
    mapping: { task: 'classification', text: 'text', label: ['label'], caseFoldLabels: true },
    error: 'one-class',
  },
  { name: 'every text empty', bytes: u8('text,label\n,a\n  ,b\n'), error: 'all-text-empty', where: { column: 'text' } },
  {
    name: 'an empty label column',
    bytes: u8('text,label\na,\nb,\n'),
    mapping: { task: 'classification', text: 'text', label: ['label'] },
    error: 'no-labels',
  },
  {
    name: 'a mapping to a column that does not exist',
    bytes: u8(good),
    mapping: { task: 'classification', text: 'review', label: ['label'] },
    error: 'unknown-column',
    where: { column: 'review' },
  },
  { name: 'a mapping without a label column', bytes: u8(good), mapping: { task: 'classification', text: 'text' }, error: 'no-labels' },
  {
    name: 'regression labels that are all words',
    bytes: u8(good),
    mapping: { task: 'regression', text: 'text', label: ['label'] },
    error: 'no-labels',
  },
  {
    name: 'two label columns for single-label classification',
    bytes: u8('text,a,b\nx,1,2\ny,2,1\n'),
    mapping: { task: 'classification', text: 'text', label: ['a', 'b'] },
    error: 'bad-option',
  },
  {
    name: 'over 10,000 columns',
    bytes: u8(`${Array.from({ length: 10_001 }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(10_000)}1\n`),
    error: 'too-many-columns',
  },
  {
    name: 'a JSON field over the size limit',
    bytes: u8(`[{"text": "${'y'.repeat(300)}", "label": "a"}]`),
    opts: { fileName: 'd.json', maxFieldChars: 100 },
    error: 'field-too-large',
    where: { row: 1, column: 'text' },
  },
  {
    name: 'a UTF-16 file with a NUL character',
    bytes: utf16('text,label\na\u0000b,x\nc,y\n', false, true),
    error: 'binary-content',
    where: { row: 2 },
  },

  // ---- warnings and unusual but valid files: stored, rows counted ----
  {
    name: 'Latin-1 bytes',
    bytes: u8('text,label\ncaf', [0xe9], ',a\nthe, b\n'),
    warning: 'latin1-fallback',
    warningRows: [2],
    check: (r) => expect(r.data.records[0].text).toBe('café'),
  },
  {
    name: 'a UTF-8 byte-order mark',
    bytes: u8([0xef, 0xbb, 0xbf], good),
    check: (r) => {
      expect(r.table.columns).toEqual(['text', 'label']);
      expect(r.table.encoding).toBe('utf-8');
    },
  },
  {
    name: 'UTF-16 LE with BOM',
    bytes: utf16('text,label\nnaïve,a\nplain,b\n', false, true),
    check: (r) => {
      expect(r.table.encoding).toBe('utf-16le');
      expect(r.data.records[0].text).toBe('naïve');
    },
  },
  {
    name: 'UTF-16 BE with BOM',
    bytes: utf16('text,label\nnaïve,a\nplain,b\n', true, true),
    check: (r) => {
      expect(r.table.encoding).toBe('utf-16be');
      expect(r.data.records[1].label).toBe('b');
    },
  },
  {
    name: 'UTF-16 LE without BOM',
    bytes: utf16('text,label\nhello there,a\nplain text,b\n', false, false),
    check: (r) => {
      expect(r.table.encoding).toBe('utf-16le');
      expect(r.data.records.length).toBe(2);
    },
  },
  {
    name: 'CRLF line endings',
    bytes: u8('text,label\r\nx y,a\r\nz w,b\r\n'),
    check: (r) => {
      expect(r.table.lineEnding).toBe('crlf');
      expect(r.data.labels).toEqual(['a', 'b']);
    },
  },
  {
    name: 'old Mac CR line endings',
    bytes: u8('text,label\rx y,a\rz w,b\r'),
    check: (r) => {
      expect(r.table.lineEnding).toBe('cr');
      expect(r.data.records.length).toBe(2);
    },
  },
  {
    name: 'mixed CR and LF line endings',
    bytes: u8('text,label\nx,a\ry,b\nz,a\n'),
    warning: 'mixed-line-endings',
    check: (r) => expect(r.data.records.length).toBe(3),
  },
  {
    name: 'a quoted field spanning lines (CRLF)',
    bytes: u8('text,label\r\n"line one\r\nline two",a\r\nnext,b\r\n'),
    check: (r) => {
      expect(r.data.records[0].text).toBe('line one\nline two');
      expect(r.data.records[1].row).toBe(3);
    },
  },
  {
    name: 'escaped double quotes',
    bytes: u8('text,label\n"she said ""hi"", then left",a\nx,b\n'),
    check: (r) => expect(r.data.records[0].text).toBe('she said "hi", then left'),
  },
  {
    name: 'a row with too few fields (an unmapped column missing)',
    bytes: u8('text,label,extra\na,x,1\nb,y\nc,x,2\n'),
    warning: 'ragged-row',
    warningRows: [3],
    check: (r) => {
      expect(r.data.records.map((x) => [x.row, x.text, x.label])).toEqual([
        [2, 'a', 'x'],
        [3, 'b', 'y'],
        [4, 'c', 'x'],
      ]);
      const w = r.warnings.find((x) => x.code === 'ragged-row');
      expect(w).toMatchObject({ message: expect.stringMatching(/^Row 3 has 2 fields where the header has 3/), snippet: 'b,y' });
    },
  },

  // ---- ragged rows: a row with more fields than the header is reported and left out, never split at a guess ----
  {
    name: 'a row with more fields than the header (a,b,c,d under text,label)',
    bytes: u8('text,label\ngreat movie,pos\na,b,c,d\nawful film,neg\n'),
    warning: 'extra-fields',
    warningRows: [3],
    check: (r) => {
      expect(r.data.labels).toEqual(['neg', 'pos']);
      expect(r.data.records.map((x) => x.row)).toEqual([2, 4]);
      expect(r.table.rows).toEqual([
        ['great movie', 'pos'],
        ['awful film', 'neg'],
      ]);
      const w = r.warnings.find((x) => x.code === 'extra-fields')!;
      expect(w).toMatchObject({ count: 1, snippet: 'a,b,c,d' });
      expect(w.message).toMatch(/^Row 3 has 4 fields where the header has 2; .*left out/);
    },
  },
  {
    name: 'a row with one surplus field',
    bytes: u8('text,label\na,x\nb,y,surplus\nc,y\n'),
    warning: 'extra-fields',
    warningRows: [3],
    check: (r) =>
      expect(r.data.records.map((x) => [x.text, x.label])).toEqual([
        ['a', 'x'],
        ['c', 'y'],
      ]),
  },
  {
    name: 'unquoted commas in several texts',
    bytes: u8('text,label\ngreat movie,pos\nhello, world,neg\nfine,pos\nwell, well, well,neg\nbad,neg\n'),
    warning: 'extra-fields',
    warningRows: [3, 5],
    check: (r) => {
      expect(r.data.labels).toEqual(['neg', 'pos']);
      expect(r.data.records.map((x) => x.text)).toEqual(['great movie', 'fine', 'bad']);
      expect(r.warnings.find((x) => x.code === 'extra-fields')).toMatchObject({ count: 2, message: expect.stringContaining('a ","') });
    },
  },
  {
    name: 'quoted commas are not extra fields',
    bytes: u8('text,label\n"hello, world, again",pos\n"a, b",neg\nplain,pos\n'),
    check: (r) => {
      expect(r.data.records.map((x) => [x.text, x.label])).toEqual([
        ['hello, world, again', 'pos'],
        ['a, b', 'neg'],
        ['plain', 'pos'],
      ]);
    },
  },
  {
    name: 'a TSV row with an extra tab',
    bytes: u8('text\tlabel\nfine\tpos\nsplit\there\tneg\nbad\tneg\n'),
    opts: { fileName: 'x.tsv' },
    warning: 'extra-fields',
    warningRows: [3],
    check: (r) => {
      expect(r.data.records.map((x) => x.text)).toEqual(['fine', 'bad']);
      expect(r.warnings.find((x) => x.code === 'extra-fields')!.message).toContain('a tab');
    },
  },
  {
    name: 'an odd first row in a file without a header',
    bytes: u8(
      'pos,this film was a delight, from start to finish\nneg,i walked out after twenty minutes of this\n' +
        'pos,a warm and funny story with a great cast\nneg,dull and far too long for what it has to say\n',
    ),
    warning: 'extra-fields',
    warningRows: [1],
    check: (r) => {
      expect(r.table.hasHeader).toBe(false);
      expect(r.table.columns).toEqual(['column 1', 'column 2']);
      expect(r.data.records.map((x) => x.row)).toEqual([2, 3, 4]);
      expect(r.warnings.find((x) => x.code === 'extra-fields')!.message).toMatch(/^Row 1 has 3 fields where most rows have 2/);
    },
  },
  {
    name: 'a short row without its label',
    bytes: u8('text,label\ngreat movie,pos\njust some text\nawful film,neg\n'),
    warning: 'ragged-row',
    warningRows: [3],
    check: (r) => {
      const w = r.warnings.find((x) => x.code === 'ragged-row');
      expect(w).toMatchObject({ message: expect.stringMatching(/^Row 3 has 1 field where the header has 2/), snippet: 'just some text' });
      expect(r.warnings.find((x) => x.code === 'missing-label')).toMatchObject({ rows: [3], column: 'label' });
      expect(r.data.records[1]).toMatchObject({ row: 3, label: null });
    },
  },
  {
    name: 'a short row in a text-pair file',
    bytes: u8('premise,hypothesis,label\nA man eats,Someone eats,entailment\nA dog runs,contradiction\nA cat naps,A dog barks,neutral\n'),
    mapping: { task: 'classification', text: 'premise', textPair: 'hypothesis', label: ['label'] },
    warning: 'ragged-row',
    warningRows: [3],
    check: (r) => {
      expect(r.data.labels).toEqual(['entailment', 'neutral']);
      expect(r.warnings.find((x) => x.code === 'missing-label')).toMatchObject({ rows: [3], column: 'label' });
      expect(r.data.records[1]).toMatchObject({ row: 3, label: null });
    },
  },
  { name: 'every data row longer than the header', bytes: u8('text,label\na,x,1\nb,y,2\n'), error: 'too-many-fields', where: { row: 2 } },
  {
    name: 'empty texts',
    bytes: u8('text,label\na,x\n,y\n   ,x\nd,y\n'),
    warning: 'empty-text',
    warningRows: [3, 4],
    check: (r) => expect(r.warnings.find((x) => x.code === 'empty-text')!.message).toMatch(/; they are left out of training$/),
  },
  {
    name: 'labels that differ only in case',
    bytes: u8('text,label\na,pos\nb,neg\nc,Pos\nd,pos\ne,neg\n'),
    warning: 'label-case',
    warningRows: [4],
    check: (r) => {
      expect(r.data.labels).toHaveLength(3);
      expect(r.warnings.find((x) => x.code === 'label-case')!.message).toBe(
        'Some labels differ only in case ("pos" and "Pos"); they are separate classes unless label case is ignored',
      );
    },
  },
  {
    name: 'labels that differ only in case, case ignored',
    bytes: u8('text,label\na,pos\nb,neg\nc,Pos\nd,pos\ne,neg\n'),
    mapping: { task: 'classification', text: 'text', label: ['label'], caseFoldLabels: true },
    check: (r) => {
      expect(r.data.labels).toEqual(['neg', 'pos']);
      expect(r.warnings).toEqual([]);
    },
  },
  {
    name: 'a label with one example beside labels with many',
    bytes: u8('text,label\n', ...Array.from({ length: 40 }, (_, i) => `t${i},${i % 2 ? 'pos' : 'neg'}\n`), 'u,neutral\n'),
    warning: 'rare-label',
    warningRows: [42],
    check: (r) =>
      expect(r.warnings.find((x) => x.code === 'rare-label')!.message).toBe(
        'Label "neutral" has fewer than 5 examples: too few to learn, and it may be missing from the validation split',
      ),
  },
  {
    name: 'a label per row (an id or free-text column picked as the label)',
    bytes: u8('text,label\n', ...Array.from({ length: 12 }, (_, i) => `t${i},code-${i}\n`)),
    warning: 'unique-labels',
    warningRows: Array.from({ length: 12 }, (_, i) => i + 2),
    check: (r) =>
      expect(r.warnings.find((x) => x.code === 'unique-labels')!.message).toBe(
        'Every label occurs once (12 labels in 12 rows): a classifier learns each label from several examples, and a label ' +
          'held out for validation is never trained on. Is "label" an id, a free-text or a number column?',
      ),
  },
  {
    name: 'nine rows with a label each: a toy file, no warning about unique labels',
    bytes: u8('text,label\n', ...Array.from({ length: 9 }, (_, i) => `t${i},code-${i}\n`)),
    check: (r) => expect(r.warnings).toEqual([]),
  },
  {
    name: 'missing labels',
    bytes: u8('text,label\na,x\nb,\nc,y\n'),
    warning: 'missing-label',
    warningRows: [3],
    check: (r) => expect(r.data.records[1].label).toBeNull(),
  },
  {
    name: 'text after a closing quote',
    bytes: u8('text,label\n"a "b" c",x\nb,y\n'),
    warning: 'invalid-quotes',
    warningRows: [2],
    check: (r) => expect(r.data.records[0].text).toBe('a "b" c'),
  },
  { name: 'control characters in a field', bytes: u8('text,label\nbell\u0007 here,x\nb,y\n'), warning: 'control-chars', warningRows: [2] },
  {
    name: 'duplicate column names',
    bytes: u8('text,text,label\na,b,x\nc,d,y\n'),
    warning: 'duplicate-header',
    check: (r) => expect(r.table.columns).toEqual(['text', 'text (2)', 'label']),
  },
  {
    name: 'semicolon delimiters',
    bytes: u8('text;label\nhello, world;a\nbye, all;b\n'),
    check: (r) => {
      expect(r.table.delimiter).toBe(';');
      expect(r.data.records[0].text).toBe('hello, world');
    },
  },
  { name: 'pipe delimiters', bytes: u8('text|label\nhello, world|a\nbye|b\n'), check: (r) => expect(r.table.delimiter).toBe('|') },
  {
    name: 'tabs in a file named .csv',
    bytes: u8('text\tlabel\nhello, world\ta\nbye\tb\n'),
    opts: { fileName: 'x.csv' },
    check: (r) => expect(r.table.delimiter).toBe('\t'),
  },
  {
    name: 'no header row',
    bytes: u8(
      'pos,this film was a delight from start to finish\nneg,i walked out after twenty minutes of this\n' +
        'pos,a warm and funny story with a great cast\nneg,dull and far too long for what it has to say\n',
    ),
    check: (r) => {
      expect(r.table.hasHeader).toBe(false);
      expect(r.mapping.text).toBe('column 2');
      expect(r.mapping.label).toEqual(['column 1']);
      expect(r.data.records.length).toBe(4);
    },
  },
  {
    name: 'blank lines between rows',
    bytes: u8('text,label\na,x\n\n\nb,y\n'),
    check: (r) => expect(r.data.records.map((x) => x.row)).toEqual([2, 5]),
  },
  { name: 'no newline at the end', bytes: u8('text,label\na,x\nb,y'), check: (r) => expect(r.data.records.length).toBe(2) },
  {
    name: 'JSON lines with one bad line',
    bytes: u8('{"text":"a","label":"x"}\n{broken\n{"text":"b","label":"y"}\n'),
    opts: { fileName: 'd.jsonl' },
    warning: 'bad-json-line',
    warningRows: [2],
  },
  {
    name: 'a JSON array with a non-object item',
    bytes: u8('[{"text":"a","label":"x"}, 7, {"text":"b","label":"y"}]'),
    opts: { fileName: 'd.json' },
    warning: 'bad-json-line',
    warningRows: [2],
  },
  {
    name: 'JSON with list labels (multi-label)',
    bytes: u8('[{"text":"a","labels":["x","y"]},{"text":"b","labels":["y"]},{"text":"c","labels":[]}]'),
    opts: { fileName: 'd.json' },
    warning: 'no-label-applies',
    check: (r) => {
      expect(r.mapping.task).toBe('multilabel');
      expect(r.data.records[0].label).toEqual(['x', 'y']);
      expect(r.data.records[2].label).toEqual([]);
      expect(r.data.labels).toEqual(['x', 'y']);
    },
  },
  {
    name: 'JSON wrapped in an object',
    bytes: u8('{"data":[{"text":"a","label":1},{"text":"b","label":0}]}'),
    opts: { fileName: 'd.json' },
    check: (r) => expect(r.data.labels).toEqual(['0', '1']),
  },
  {
    name: 'CoNLL with a line missing its tag',
    bytes: u8('Paris\tB-location\nis\nnice\tO\n\nBob\tB-person\n'),
    opts: { fileName: 'x.conll' },
    warning: 'conll-bad-line',
    warningRows: [2],
    check: (r) => {
      expect(r.data.records[0].words).toEqual(['Paris', 'nice']);
      expect(r.data.records[1].tags).toEqual(['B-person']);
    },
  },
  {
    name: 'CoNLL with -DOCSTART- lines (sniffed, .txt)',
    bytes: u8('-DOCSTART- O\n\nEU\tB-ORG\nrejects\tO\n\nPeter\tB-PER\n'),
    opts: { fileName: 'ner.txt' },
    check: (r) => {
      expect(r.table.format).toBe('conll');
      expect(r.data.records.length).toBe(2);
    },
  },
  {
    name: 'unknown split values',
    bytes: u8('text,label,split\na,x,train\nb,y,holdout\nc,x,dev\nd,y,test\n'),
    warning: 'bad-split-value',
    warningRows: [3],
    check: (r) => expect(r.data.records.map((x) => x.split)).toEqual(['train', undefined, 'validation', 'test']),
  },
  {
    name: 'some non-numeric regression labels',
    bytes: u8('text,score\na,0.5\nb,n/a\nc,1.25\n'),
    mapping: { task: 'regression', text: 'text', label: ['score'] },
    warning: 'non-numeric-label',
    warningRows: [3],
  },
  {
    name: 'TSV with raw quote characters',
    bytes: u8('ham\t"Hi" she said\nspam\tWIN "cash" now\nham\tok\n'),
    warning: 'literal-quotes',
    check: (r) => expect(r.data.records[0].text).toBe('"Hi" she said'),
  },
  {
    name: 'TSV with an unclosed raw quote',
    bytes: u8('ham\t"never closed\nspam\tfree prize\n'),
    warning: 'literal-quotes',
    check: (r) => expect(r.data.records.length).toBe(2),
  },
  {
    name: 'labels with stray whitespace and case',
    bytes: u8('text,label\na, Pos \nb,pos\nc,NEG\n'),
    mapping: { task: 'classification', text: 'text', label: ['label'], caseFoldLabels: true },
    check: (r) => expect(r.data.labels).toEqual(['neg', 'pos']),
  },
  {
    name: 'numeric class labels kept as names',
    bytes: u8('text,label\na,10\nb,2\nc,1\n'),
    mapping: { task: 'classification', text: 'text', label: ['label'] },
    check: (r) => expect(r.data.labels).toEqual(['1', '2', '10']),
  },
  {
    name: 'multi-label with a separator',
    bytes: u8('text,tags\na,x|y\nb,y\nc,z| x\n'),
    mapping: { task: 'multilabel', text: 'text', label: ['tags'], labelSeparator: '|' },
    check: (r) => expect(r.data.records[2].label).toEqual(['z', 'x']),
  },
  {
    name: 'multi-label: an empty cell is a text no label applies to, kept (a short row reads its cell as empty)',
    bytes: u8('text,tags\na,x|y\nb,\nc\nd,y\n'),
    mapping: { task: 'multilabel', text: 'text', label: ['tags'], labelSeparator: '|' },
    warning: 'no-label-applies',
    warningRows: [3, 4],
    check: (r) => {
      expect(r.data.records.map((x) => x.label)).toEqual([['x', 'y'], [], [], ['y']]);
      expect(r.warnings.find((x) => x.code === 'ragged-row')).toMatchObject({ rows: [4] });
      expect(r.warnings.find((x) => x.code === 'missing-label')).toBeUndefined();
      expect(r.data.labels).toEqual(['x', 'y']);
    },
  },
  {
    name: 'multi-label JSON lines: an empty list or a missing key is a text no label applies to',
    bytes: u8('{"text":"a","tags":["x","y"]}\n{"text":"b","tags":[]}\n{"text":"c"}\n{"text":"d","tags":["y"]}\n'),
    opts: { fileName: 'd.jsonl' },
    warning: 'no-label-applies',
    warningRows: [2, 3],
    check: (r) => {
      expect(r.mapping).toMatchObject({ task: 'multilabel', label: ['tags'] });
      expect(r.data.records.map((x) => x.label)).toEqual([['x', 'y'], [], [], ['y']]);
    },
  },
  {
    name: 'multi-label as 0/1 columns',
    bytes: u8('text,toxic,insult\na,1,0\nb,0,1\nc,1,1\n'),
    check: (r) => {
      expect(r.mapping.task).toBe('multilabel');
      expect(r.data.records[2].label).toEqual(['toxic', 'insult']);
    },
  },
  {
    name: 'a text-pair file',
    bytes: u8('premise,hypothesis,label\nA man eats,Someone eats,entailment\nA dog runs,A cat sleeps,contradiction\n'),
    check: (r) => {
      expect(r.mapping.textPair).toBe('hypothesis');
      expect(r.data.records[0].textPair).toBe('Someone eats');
    },
  },
  {
    name: 'a header with an empty column name',
    bytes: u8('text,,label\na,1,x\nb,2,y\n'),
    check: (r) => expect(r.table.columns).toEqual(['text', 'column 2', 'label']),
  },
];

describe('malformed and unusual files', () => {
  it('has at least 50 cases', () => expect(cases.length).toBeGreaterThanOrEqual(50));

  for (const c of cases) {
    it(`${c.error ? `rejects ${c.error}` : c.warning ? `warns ${c.warning}` : 'imports'}: ${c.name}`, async () => {
      const db = openStudioDb({ name: 'corpus', indexedDB: new IDBFactory(), IDBKeyRange });
      try {
        let out: Awaited<ReturnType<typeof importInto>> | undefined;
        let err: unknown;
        try {
          out = await importInto(db, c.bytes, { fileName: 'data.csv', ...c.opts, mapping: c.mapping });
        } catch (e) {
          err = e;
        }
        if (c.error) {
          expect(err, 'expected a DataError').toBeInstanceOf(DataError);
          const e = err as DataError;
          expect(e.code).toBe(c.error);
          expect(e.describe().length).toBeGreaterThan(10);
          if (c.where?.row !== undefined) expect(e.where.row).toBe(c.where.row);
          if (c.where?.column !== undefined) expect(e.where.column).toBe(c.where.column);
          expect(await db.datasets.count()).toBe(0);
          expect(await db.rowChunks.count()).toBe(0);
          return;
        }
        if (err) throw err;
        const { result, dataset } = out!;
        if (c.warning) {
          const w = result.warnings.find((x) => x.code === c.warning);
          expect(w, `warning ${c.warning} in ${JSON.stringify(result.warnings)}`).toBeDefined();
          if (c.warningRows) expect(w!.rows).toEqual(c.warningRows);
        } else {
          expect(result.warnings.filter((w) => w.code !== 'empty-text' && w.code !== 'missing-label')).toEqual([]);
        }
        c.check?.(result);
        expect(dataset.rowCount).toBe(result.table.rows.length);
        const chunks = await db.rowChunks.toArray();
        expect(chunks.reduce((a, ch) => a + chunkRows(ch).length, 0)).toBe(result.table.rows.length);
      } finally {
        db.close();
      }
    });
  }
});

const importInto = importAndStore;

/** What the engine's own import makes of a file: its result, or the UserError it throws (anything else is a crash). */
function engineImport(c: Case, fileName: string): { result?: ImportResult; error?: UserError } {
  try {
    return { result: importData(c.bytes, { fileName, mapping: c.mapping }) };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { error: e };
  }
}

async function storedNothing(db: StudioDb): Promise<void> {
  for (const t of db.tables) expect(await t.count(), `rows in table ${t.name}`).toBe(0);
}

describe("the same files through the studio's import (lib/session/datasets: preview, then import)", () => {
  for (const c of cases) {
    it(`${c.error ? `rejects ${c.error}` : c.warning ? `warns ${c.warning}` : 'imports'}: ${c.name}`, async () => {
      const db = openStudioDb({ name: 'studio-corpus', indexedDB: new IDBFactory(), IDBKeyRange });
      useDatabase(db);
      const events: EngineEvent[] = [];
      const host: SessionHost = { post: (ev) => void events.push(ev) };
      const got = <T extends EngineEvent['type']>(type: T) =>
        events.find((e) => e.type === type) as Extract<EngineEvent, { type: T }> | undefined;
      const name = c.opts?.fileName ?? 'data.csv';
      const file = new File([new Uint8Array(c.bytes)], name);
      // The Data screen passes the file and its name only; cases that set other parse options (size limits) get the
      // engine's defaults here, and must then come out as the engine's import does with those defaults.
      const reproducible = Object.keys(c.opts ?? {}).every((k) => k === 'fileName');
      const engine = engineImport(c, name);
      let err: unknown;
      try {
        await studio.preview(host, { type: 'dataset-preview', requestId: 'p', file, name });
        const mapping = c.mapping ?? got('dataset-preview-result')!.preview.suggested;
        await studio.importDataset(host, { type: 'dataset-import', requestId: 'i', file, name, mapping, split: studio.DEFAULT_SPLIT });
      } catch (e) {
        err = e;
      }
      try {
        const preview = got('dataset-preview-result')?.preview;
        if (preview && engine.result) {
          expect(preview.rowCount).toBe(engine.result.table.rows.length);
          expect(preview.warnings).toEqual(engine.result.table.warnings.map(studio.describeWarning));
        }
        if (err !== undefined) {
          expect(err, `a UserError, not a crash: ${String(err)}`).toBeInstanceOf(UserError);
          const e = err as UserError;
          expect(e.where.file).toBe(name);
          expect(e.describe()).toContain(name);
          if (reproducible) {
            expect(c.error, `the studio rejected a file the engine imports: ${e.describe()}`).toBeDefined();
            expect((e as DataError).code).toBe(c.error);
            if (c.where?.row !== undefined) expect(e.where.row).toBe(c.where.row);
            if (c.where?.column !== undefined) expect(e.where.column).toBe(c.where.column);
          }
          expect(engine.error?.describe()).toBe(e.describe());
          expect(got('dataset-imported')).toBeUndefined();
          await storedNothing(db);
          return;
        }
        if (reproducible) expect(c.error, 'the studio imported a file the case expects to be rejected').toBeUndefined();
        expect(engine.error?.describe(), 'the studio imported a file the engine rejects').toBeUndefined();
        const expected = engine.result!;
        const imported = got('dataset-imported')!;
        expect(imported.rows).toBe(expected.table.rows.length);
        expect(imported.warnings).toEqual(expected.warnings.map(studio.describeWarning));
        const stored = (await db.datasets.get(imported.datasetId))!;
        expect(stored.warnings).toEqual(expected.warnings);
        if (reproducible && c.warning) {
          const w = stored.warnings.find((x) => x.code === c.warning);
          expect(w, `warning ${c.warning} in ${JSON.stringify(stored.warnings)}`).toBeDefined();
          if (c.warningRows) expect(w!.rows).toEqual(c.warningRows);
        }
        // what a run will train on is what the import reported: the stored rows map to the same records and labels
        const back = await loadRecords(db, imported.datasetId);
        expect(back.records).toEqual(expected.data.records);
        expect(back.labels).toEqual(expected.data.labels);
        expect(stored.rowCount).toBe(expected.table.rows.length);
      } finally {
        db.close();
      }
    });
  }
});
