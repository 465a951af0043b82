// `npm run bench:small`: the defaults on small data. People often have 50–500 labeled rows: k examples per class are
// drawn (seeded) from the training split, and the CLI trains with no option beyond data and columns (the Balanced
// recipe) and with `--preset quick` (head only), each reporting test accuracy; mean ± spread (half the range) over
// the seeds. SST-2 selects on its dev file; Banking77 (no dev file) holds out the CLI's default 10 % of the sample.
// BENCH_SMALL_K (default 16,64,256), BENCH_SMALL_SEEDS (default 1,2,3), BENCH_SMALL_DATASETS (default sst2; banking77
// is hours on 2 cores beyond 16 per class), BENCH_SMALL_RECIPES (default "balanced;quick": `;`-separated, each a name
// or name=CLI options, e.g. "lpft=--mode full --head-first-epochs 30" for a candidate chosen on dev).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, shuffleInPlace } from '../lib/rng';
import { sharedPath } from '../tests/helpers/shared';
import { runCli, sst2Csv } from './quality';

const KS = (process.env.BENCH_SMALL_K ?? '16,64,256').split(',').map(Number);
const SEEDS = (process.env.BENCH_SMALL_SEEDS ?? '1,2,3').split(',').map(Number);
const DATASETS = (process.env.BENCH_SMALL_DATASETS ?? 'sst2').split(',');
const KNOWN: Record<string, string[]> = { balanced: [], quick: ['--preset', 'quick'] };
const RECIPES: [string, string[]][] = (process.env.BENCH_SMALL_RECIPES ?? 'balanced;quick').split(';').map((r) => {
  const [name, flags] = r.split('=');
  return [name.trim(), flags !== undefined ? flags.trim().split(/\s+/) : (KNOWN[name.trim()] ?? [])];
});

/** CSV lines (with the header first) → k rows per label, seeded; every row of a label with fewer. */
function sample(csv: string, labelIndex: (cells: string) => string, k: number, seed: number): string {
  const [header, ...rows] = csv.trim().split('\n');
  const byLabel = new Map<string, string[]>();
  for (const r of rows) byLabel.set(labelIndex(r), [...(byLabel.get(labelIndex(r)) ?? []), r]);
  const rand = mulberry32(seed);
  const picked: string[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const mine = byLabel.get(label)!;
    shuffleInPlace(mine, rand);
    picked.push(...mine.slice(0, k));
  }
  shuffleInPlace(picked, rand);
  return `${header}\n${picked.join('\n')}\n`;
}

const lastCell = (r: string) => r.slice(r.lastIndexOf(',') + 1);

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'finetune-small-'));
  const summary: Record<string, number[]> = {};
  for (const dataset of DATASETS) {
    const d = sharedPath('datasets', dataset);
    if (!d) {
      console.log(JSON.stringify({ bench: 'small-data', dataset, skipped: `../shared/datasets/${dataset} not found` }));
      continue;
    }
    const train =
      dataset === 'sst2'
        ? readFileSync(sst2Csv(join(d, 'stsa.binary.train'), join(tmp, 'train.csv')), 'utf8')
        : readFileSync(join(d, 'train.csv'), 'utf8');
    const fixed =
      dataset === 'sst2'
        ? [
            '--eval',
            sst2Csv(join(d, 'stsa.binary.dev'), join(tmp, 'dev.csv')),
            '--test',
            sst2Csv(join(d, 'stsa.binary.test'), join(tmp, 'test.csv')),
          ]
        : ['--test', join(d, 'test.csv')];
    const columns = ['--text-column', 'text', '--label-column', dataset === 'sst2' ? 'label' : 'category'];
    for (const k of KS) {
      for (const seed of SEEDS) {
        const file = join(tmp, `${dataset}-${k}-${seed}.csv`);
        writeFileSync(file, sample(train, lastCell, k, seed));
        for (const [recipe, extra] of RECIPES) {
          const t0 = performance.now();
          const r = await runCli(
            ['train', '--data', file, ...fixed, ...columns, ...extra, '--out', join(tmp, `${dataset}-${k}-${seed}-${recipe}`)],
            false,
          );
          const wall = Math.round((performance.now() - t0) / 100) / 10;
          const line = (o: object) => console.log(JSON.stringify({ bench: 'small-data', dataset, k, seed, recipe, ...o }));
          if (r.code !== 0) {
            line({ failed: r.code, stderr: r.stderr.split('\n').slice(-3).join(' | ') });
            continue;
          }
          const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
          const acc = last.test?.accuracy as number;
          (summary[`${dataset} ${k}/class ${recipe}`] ??= []).push(acc);
          line({ testAccuracy: acc, validation: last.validation?.accuracy, steps: last.steps, wallSeconds: wall });
        }
      }
    }
  }
  for (const [key, xs] of Object.entries(summary)) {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const spread = (Math.max(...xs) - Math.min(...xs)) / 2;
    console.log(
      JSON.stringify({
        bench: 'small-data',
        summary: key,
        meanAccuracy: Math.round(mean * 10000) / 100,
        spread: Math.round(spread * 10000) / 100,
        seeds: xs.length,
      }),
    );
  }
}

await main();
