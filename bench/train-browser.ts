// `npm run bench:train` (its Chromium half, also `node --import tsx bench/train-browser.ts`): bert-tiny-shape full
// fine-tuning in headless Chromium, in a Web Worker as the studio trains, on 1 thread and on every core (data-parallel
// over Web Workers running the studio's own pool thread, workers/pool.worker.ts, bundled here as the build bundles it).
// One JSON line per (seqLen, threads). Environment: BENCH_STEPS, BENCH_WARMUP, BENCH_SEQ, BENCH_THREADS as bench/train.ts.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';

const STEPS = Number(process.env.BENCH_STEPS ?? 6);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const PAGE = `<!doctype html><meta charset="utf-8"><title>train bench</title><script>
window.runBench = (o) => new Promise((resolve, reject) => {
  const w = new Worker('/bench.worker.js', { type: 'module' });
  w.onerror = (e) => reject(new Error(e.message));
  w.onmessage = (ev) => { w.terminate(); ev.data.error ? reject(new Error(ev.data.error)) : resolve(ev.data); };
  w.postMessage(o);
});
</script>`;

export async function benchTrainBrowser(): Promise<void> {
  const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(exe)) {
    console.log(JSON.stringify({ bench: 'train-browser', skipped: `${exe} not found (set CHROMIUM_PATH)` }));
    return;
  }
  const bundle = await build({
    entryPoints: { bench: 'bench/train-browser-worker.ts', pool: 'workers/pool.worker.ts' },
    outdir: 'out',
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: { '@': '.' },
    external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto', 'url', 'module', 'node:*'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  const js = (name: string) => bundle.outputFiles.find((f) => f.path.endsWith(`/${name}.js`))!.text;
  const files: Record<string, [string, string | Buffer]> = {
    '/bench.worker.js': ['text/javascript', js('bench')],
    '/pool.worker.js': ['text/javascript', js('pool')],
  };
  const wasmDir = join('node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const file = files[url];
    if (file) res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    else if (url.startsWith('/wasm/') && url.endsWith('.wasm'))
      res.writeHead(200, { 'content-type': 'application/wasm' }).end(readFileSync(join(wasmDir, url.slice(6).replace(/[^\w.-]/g, ''))));
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threadCounts = process.env.BENCH_THREADS ? process.env.BENCH_THREADS.split(',').map(Number) : [...new Set([1, cores])];
    for (const seqLen of (process.env.BENCH_SEQ ?? '64').split(',').map(Number)) {
      let single = 0;
      for (const threads of threadCounts) {
        const r = (await page.evaluate(
          (o) => (window as unknown as { runBench(o: object): Promise<{ samplesPerSec: number }> }).runBench(o),
          { threads, seqLen, steps: STEPS, warmup: WARMUP },
        )) as { samplesPerSec: number };
        if (threads === 1) single = r.samplesPerSec;
        const round = (x: number) => Math.round(x * 100) / 100;
        console.log(
          JSON.stringify({
            bench: 'train-browser',
            model: 'bert-tiny-shape (random init)',
            mode: 'full',
            batch: 32,
            seqLen,
            threads,
            cores,
            samplesPerSec: round(r.samplesPerSec),
            ...(threads > 1 && single ? { speedup: round(r.samplesPerSec / single) } : {}),
          }),
        );
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await benchTrainBrowser();
}
