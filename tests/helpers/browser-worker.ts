// Engine code in a Web Worker of headless Chromium without the studio: esbuild bundles the entries as the studio's
// build does (scripts/build-worker.mjs), a local server serves them, a blank page and tfjs's .wasm files (under
// /wasm/, the path the entries pass to initBackend), and optionally folders of files under URL prefixes (a missing
// file there is a 404). Used by tests/e2e/webgpu-train.test.ts and bench/train-browser.ts.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';

export interface ServedWorkers {
  /** http://127.0.0.1:PORT */
  origin: string;
  close(): void;
}

/** Bundles `entries` (served name without ".js" -> source file) and serves them as /NAME.js, with `page` at /, and
 *  each `folders` directory's files under its URL prefix (e.g. { '/models/use-lite/': dir }). */
export async function serveWorkers(
  entries: Record<string, string>,
  page = '<!doctype html><meta charset="utf-8"><title>engine</title>',
  folders: Record<string, string> = {},
): Promise<ServedWorkers> {
  const bundle = await build({
    entryPoints: entries,
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
  const js = new Map(bundle.outputFiles.map((f) => [`/${f.path.split('/').pop()}`, f.text]));
  const wasmDir = join('node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const file = js.get(url);
    const folder = Object.keys(folders).find((prefix) => url.startsWith(prefix));
    if (folder !== undefined) {
      const path = join(folders[folder], url.slice(folder.length));
      if (!/^[\w.-]+$/.test(url.slice(folder.length)) || !existsSync(path)) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(path));
    } else if (file !== undefined) res.writeHead(200, { 'content-type': 'text/javascript' }).end(file);
    else if (/^\/wasm\/[\w.-]+\.wasm$/.test(url))
      res.writeHead(200, { 'content-type': 'application/wasm' }).end(readFileSync(join(wasmDir, url.slice(6))));
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
