// File bytes -> ParsedTable. Delimited files go through papaparse in chunks (progress per chunk); JSON, JSONL and
// CoNLL are line/whole-file parsers. Hard problems throw DataError (nothing is returned, so nothing can be stored);
// soft ones become warnings that list the affected rows.
import Papa from 'papaparse';
import { detectAndDecode, firstInvalidUtf8, lineColumnAt } from './encoding';
import { detectDelimiter, detectFormat, detectHeader, detectLineEnding } from './detect';
import { DataError, WarningSink, snippet } from './errors';
import { checkCell } from './cells';
import { parseConll } from './parse-conll';
import { parseJson } from './parse-json';
import type { DataFormat, DataWarning, ParsedTable, ParseOptions } from './types';

const DEFAULT_MAX_FIELD = 100_000;
const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

export function parseFile(bytes: Uint8Array, opts: ParseOptions = {}): ParsedTable {
  const file = opts.fileName;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) {
    throw new DataError(
      'file-too-large',
      `The file is ${mb(bytes.length)}, more than the ${mb(maxBytes)} this import accepts`,
      { file },
      'Split the file, or sample it down, and import the parts.',
    );
  }
  if (bytes.length === 0) throw new DataError('empty-file', 'The file is empty', { file }, 'Choose a file with rows of text and labels.');
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4) {
    throw new DataError(
      'binary-content',
      'This is a zip archive (for example an .xlsx workbook), not a text file',
      { file, row: 1 },
      'Save the sheet as CSV (UTF-8) and import that.',
    );
  }
  let warnings = new WarningSink();
  const dec = detectAndDecode(bytes, opts.encoding);
  let text = dec.text;
  if (dec.fallback) {
    const bad = firstInvalidUtf8(bytes);
    const at = lineColumnAt(new TextDecoder('latin1').decode(bytes.subarray(0, Math.max(0, bad))), bad);
    warnings.add(
      'latin1-fallback',
      'The file is not valid UTF-8; it was read as Latin-1 (Windows-1252). Check accented characters.',
      at.line,
      { snippet: snippet(text.slice(Math.max(0, bad - 20), bad + 20)) },
    );
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const at = lineColumnAt(text, nul);
    throw new DataError(
      'binary-content',
      'The file contains NUL bytes: it is binary, or in an encoding that was not recognised',
      { file, row: at.line, column: at.column, snippet: snippet(text.slice(Math.max(0, nul - 30), nul).replace(/\0/g, '')) },
      'Export the data as UTF-8 text (CSV, TSV or JSON lines).',
    );
  }
  const le = detectLineEnding(text);
  if (le.mixed) warnings.add('mixed-line-endings', 'The file mixes line endings (CRLF, LF, CR); all were read as line breaks.');
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  if (text.trim() === '')
    throw new DataError('empty-file', 'The file has no text (only whitespace)', { file }, 'Choose a file with rows of text and labels.');

  const format = opts.format ?? detectFormat(text, file);
  const base = { encoding: dec.encoding, lineEnding: le.ending, bytes: bytes.length };
  const maxField = opts.maxFieldChars ?? DEFAULT_MAX_FIELD;
  let table: Omit<ParsedTable, 'encoding' | 'lineEnding' | 'bytes' | 'warnings'>;
  if (format === 'json' || format === 'jsonl') table = parseJson(text, format, opts, warnings, maxField);
  else if (format === 'conll') table = parseConll(text, opts, warnings);
  else {
    // Raw TSV exports (e.g. SMS corpora) use " as an ordinary character; quoting then glues lines together or never
    // closes. For TSV, when the quoted reading fails or has malformed quotes, a literal reading that is at least as
    // regular wins.
    const tryLiteral =
      opts.quoting === undefined && (opts.delimiter ?? detectDelimiter(text, format === 'tsv' ? '\t' : undefined)) === '\t';
    let quotedError: unknown = null;
    let quoted: ReturnType<typeof parseDelimited> | null = null;
    const qs = new WarningSink();
    for (const x of warnings.list()) qs.add(x.code, x.message, x.rows[0], { snippet: x.snippet });
    try {
      quoted = parseDelimited(text, format, opts, qs, maxField, bytes.length, opts.quoting ?? true);
    } catch (e) {
      if (!tryLiteral || !(e instanceof DataError) || e.code !== 'unbalanced-quotes') throw e;
      quotedError = e;
    }
    const ragged = (ws: DataWarning[]) => ws.reduce((n, x) => n + (x.code === 'ragged-row' || x.code === 'extra-fields' ? x.count : 0), 0);
    if (tryLiteral && (quotedError || qs.list().some((x) => x.code === 'invalid-quotes'))) {
      const ls = new WarningSink();
      for (const x of warnings.list()) ls.add(x.code, x.message, x.rows[0], { snippet: x.snippet });
      let literal: ReturnType<typeof parseDelimited> | null = null;
      try {
        literal = parseDelimited(text, format, opts, ls, maxField, bytes.length, false);
      } catch (e) {
        if (quotedError) throw quotedError;
        if (!(e instanceof DataError)) throw e;
      }
      if (literal && (quotedError || ragged(ls.list()) <= ragged(qs.list()))) {
        ls.add('literal-quotes', 'Quote characters were read as ordinary text (the file does not use CSV quoting)');
        table = literal;
        warnings = ls;
      } else if (quotedError) throw quotedError;
      else {
        table = quoted!;
        warnings = qs;
      }
    } else {
      table = quoted!;
      warnings = qs;
    }
  }
  opts.onProgress?.(bytes.length, bytes.length);
  const extra = warnings.list().find((x) => x.code === 'extra-fields');
  if (table.rows.length === 0 && extra) {
    const what = `Every data row has more fields than the header has columns (${table.columns.length}), so none could be read`;
    throw new DataError(
      'too-many-fields',
      what,
      { file, row: extra.rows[0], snippet: extra.snippet },
      `Give every column a name in the header, or quote fields that contain ${delimiterName(table.delimiter ?? ',')}.`,
    );
  }
  if (table.rows.length === 0) {
    throw new DataError(
      'no-rows',
      table.hasHeader ? 'The file has a header row but no data rows' : 'The file has no data rows',
      { file },
      'Check that the file is the one you meant, with one example per row.',
    );
  }
  return { ...table, ...base, warnings: warnings.list() };
}

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function parseDelimited(
  text: string,
  format: DataFormat,
  opts: ParseOptions,
  warnings: WarningSink,
  maxField: number,
  totalBytes: number,
  quoting: boolean,
) {
  const file = opts.fileName;
  const delimiter = opts.delimiter ?? detectDelimiter(text, format === 'tsv' ? '\t' : undefined);
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  let header: string[] | null = null;
  let hasHeader = opts.hasHeader;
  let width = 0;
  let recordNo = 0; // 1-based spreadsheet row of the last record seen
  const pending: string[][] = []; // first rows, held until the header is decided
  const pendingNo: number[] = [];
  const textLen = text.length;
  let consumed = 0;

  // A row with more fields than the header cannot be read: which comma (tab, ...) is part of the text is a guess, and a
  // wrong guess makes a label nobody has. It is left out and reported. A shorter row is read with the missing fields
  // empty (the mapping then reports an empty text or a missing label by column, and leaves that row out of training).
  const accept = (r: string[], no: number) => {
    if (r.length > width) {
      warnings.add(
        'extra-fields',
        `Row ${no} has ${r.length} fields where ${widthOf()}; rows with more fields than that were left out, ` +
          `not split at a guess (is there ${delimiterName(delimiter)} in a field that is not quoted?)`,
        no,
        { snippet: snippet(r.join(delimiter)) },
      );
      return;
    }
    if (r.length < width) {
      warnings.add(
        'ragged-row',
        `Row ${no} has ${r.length} field${r.length === 1 ? '' : 's'} where ${widthOf()}; ` + 'the missing fields were read as empty',
        no,
        { snippet: snippet(r.join(delimiter)) },
      );
      r = r.concat(Array(width - r.length).fill(''));
    }
    for (let j = 0; j < r.length; j++) checkCell(r[j], no, header ? header[j] : j + 1, maxField, file, warnings);
    rows.push(r);
    rowNumbers.push(no);
  };
  const widthOf = () => (hasHeader ? `the header has ${width}` : `most rows have ${width}`);
  const decide = () => {
    if (hasHeader === undefined) {
      const named = Boolean(
        opts.expectColumns?.length && pending.length > 0 && opts.expectColumns.every((c) => pending[0].some((h) => h.trim() === c)),
      );
      hasHeader = named || detectHeader(pending);
    }
    let start = 0;
    if (hasHeader) {
      header = pending[0].map((h, j) => h.trim() || `column ${j + 1}`);
      const seen = new Map<string, number>();
      header = header.map((h) => {
        const n = seen.get(h) ?? 0;
        seen.set(h, n + 1);
        if (n > 0) warnings.add('duplicate-header', `Column name "${h}" appears more than once; later ones were renamed`, 1, { column: h });
        return n > 0 ? `${h} (${n + 1})` : h;
      });
      start = 1;
    }
    // without a header, the commonest field count among the first rows (ties: the first row's), so that one odd
    // first row does not make every other row ragged
    width = header ? header.length : commonestLength(pending);
    if (width > 10_000)
      throw new DataError('too-many-columns', `The first row has ${width} columns`, { file, row: 1 }, 'Check the delimiter.');
    for (let i = start; i < pending.length; i++) accept(pending[i], pendingNo[i]);
    pending.length = 0;
  };

  Papa.parse<string[]>(text, {
    delimiter,
    newline: '\n',
    quoteChar: quoting ? '"' : '\uffff',
    skipEmptyLines: false,
    chunkSize: opts.chunkSize ?? 1 << 20,
    complete: () => undefined,
    chunk: (res: Papa.ParseResult<string[]>) => {
      const base = recordNo;
      for (const e of res.errors) {
        const row = base + (e.row ?? 0) + 1;
        const data = e.row !== undefined ? res.data[e.row] : undefined;
        const snip = snippet((data ?? []).join(delimiter));
        if (e.code === 'MissingQuotes') {
          throw new DataError(
            'unbalanced-quotes',
            'A quoted field is opened but never closed (or a quote inside it is not doubled)',
            { file, row, snippet: snip },
            'Close the quote, or double quotes inside quoted fields ("" stands for one ").',
          );
        }
        if (e.code === 'InvalidQuotes')
          warnings.add('invalid-quotes', 'A quoted field has text after its closing quote (kept as written)', row, { snippet: snip });
      }
      for (const r of res.data) {
        recordNo++;
        if (r.length === 1 && r[0] === '') continue; // blank line
        if (header === null && width === 0) {
          pending.push(r);
          pendingNo.push(recordNo);
          if (pending.length >= 60) decide();
        } else accept(r, recordNo);
      }
      consumed = res.meta.cursor;
      opts.onProgress?.(Math.min(totalBytes, Math.round((consumed / textLen) * totalBytes)), totalBytes);
    },
  });
  if (width === 0 && pending.length > 0) decide();
  const columns = header ?? Array.from({ length: width }, (_, j) => `column ${j + 1}`);
  return {
    format: (delimiter === '\t' ? 'tsv' : 'csv') as DataFormat,
    delimiter,
    quoting,
    hasHeader: !!hasHeader,
    columns,
    rows,
    rowNumbers,
  };
}

function commonestLength(rows: string[][]): number {
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let best = rows[0].length;
  for (const [n, c] of counts) if (c > counts.get(best)!) best = n;
  return best;
}

function delimiterName(d: string): string {
  return d === '\t' ? 'a tab' : `a "${d}"`;
}
