// Data benchmark (`npm run bench:data`): a generated 100,000-row (~20 MB) CSV is imported, reported on, cleaned and
// split, in Node and in Chromium (in a Worker, as the studio does), and the page's main-thread long tasks are counted.
// Targets: under 5 s, no main-thread task over 50 ms.
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { generateCsv } from './data-gen';
import { runPipeline } from './data-pipeline';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function node(): void {
  const g0 = performance.now();
  const bytes = new TextEncoder().encode(generateCsv(ROWS));
  console.log(`generated ${ROWS.toLocaleString('en')} rows, ${(bytes.length / 1e6).toFixed(1)} MB in ${fmt(performance.now() - g0)}`);
  runPipeline(bytes.subarray(0, 1 << 20)); // warm-up (JIT)
  const cpu0 = process.cpuUsage();
  const t = runPipeline(bytes);
  const cpu = process.cpuUsage(cpu0);
  console.log(`node: CPU time ${fmt((cpu.user + cpu.system) / 1000)} (wall time below; the two differ when the machine is shared)`);
  const mem = process.memoryUsage();
  console.log(`node: heap ${(mem.heapUsed / 1e6).toFixed(0)} MB after the run`);
  console.log(
    `node: total ${fmt(t.totalMs)} (import ${fmt(t.importMs)}, report ${fmt(t.reportMs)}, ` +
      `clean ${fmt(t.cleanMs)}, split ${fmt(t.splitMs)}); ` +
      `${t.rows} rows -> ${t.kept} kept (${t.duplicates} duplicates, ${t.conflicts} in conflicts), split ${t.split.join('/')}`,
  );
}

const PAGE =
  `<!doctype html><meta charset="utf-8"><title>data bench</title>` +
  `<progress id="p" max="1" value="0"></progress><pre id="log"></pre>
<script>
const longTasks = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e); }).observe({ type: 'longtask', buffered: true });
window.runBench = (rows) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  const w = new Worker('/worker.js');
  let start = 0, generated = null, progress = 0;
  w.onerror = (e) => reject(new Error(e.message));
  w.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'generated') { generated = m; start = performance.now(); }
    else if (m.type === 'progress') { progress++; document.getElementById('p').value = m.done / m.total; }
    else if (m.type === 'done') {
      const wallMs = performance.now() - start;
      const t1 = performance.now();
      setTimeout(() => resolve({ wallMs, generated, progress, longTasks: ` +
  `longTasks.filter((e) => e.startTime >= t0 && e.startTime <= t1).map((e) => Math.round(e.duration)), ...m }), 200);
      w.terminate();
    }
  };
  w.postMessage({ rows });
});
</script>`;

async function chromium(): Promise<void> {
  const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(exe)) {
    console.log(`chromium: skipped (${exe} not found; set CHROMIUM_PATH)`);
    return;
  }
  const bundle = await build({
    entryPoints: ['bench/data-worker.ts'],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    alias: { '@': '.' },
    logLevel: 'error',
  });
  const worker = bundle.outputFiles[0].text;
  const server = createServer((req, res) => {
    if (req.url === '/worker.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(worker);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({
    executablePath: exe,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate((n) => (window as unknown as { runBench(n: number): Promise<unknown> }).runBench(n), 20_000); // warm-up
    const r = (await page.evaluate((n) => (window as unknown as { runBench(n: number): Promise<unknown> }).runBench(n), ROWS)) as {
      wallMs: number;
      generated: { bytes: number; ms: number };
      progress: number;
      longTasks: number[];
      storeMs: number;
      times: { importMs: number; reportMs: number; cleanMs: number; splitMs: number; totalMs: number; kept: number };
    };
    const lt = r.longTasks;
    console.log(
      `chromium (worker): wall ${fmt(r.wallMs)} for import+report+clean+split+store; pipeline ${fmt(r.times.totalMs)} ` +
        `(import ${fmt(r.times.importMs)}, report ${fmt(r.times.reportMs)}, ` +
        `clean ${fmt(r.times.cleanMs)}, split ${fmt(r.times.splitMs)}), ` +
        `IndexedDB store ${fmt(r.storeMs)}; ${(r.generated.bytes / 1e6).toFixed(1)} MB; ${r.progress} progress events`,
    );
    console.log(
      `chromium main thread: ${lt.length} long tasks (> 50 ms)` +
        `${lt.length ? `, longest ${Math.max(...lt).toFixed(0)} ms: ${lt.join(', ')}` : ''}`,
    );
    const ok = r.times.totalMs < 5000 && lt.length === 0;
    console.log(ok ? 'targets met: < 5 s, no main-thread task > 50 ms' : 'TARGETS MISSED');
    if (!ok) process.exitCode = 1;
  } finally {
    await browser.close();
    server.close();
  }
}

node();
await chromium();
