// Bundles the engine worker (and its feature threads) with esbuild into public/engine/ (git-ignored). The worker is bundled outside Next on
// purpose: tfjs-backend-wasm starts its pthreads from its own factory's source text (Function.toString), which
// survives esbuild but not Turbopack's module rewriting, so wasm threads only work in a bundle built this way.
import { build, context } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const options = {
  // the engine worker, and the pool threads it starts (workers/pool.worker.ts): data-parallel training, head-only features
  entryPoints: { 'engine.worker': join(root, 'workers/engine.worker.ts'), 'pool.worker': join(root, 'workers/pool.worker.ts') },
  outdir: join(root, 'public/engine'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  splitting: false,
  sourcemap: true,
  minifySyntax: true,
  minifyWhitespace: true,
  // Node-only branches inside emscripten/tfjs code; never executed in a browser.
  external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto', 'url', 'module', 'node:*'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};
if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log('engine worker: watching for changes');
} else {
  const t = Date.now();
  await build(options);
  console.log(`engine worker: bundled into public/engine/ in ${Date.now() - t} ms`);
}
