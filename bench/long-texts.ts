// `npm run bench:long`: the defaults on long texts. No dataset in ../shared has texts over 128 tokens, so this one is
// built from real prose: Jane Austen's six novels (the `janeaustenr` R package, Debian `r-cran-janeaustenr`), cut into
// passages of 120–450 words (about 160–600 USE-Lite tokens), each labeled with its novel. Blocks of 10 consecutive
// passages go to train / dev / test (7 : 1 : 2, seeded), so no test passage sits next to a training one. The CLI
// trains with no option beyond data and columns (Balanced) and with `--preset quick`, each with the default windows
// and with `--windows 1` (texts cut at the max length, as before windows), selecting on dev and reporting test once;
// TF-IDF + logistic regression at scikit-learn's defaults runs beside them (bench/tfidf.ts).
// BENCH_LONG_LINES: a CSV of the novels' lines (columns text, book); default: written with Rscript from janeaustenr.
// BENCH_LONG_RUNS (default "tfidf,quick,quick-cut"; also "balanced,balanced-cut": about an hour each on 2 cores).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { mulberry32, shuffleInPlace } from '../lib/rng';
import { trainLine } from './quality';
import { tfidfBaseline } from '../lib/baseline/tfidf';
import { csvRows } from './tfidf';

const RUNS = (process.env.BENCH_LONG_RUNS ?? 'tfidf,quick,quick-cut').split(',').map((s) => s.trim());
const FLAGS: Record<string, string[]> = {
  quick: ['--preset', 'quick'],
  'quick-cut': ['--preset', 'quick', '--windows', '1'],
  balanced: [],
  'balanced-cut': ['--windows', '1'],
};

function novelLines(tmp: string): { text: string; book: string }[] | string {
  let path = process.env.BENCH_LONG_LINES;
  if (!path) {
    path = join(tmp, 'austen-lines.csv');
    const r =
      'library(janeaustenr); b <- austen_books(); ' +
      `write.csv(data.frame(text=b$text, book=as.character(b$book)), "${path}", row.names=FALSE)`;
    try {
      execFileSync('Rscript', ['-e', r], { stdio: 'pipe' });
    } catch {
      return 'Rscript with janeaustenr not found: apt-get install r-cran-janeaustenr, or set BENCH_LONG_LINES';
    }
  }
  if (!existsSync(path)) return `${path} not found`;
  return Papa.parse<{ text: string; book: string }>(readFileSync(path, 'utf8'), { header: true, skipEmptyLines: true }).data;
}

/** Passages of 120–450 words per novel (its first 300 words, the title pages, left out), in blocks of 10 that go to
 *  train, dev or test together. */
export function passages(lines: { text: string; book: string }[], seed = 5): Record<'train' | 'dev' | 'test', string[][]> {
  const rand = mulberry32(seed);
  const words = new Map<string, string[]>();
  for (const l of lines) {
    if (!words.has(l.book)) words.set(l.book, []);
    words.get(l.book)!.push(...l.text.split(/\s+/).filter(Boolean));
  }
  const blocks: string[][][] = [];
  for (const [book, all] of [...words].sort(([a], [b]) => a.localeCompare(b))) {
    const w = all.slice(300);
    let block: string[][] = [];
    for (let i = 0; ;) {
      const n = 120 + Math.floor(rand() * 331);
      if (i + n > w.length) break;
      block.push([w.slice(i, i + n).join(' '), book]);
      i += n;
      if (block.length === 10) {
        blocks.push(block);
        block = [];
      }
    }
    if (block.length) blocks.push(block);
  }
  shuffleInPlace(blocks, rand);
  const out = { train: [] as string[][], dev: [] as string[][], test: [] as string[][] };
  blocks.forEach((b, j) => out[j % 10 < 7 ? 'train' : j % 10 < 8 ? 'dev' : 'test'].push(...b));
  for (const rows of Object.values(out)) shuffleInPlace(rows, rand);
  return out;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'finetune-long-'));
  const lines = novelLines(tmp);
  if (typeof lines === 'string') {
    console.log(JSON.stringify({ bench: 'long-texts', skipped: lines }));
    return;
  }
  const split = passages(lines);
  const file = (s: 'train' | 'dev' | 'test') => {
    const path = join(tmp, `austen-${s}.csv`);
    writeFileSync(path, Papa.unparse({ fields: ['passage', 'book'], data: split[s] }, { newline: '\n' }) + '\n');
    return path;
  };
  const [train, dev, test] = [file('train'), file('dev'), file('test')];
  const line = (o: object) => console.log(JSON.stringify({ bench: 'long-texts', ...o }));
  line({ rows: { train: split.train.length, dev: split.dev.length, test: split.test.length } });
  for (const run of RUNS) {
    if (run === 'tfidf') {
      const rows = csvRows(train, 'passage', 'book');
      const dv = tfidfBaseline(rows, csvRows(dev, 'passage', 'book'));
      const ts = tfidfBaseline(rows, csvRows(test, 'passage', 'book'));
      line({ run, devAccuracy: dv.accuracy, testAccuracy: ts.accuracy, testMacroF1: ts.macroF1 });
      continue;
    }
    const flags = FLAGS[run];
    if (!flags) throw new Error(`unknown run "${run}": use tfidf, ${Object.keys(FLAGS).join(', ')}`);
    const args = ['train', '--data', train, '--eval', dev, '--test', test, '--text-column', 'passage', '--label-column', 'book'];
    line({ run, ...(await trainLine([...args, ...flags], join(tmp, run), tmp)) });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
