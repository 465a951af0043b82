// Sniffing what a text file is: format, delimiter, header row, line endings. Each guess can be overridden by the
// caller (the UI shows it next to the preview).
import Papa from 'papaparse';
import type { DataFormat, LineEnding } from './types';

export function detectLineEnding(text: string): { ending: LineEnding; mixed: boolean } {
  const sample = text.length > 1 << 20 ? text.slice(0, 1 << 20) : text;
  let crlf = 0;
  let cr = 0;
  let lf = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 13) {
      if (sample.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else cr++;
    } else if (c === 10) lf++;
  }
  const ending: LineEnding = crlf >= cr && crlf >= lf && crlf > 0 ? 'crlf' : cr > lf ? 'cr' : lf > 0 ? 'lf' : 'none';
  // LF inside quoted cells of a CRLF file is normal (spreadsheet exports); a lone CR next to others is not.
  return { ending, mixed: cr > 0 && crlf + lf > 0 };
}

const TAG = /^(O|[BIESLU]-\S+)$/;

export function detectFormat(text: string, fileName = ''): DataFormat {
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'json')
    return text.trimStart().startsWith('[') || (text.trimStart().startsWith('{"') && !text.trim().includes('\n'))
      ? 'json'
      : looksJsonl(text)
        ? 'jsonl'
        : 'json';
  if (ext === 'conll' || ext === 'bio' || ext === 'iob') return 'conll';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'csv') return 'csv';
  const head = text.trimStart();
  if (head.startsWith('[')) return 'json';
  if (head.startsWith('{')) return looksJsonl(text) ? 'jsonl' : 'json';
  if (looksConll(text)) return 'conll';
  return 'csv';
}

function looksJsonl(text: string): boolean {
  const first = text.trimStart().split('\n', 1)[0].trim();
  try {
    const v = JSON.parse(first);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function looksConll(text: string): boolean {
  const lines = text
    .slice(0, 64 * 1024)
    .split('\n')
    .slice(0, 300)
    .map((l) => l.trim());
  const nonBlank = lines.filter((l) => l.length > 0 && !l.startsWith('-DOCSTART-'));
  if (nonBlank.length < 2) return false;
  let tagged = 0;
  for (const l of nonBlank) {
    const parts = l.split(/\s+/);
    if (parts.length >= 2 && parts.length <= 6 && TAG.test(parts[parts.length - 1])) tagged++;
  }
  return tagged >= nonBlank.length * 0.9 && lines.some((l) => l.length === 0 || l.length > 0);
}

// JSON token-classification records: a list of words and a list of tags (Hugging Face `tokens`/`ner_tags` exports,
// `words`/`labels`, `tokens`/`tags`), in order of preference
const TOKEN_KEYS = ['tokens', 'words'];
const TAG_KEYS = ['ner_tags', 'tags', 'labels', 'ner'];

/** The fields of a JSON object that hold a tokenised sentence and its tags (both arrays), or null. `named`: keys the
 *  person gave (other names than the usual ones); a key not named is guessed. */
export function tokenTagFields(
  obj: Record<string, unknown>,
  named: { tokens?: string; tags?: string } = {},
): { tokens: string; tags: string } | null {
  const tokens = named.tokens ?? TOKEN_KEYS.find((k) => Array.isArray(obj[k]));
  const tags = named.tags ?? TAG_KEYS.find((k) => Array.isArray(obj[k]));
  return tokens && tags && Array.isArray(obj[tokens]) && Array.isArray(obj[tags]) ? { tokens, tags } : null;
}

/** A table with space-joined `tokens` and `tags` columns, one tag per word (CoNLL, or token JSON): token classification. */
export function isTokenTable(table: { columns: string[]; rows: string[][] }): boolean {
  const jw = table.columns.indexOf('tokens');
  const jt = table.columns.indexOf('tags');
  if (jw < 0 || jt < 0) return false;
  const count = (s: string) => s.split(' ').filter((x) => x !== '').length;
  const sample = table.rows.slice(0, 200).filter((r) => (r[jw] ?? '').trim() !== '');
  return sample.length > 0 && sample.filter((r) => count(r[jw]) === count(r[jt] ?? '')).length >= sample.length * 0.9;
}

const CANDIDATES = [',', '\t', ';', '|'];

/** The delimiter whose field counts are most consistent over the first rows (and > 1). */
export function detectDelimiter(text: string, preferred?: string): string {
  const sample = text.slice(0, 64 * 1024);
  let best = preferred ?? ',';
  let bestScore = -1;
  for (const d of CANDIDATES) {
    const res = Papa.parse<string[]>(sample, { delimiter: d, newline: '\n', preview: 40, skipEmptyLines: true });
    const rows = res.data.slice(0, res.data.length > 2 ? -1 : undefined);
    if (rows.length === 0) continue;
    const counts = new Map<number, number>();
    for (const r of rows) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
    let mode = 1;
    let modeN = 0;
    for (const [k, v] of counts) if (v > modeN || (v === modeN && k > mode)) [mode, modeN] = [k, v];
    if (mode < 2) continue;
    const consistency = modeN / rows.length;
    const score = consistency * 100 + Math.min(mode, 50) / 100 + (d === preferred ? 0.5 : 0);
    if (score > bestScore) [best, bestScore] = [d, score];
  }
  return best;
}

const KNOWN_HEADERS = new Set([
  'text',
  'texts',
  'sentence',
  'sentence1',
  'sentence2',
  'label',
  'labels',
  'category',
  'categories',
  'class',
  'intent',
  'sentiment',
  'review',
  'content',
  'message',
  'body',
  'title',
  'subject',
  'question',
  'answer',
  'premise',
  'hypothesis',
  'target',
  'tag',
  'tags',
  'split',
  'id',
  'tweet',
  'comment',
  'score',
  'rating',
  'stars',
  'text_a',
  'text_b',
  'document',
  'utterance',
  'query',
  'tokens',
  'ner_tags',
  'fold',
  'topic',
  'emotion',
  'description',
  'abstract',
  'headline',
]);

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

export function isNumeric(s: string): boolean {
  return NUMERIC.test(s);
}

/** Does the first row look like column names rather than data? Each column votes, as Python's csv.Sniffer.has_header
 *  does: a column of numbers whose first cell is not one is the strongest sign (two votes), as is, against, a first
 *  cell too long to be a name (over 40 characters); a category column votes by whether its first cell is one of its
 *  values; a free-text column for a name much shorter than its texts, else against. */
export function detectHeader(rows: string[][]): boolean {
  if (rows.length === 0) return false;
  const first = rows[0];
  const data = rows.slice(1, 60);
  const namesLike = first.every((c) => c.length <= 40);
  // a known column name counts only in a row that looks like names (a data row can start with "positive" or "label")
  if (namesLike && first.some((c) => KNOWN_HEADERS.has(c.trim().toLowerCase()))) return true;
  if (first.some((c) => c.trim() === '') || new Set(first).size !== first.length) return false;
  if (data.length === 0) return !first.some(isNumeric);
  let votes = 0;
  let against = 0;
  for (let j = 0; j < first.length; j++) {
    const h = first[j];
    const col = data.map((r) => r[j] ?? '').filter((v) => v !== '');
    if (col.length === 0) continue;
    const numericShare = col.filter(isNumeric).length / col.length;
    if (numericShare >= 0.9) {
      if (isNumeric(h)) against++;
      else if (h.length <= 40) votes += 2;
      continue;
    }
    const distinct = new Set(col);
    if (distinct.size <= Math.max(2, col.length / 3) && col.length >= 4) {
      if (distinct.has(h)) against++;
      else votes++;
      continue;
    }
    const lens = col.map((v) => v.length).sort((a, b) => a - b);
    const median = lens[lens.length >> 1];
    if (median > 20 && h.length < median * 0.3) votes++;
    else against += h.length > 40 ? 2 : 1;
  }
  return votes > against;
}
