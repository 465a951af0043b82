// JSON and JSON Lines -> ParsedTable: an array of records or one record per line, a column per key (lists of scalars
// joined with |), and records of token and tag lists read as the CoNLL table (tokens, tags).
import { checkCell } from './cells';
import { tokenTagFields } from './detect';
import { lineColumnAt } from './encoding';
import { DataError, WarningSink, snippet } from './errors';
import type { ParseOptions } from './types';

function cellOf(v: unknown): { s: string; list: boolean } {
  if (v === null || v === undefined) return { s: '', list: false };
  if (typeof v === 'string') return { s: v, list: false };
  if (typeof v === 'number' || typeof v === 'boolean') return { s: String(v), list: false };
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null))
    return { s: v.map((x) => String(x ?? '')).join('|'), list: true };
  return { s: JSON.stringify(v), list: false };
}

export function parseJson(text: string, format: 'json' | 'jsonl', opts: ParseOptions, warnings: WarningSink, maxField: number) {
  const file = opts.fileName;
  const objects: { obj: Record<string, unknown>; no: number }[] = [];
  if (format === 'json') {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec(String((e as Error).message));
      const at = m ? lineColumnAt(text, Number(m[1])) : undefined;
      throw new DataError(
        'bad-json',
        `The file is not valid JSON: ${(e as Error).message}`,
        {
          file,
          row: at?.line,
          column: at?.column,
          snippet: m ? snippet(text.slice(Math.max(0, Number(m[1]) - 20), Number(m[1]) + 20)) : undefined,
        },
        'Fix the JSON, or save one object per line (JSON lines).',
      );
    }
    if (!Array.isArray(v) && v && typeof v === 'object') {
      const arrays = Object.values(v).filter(Array.isArray);
      if (arrays.length === 1) v = arrays[0];
    }
    if (!Array.isArray(v))
      throw new DataError(
        'bad-json',
        'The JSON is not an array of objects',
        { file },
        'Use [{"text": ..., "label": ...}, ...] or JSON lines.',
      );
    v.forEach((o, i) => {
      if (o && typeof o === 'object' && !Array.isArray(o)) objects.push({ obj: o as Record<string, unknown>, no: i + 1 });
      else
        warnings.add('bad-json-line', 'Some array items are not objects and were skipped', i + 1, {
          snippet: snippet(JSON.stringify(o) ?? ''),
        });
    });
  } else {
    const lines = text.split('\n');
    let bad = 0;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i].trim();
      if (!l) continue;
      try {
        const o = JSON.parse(l);
        if (o && typeof o === 'object' && !Array.isArray(o)) objects.push({ obj: o, no: i + 1 });
        else {
          bad++;
          warnings.add('bad-json-line', 'Some lines are not JSON objects and were skipped', i + 1, { snippet: snippet(l) });
        }
      } catch {
        bad++;
        warnings.add('bad-json-line', 'Some lines are not valid JSON and were skipped', i + 1, { snippet: snippet(l) });
      }
    }
    if (bad > 0 && objects.length === 0) {
      throw new DataError(
        'bad-json',
        'No line of the file is a JSON object',
        { file, row: 1, snippet: snippet(lines[0]) },
        'Use one {"text": ..., "label": ...} object per line.',
      );
    }
  }
  const fields = objects.length ? tokenTagFields(objects[0].obj, opts.tokenFields) : null;
  if (!fields && objects.length && (opts.tokenFields?.tokens || opts.tokenFields?.tags))
    namedFieldsMissing(objects[0], opts.tokenFields!, opts.fileName);
  if (fields) return tokenJson(objects, fields, format, opts, warnings, maxField);
  const colIndex = new Map<string, number>();
  for (const { obj } of objects) for (const k of Object.keys(obj)) if (!colIndex.has(k)) colIndex.set(k, colIndex.size);
  const columns = [...colIndex.keys()];
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (const { obj, no } of objects) {
    const r = Array<string>(columns.length).fill('');
    for (const [k, v] of Object.entries(obj)) {
      const c = cellOf(v).s;
      checkCell(c, no, k, maxField, file, warnings);
      r[colIndex.get(k)!] = c;
    }
    rows.push(r);
    rowNumbers.push(no);
  }
  return { format, hasHeader: true, columns, rows, rowNumbers };
}

/** Throws: a key named for the word or tag list (or, where only one was named, the other's guess) holds no list in
 *  the first record. */
function namedFieldsMissing(
  first: { obj: Record<string, unknown>; no: number },
  named: { tokens?: string; tags?: string },
  file?: string,
): never {
  const isList = (k?: string) => k !== undefined && Array.isArray(first.obj[k]);
  const bad: 'tokens' | 'tags' =
    named.tokens && !isList(named.tokens) ? 'tokens' : named.tags && !isList(named.tags) ? 'tags' : named.tokens ? 'tags' : 'tokens';
  const what = bad === 'tokens' ? 'words' : 'tags';
  throw new DataError(
    'unknown-column',
    named[bad] ? `The first record has no list of ${what} under "${named[bad]}"` : `The first record has no list of ${what}`,
    { file, row: first.no, column: named[bad], option: bad === 'tokens' ? 'text' : 'tags' },
    `Name the key that holds the ${what} as a list (keys: ${Object.keys(first.obj).join(', ')}).`,
  );
}

// a word or tag never holds whitespace: the table joins them with ' ', and the mapping splits on it
const word = (v: unknown) =>
  String(v ?? '')
    .trim()
    .replace(/\s+/g, '_') || '_';

/** JSON records with token and tag lists (detect.ts tokenTagFields) -> the CoNLL table: tokens, tags, other fields. */
function tokenJson(
  objects: { obj: Record<string, unknown>; no: number }[],
  fields: { tokens: string; tags: string },
  format: 'json' | 'jsonl',
  opts: ParseOptions,
  warnings: WarningSink,
  maxField: number,
) {
  const file = opts.fileName;
  // tag ids (numbers, or strings that are all integers) name no entity type
  const tagsOf = (obj: Record<string, unknown>) => (Array.isArray(obj[fields.tags]) ? (obj[fields.tags] as unknown[]) : []);
  const isId = (t: unknown) => typeof t === 'number' || (typeof t === 'string' && /^\s*\d+\s*$/.test(t));
  const numbered =
    objects.find(({ obj }) => tagsOf(obj).some((t) => typeof t === 'number')) ??
    (objects.every(({ obj }) => tagsOf(obj).every(isId)) ? objects.find(({ obj }) => tagsOf(obj).length > 0) : undefined);
  if (numbered) {
    const all = tagsOf(numbered.obj);
    const ids = all.slice(0, 8).join(', ') + (all.length > 8 ? ', ...' : '');
    throw new DataError(
      'no-labels',
      `The "${fields.tags}" are numbers (${ids}) without tag names, so the entity types cannot be known`,
      { file, row: numbered.no, column: fields.tags, snippet: snippet(JSON.stringify(numbered.obj[fields.tags])) },
      'Write the tag names instead of ids (e.g. "B-PER", "I-PER", "O"; with Hugging Face datasets, map the ids through ' +
        "features['ner_tags'].feature.int2str before exporting).",
    );
  }
  const extra = [...new Set(objects.flatMap(({ obj }) => Object.keys(obj)))].filter(
    (k) => k !== fields.tokens && k !== fields.tags && k !== 'tokens' && k !== 'tags',
  );
  const columns = ['tokens', 'tags', ...extra];
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (const { obj, no } of objects) {
    const w = obj[fields.tokens];
    const t = obj[fields.tags];
    if (!Array.isArray(w) || !Array.isArray(t) || w.length !== t.length || w.length === 0) {
      warnings.add(
        'bad-json-line',
        `Some lines do not have a "${fields.tokens}" and a "${fields.tags}" list of the same (non-zero) length; they were skipped`,
        no,
        { snippet: snippet(JSON.stringify(obj)) },
      );
      continue;
    }
    const r = [w.map(word).join(' '), t.map(word).join(' '), ...extra.map((k) => cellOf(obj[k]).s)];
    r.forEach((c, j) => checkCell(c, no, columns[j], maxField, file, warnings));
    rows.push(r);
    rowNumbers.push(no);
  }
  return { format, hasHeader: true, columns, rows, rowNumbers };
}

/** True when a JSON file had list-valued cells (joined with "|"), so the mapping can suggest that separator. */
