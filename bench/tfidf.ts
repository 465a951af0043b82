// `node --import tsx bench/tfidf.ts`: the TF-IDF + logistic regression baseline (lib/baseline/tfidf.ts) for SST-2
// and Banking77 alone, and the readers the benchmarks feed it from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tfidfBaseline, type LabeledText } from '../lib/baseline/tfidf';
import { parseFile } from '../lib/data/parse';
import { sharedPath } from '../tests/helpers/shared';

/** Rows of a CSV file's text and label columns. */
export function csvRows(path: string, text: string, label: string): LabeledText[] {
  const t = parseFile(new Uint8Array(readFileSync(path)));
  const ti = t.columns.indexOf(text);
  const li = t.columns.indexOf(label);
  return t.rows.map((r) => ({ text: String(r[ti] ?? ''), label: String(r[li] ?? '') }));
}

/** SST-2's "<label> <sentence>" lines. */
export const sst2Rows = (path: string): LabeledText[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ({ label: l[0], text: l.slice(2).trim() }));

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const d = sharedPath('datasets');
  if (!d) throw new Error('../shared/datasets not found (set FINETUNE_SHARED)');
  const sst = (f: string) => sst2Rows(join(d, 'sst2', `stsa.binary.${f}`));
  const b77 = (f: string) => csvRows(join(d, 'banking77', f), 'text', 'category');
  for (const [name, train, test] of [
    ['sst2 dev', sst('train'), sst('dev')],
    ['sst2 test', sst('train'), sst('test')],
    ['banking77 test', b77('train.csv'), b77('test.csv')],
  ] as const) {
    process.stdout.write(`${JSON.stringify({ bench: 'tfidf-logreg', data: name, ...tfidfBaseline(train, test) })}\n`);
  }
}
