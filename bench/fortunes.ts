// `npm run bench:fortunes`: the defaults on data that no setting was chosen on. Built from Debian's `fortunes` package
// (the fortune-mod quotation files, /usr/share/games/fortunes): each quotation labeled with the file it comes from, for
// eight topics — computers, politics, science, songs-poems, startrek, law, food, sports (125–847 training rows each:
// imbalanced, short to long texts). Seeded 80 / 20 split into train and test; the CLI holds out its own 10 % of train
// for selection as it does for any file, and reports test once. Runs: TF-IDF + logistic regression at scikit-learn's
// defaults (bench/tfidf.ts), `--preset quick`, and the CLI with no option beyond data and columns (Balanced).
// BENCH_FORTUNES_DIR: the quotation files' folder (default /usr/share/games/fortunes; `apt-get install fortunes`).
// BENCH_FORTUNES_RUNS (default "tfidf,quick"; also "balanced": about 25 minutes on 2 cores).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { mulberry32, shuffleInPlace } from '../lib/rng';
import { trainLine } from './quality';
import { tfidfBaseline } from '../lib/baseline/tfidf';
import { csvRows } from './tfidf';

const TOPICS = ['computers', 'politics', 'science', 'songs-poems', 'startrek', 'law', 'food', 'sports'];
const RUNS = (process.env.BENCH_FORTUNES_RUNS ?? 'tfidf,quick').split(',').map((s) => s.trim());
const FLAGS: Record<string, string[]> = { quick: ['--preset', 'quick'], balanced: [] };

/** Every quotation of the topics' files as [text, topic] (whitespace folded, under 10 characters left out), shuffled
 *  with `seed` and cut 80 / 20. */
export function fortuneSplit(dir: string, seed = 7): { train: string[][]; test: string[][] } {
  const rows: string[][] = [];
  for (const topic of TOPICS) {
    const raw = readFileSync(join(dir, topic), 'utf8');
    for (const item of raw.split(/\n%\n/)) {
      const text = item.replace(/^%$/m, '').replace(/\s+/g, ' ').trim();
      if (text.length >= 10) rows.push([text, topic]);
    }
  }
  shuffleInPlace(rows, mulberry32(seed));
  const cut = Math.floor(rows.length / 5);
  return { test: rows.slice(0, cut), train: rows.slice(cut) };
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_FORTUNES_DIR ?? '/usr/share/games/fortunes';
  const line = (o: object) => console.log(JSON.stringify({ bench: 'fortunes', ...o }));
  if (!TOPICS.every((t) => existsSync(join(dir, t)))) {
    line({ skipped: `the fortune files (${TOPICS.join(', ')}) are not in ${dir}: apt-get install fortunes` });
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'finetune-fortunes-'));
  const split = fortuneSplit(dir);
  const file = (s: 'train' | 'test') => {
    const path = join(tmp, `fortunes-${s}.csv`);
    writeFileSync(path, Papa.unparse({ fields: ['text', 'topic'], data: split[s] }, { newline: '\n' }) + '\n');
    return path;
  };
  const [train, test] = [file('train'), file('test')];
  line({ rows: { train: split.train.length, test: split.test.length } });
  for (const run of RUNS) {
    if (run === 'tfidf') {
      const ts = tfidfBaseline(csvRows(train, 'text', 'topic'), csvRows(test, 'text', 'topic'));
      line({ run, testAccuracy: ts.accuracy, testMacroF1: ts.macroF1 });
      continue;
    }
    const flags = FLAGS[run];
    if (!flags) throw new Error(`unknown run "${run}": use tfidf, ${Object.keys(FLAGS).join(', ')}`);
    const args = ['train', '--data', train, '--test', test, '--text-column', 'text', '--label-column', 'topic'];
    line({ run, ...(await trainLine([...args, ...flags], join(tmp, run), tmp)) });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
