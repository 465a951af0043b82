// CoNLL -> ParsedTable: one token and its tag per line (the tag in the last column), a blank line between sentences;
// one row per sentence, columns tokens and tags (space-joined).
import { DataError, WarningSink, snippet } from './errors';
import type { DataFormat, ParseOptions } from './types';

export function parseConll(text: string, opts: ParseOptions, warnings: WarningSink) {
  const lines = text.split('\n');
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  let words: string[] = [];
  let tags: string[] = [];
  let start = 0;
  const flush = () => {
    if (words.length) {
      rows.push([words.join(' '), tags.join(' ')]);
      rowNumbers.push(start);
    }
    words = [];
    tags = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l || l.startsWith('-DOCSTART-')) {
      flush();
      continue;
    }
    const parts = l.includes('\t') ? l.split('\t').map((p) => p.trim()) : l.split(/\s+/);
    // the tag is the last column (CoNLL-2003's POS and chunk columns sit between); neither word nor tag may hold
    // whitespace, as the table joins each with ' '
    if (parts.length < 2 || !parts[0] || !parts[parts.length - 1] || /\s/.test(parts[parts.length - 1])) {
      warnings.add('conll-bad-line', 'Some lines have no tag, or one with spaces (expected "token<TAB>tag"); they were skipped', i + 1, {
        snippet: snippet(l),
      });
      continue;
    }
    if (!words.length) start = i + 1;
    words.push(parts[0].replace(/\s+/g, '_'));
    tags.push(parts[parts.length - 1]);
  }
  flush();
  if (rows.length === 0)
    throw new DataError(
      'conll-empty',
      'No "token<TAB>tag" lines were found',
      { file: opts.fileName },
      'Use one token and its tag per line, a blank line between sentences.',
    );
  return { format: 'conll' as DataFormat, hasHeader: false, columns: ['tokens', 'tags'], rows, rowNumbers };
}
