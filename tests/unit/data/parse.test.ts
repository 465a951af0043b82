// Detection (encoding, format, delimiter, header, line endings) and chunked parsing with progress in bytes.
import { describe, expect, it } from 'vitest';
import { detectDelimiter, detectFormat, detectHeader, detectLineEnding } from '@/lib/data/detect';
import { detectAndDecode } from '@/lib/data/encoding';
import { parseFile } from '@/lib/data/parse';
import { suggestMapping } from '@/lib/data/mapping';

const enc = new TextEncoder();

describe('detection', () => {
  it('finds line endings, flagging a lone CR among others', () => {
    expect(detectLineEnding('a\r\nb\r\n')).toEqual({ ending: 'crlf', mixed: false });
    expect(detectLineEnding('a\r\n"x\ny"\r\n')).toEqual({ ending: 'crlf', mixed: false });
    expect(detectLineEnding('a\rb\r')).toEqual({ ending: 'cr', mixed: false });
    expect(detectLineEnding('a\nb\rc\n').mixed).toBe(true);
  });

  it('tells formats apart by extension first, then content', () => {
    expect(detectFormat('[{"a":1}]')).toBe('json');
    expect(detectFormat('{"a":1}\n{"a":2}\n')).toBe('jsonl');
    expect(detectFormat('EU\tB-ORG\nrejects\tO\n\nPeter\tB-PER\n')).toBe('conll');
    expect(detectFormat('a,b\n1,2\n')).toBe('csv');
    expect(detectFormat('{"a":1}\n', 'x.json')).toBe('json');
    expect(detectFormat('a\tb\n', 'x.tsv')).toBe('tsv');
  });

  it('picks the delimiter with consistent field counts', () => {
    expect(detectDelimiter('a;b;c\n1;2,5;3\n4;5;6\n')).toBe(';');
    expect(detectDelimiter('text\tlabel\nhello, there\tx\nyes, no\ty\n')).toBe('\t');
    expect(detectDelimiter('"a, b",c\n"d, e",f\n')).toBe(',');
  });

  it('recognises header rows and data rows', () => {
    expect(
      detectHeader([
        ['text', 'label'],
        ['hello', 'x'],
      ]),
    ).toBe(true);
    expect(
      detectHeader([
        ['review_body', 'stars'],
        ['it was good', '5'],
        ['bad', '1'],
        ['fine', '3'],
      ]),
    ).toBe(true);
    expect(
      detectHeader([
        ['ham', 'Go until jurong point, crazy.. Available only in bugis'],
        ['ham', 'Ok lar... Joking wif u oni...'],
        ['spam', 'Free entry in 2 a wkly comp to win FA Cup final tkts'],
        ['ham', 'U dun say so early hor... U c already then say...'],
      ]),
    ).toBe(false);
    expect(
      detectHeader([
        ['sentiment', 'what a wonderful, moving film about a family in crisis'],
        ['negative', 'a dull and lifeless remake of a great original'],
        ['positive', 'funny, warm and sharply written throughout the film'],
        ['sentiment', 'i would not watch this again for any amount of money'],
      ]),
    ).toBe(false);
  });

  it('takes a name over a column of numbers as a header, even beside short texts', () => {
    // man-page one-line descriptions and their section: the texts are too short for the name to stand out by length
    const rows = [
      ['what it does', 'man section'],
      ['Time Aware Priority Shaper', '8'],
      ['copy a fixed-size string of wide characters', '3'],
      ['display kernel slab cache information', '1'],
      ['A simple UEFI kernel boot stub', '7'],
      ['list directory contents', '1'],
    ];
    expect(detectHeader(rows)).toBe(true);
    // a data row whose number is missing is not a header when its text is too long to be a column name
    expect(detectHeader([['the first review in this file, with its score not given', 'NA'], ...rows.slice(1)])).toBe(false);
    expect(detectHeader([['great film', '1'], ...rows.slice(1)])).toBe(false);
  });

  it('takes the first row for the header when it holds every column the caller names', () => {
    const csv = enc.encode(
      `query text,intent label\n${Array.from({ length: 30 }, (_, i) => `play song ${i},intent_${i % 9}`).join('\n')}\n`,
    );
    expect(parseFile(csv, { fileName: 'q.csv' }).hasHeader).toBe(false);
    expect(parseFile(csv, { fileName: 'q.csv', expectColumns: ['query text'] }).columns).toEqual(['query text', 'intent label']);
    expect(parseFile(csv, { fileName: 'q.csv', expectColumns: ['query text', 'intent'] }).hasHeader).toBe(false);
    expect(parseFile(csv, { fileName: 'q.csv', expectColumns: ['query text'], hasHeader: false }).hasHeader).toBe(false);
  });

  it('decodes BOM-less UTF-16 and marks invalid UTF-8 as a Latin-1 fallback', () => {
    const le = new Uint8Array([...'hi there'].flatMap((c) => [c.charCodeAt(0), 0]));
    expect(detectAndDecode(le)).toMatchObject({ text: 'hi there', encoding: 'utf-16le', bom: false });
    expect(detectAndDecode(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toMatchObject({ text: 'café', encoding: 'latin1', fallback: true });
    expect(detectAndDecode(enc.encode('café'))).toMatchObject({ text: 'café', encoding: 'utf-8', fallback: false });
  });
});

describe('chunked parsing', () => {
  it('reports progress in bytes, rising to the total, across chunks', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `"row ${i}, with a comma\nand a line break",${i % 2 ? 'odd' : 'even'}`);
    const bytes = enc.encode(`text,label\n${rows.join('\n')}\n`);
    const seen: [number, number][] = [];
    const t = parseFile(bytes, { fileName: 'p.csv', chunkSize: 4096, onProgress: (d, n) => seen.push([d, n]) });
    expect(t.rows.length).toBe(3000);
    expect(t.rows[2999][0]).toBe('row 2999, with a comma\nand a line break');
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every(([, n]) => n === bytes.length)).toBe(true);
    expect(seen.every(([d], i) => i === 0 || d >= seen[i - 1][0])).toBe(true);
    expect(seen[seen.length - 1][0]).toBe(bytes.length);
  });

  it('keeps spreadsheet row numbers through multi-line fields', () => {
    const t = parseFile(enc.encode('text,label\n"a\nb",x\nc,y\n'), { fileName: 'r.csv' });
    expect(t.rowNumbers).toEqual([2, 3]);
  });

  it('suggests text, label and split columns from names and values', () => {
    const t = parseFile(
      enc.encode(
        'id,sentence,intent,set\n1,book a flight to paris,travel,train\n2,play some jazz,music,dev\n' +
          '3,what is the weather,weather,test\n4,fly me to rome,travel,train\n',
      ),
      { fileName: 's.csv' },
    );
    expect(suggestMapping(t)).toEqual({ task: 'classification', text: 'sentence', label: ['intent'], split: 'set' });
    const r = parseFile(enc.encode('text,score\na,0.25\nb,3.5\nc,1.75\n'), { fileName: 'r.csv' });
    expect(suggestMapping(r)).toMatchObject({ task: 'regression', label: ['score'] });
  });

  it('takes integer labels numbering over 20 classes as classes, integers with gaps or under a quantity name as values', () => {
    const file = (head: string, value: (i: number) => number, rows = 300) =>
      parseFile(
        enc.encode(`text,${head}
${Array.from({ length: rows }, (_, i) => `row ${i},${value(i)}`).join('\n')}
`),
        {
          fileName: 'n.csv',
        },
      );
    // a Hub dataset exported to CSV: Banking77's label ids 0–76
    expect(suggestMapping(file('label', (i) => i % 77, 400)).task).toBe('classification');
    expect(suggestMapping(file('class', (i) => 1 + (i % 30))).task).toBe('classification');
    // ages 18–90 with gaps, a contiguous 0–100 score, too few rows per id: values to predict
    expect(suggestMapping(file('label', (i) => 18 + ((i * 7) % 73))).task).toBe('regression');
    expect(suggestMapping(file('score', (i) => i % 101)).task).toBe('regression');
    expect(suggestMapping(file('label', (i) => i % 200)).task).toBe('regression');
    // a quantity's name as a word only: "message_type" is no "age"
    expect(suggestMapping(file('star_rating', (i) => i % 30)).task).toBe('regression');
    expect(suggestMapping(file('message_type', (i) => i % 30)).task).toBe('classification');
  });
});
