// `npm run bench`: every benchmark, throughput first (bench/train.ts), then quality (bench/quality.ts), one after the
// other (they would skew each other's timings side by side). Both always run: a failure in one is reported and the
// other still runs; the exit status is 1 when either failed. bench:data (Node + Chromium) runs on its own.
const USAGE = `npm run bench [-- --only train|quality]

  train     training/inference throughput on wasm (bench/train.ts; BENCH_STEPS, BENCH_WARMUP, BENCH_MODELS)
  quality   fine-tunes USE-Lite on the shared datasets through \`finetune train\` (bench/quality.ts; BENCH_QUALITY_RUNS)

Prints JSON lines on stdout. Without --only, runs train, then quality.`;

type BenchName = 'train' | 'quality';

const BENCHES: Record<BenchName, () => Promise<void>> = {
  // imported when run, so that --help answers without loading TF.js
  train: async () => (await import('./train')).benchTrain(),
  quality: async () => (await import('./quality')).benchQuality(),
};

function parseArgs(argv: string[]): BenchName[] | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  if (!argv.length) return ['train', 'quality'];
  const only = argv[0] === '--only' ? argv[1] : argv[0].startsWith('--only=') ? argv[0].slice('--only='.length) : undefined;
  const rest = argv[0] === '--only' ? argv.slice(2) : argv.slice(1);
  if (only === undefined || rest.length || !(only in BENCHES)) throw new Error(`unknown arguments: ${argv.join(' ')}`);
  return [only as BenchName];
}

async function main(): Promise<number> {
  let which: BenchName[] | 'help';
  try {
    which = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (which === 'help') {
    console.log(USAGE);
    return 0;
  }
  let failed = 0;
  for (const name of which) {
    try {
      await BENCHES[name]();
    } catch (e) {
      failed++;
      console.error(`bench ${name} failed: ${(e as Error).stack ?? e}`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();

export {}; // an ES module (top-level await), though it imports only on demand
