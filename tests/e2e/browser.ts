// Launches Debian Chromium through playwright-core (never `playwright install`) and records what a page does.
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'Chromium not found (looked at $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser). ' +
        'Install it with `sudo apt-get update && sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  return found;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
}

export interface Recorded {
  page: Page;
  context: BrowserContext;
  requests: string[];
  consoleErrors: string[];
  pageErrors: string[];
  /** "404 /path" for every response of 400 or more (page and workers) */
  failedResponses: string[];
}

/** A fresh context and page that records every request URL (page and workers), console errors and page errors. */
export async function openPage(
  browser: Browser,
  opts: { acceptDownloads?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<Recorded> {
  const context = await browser.newContext({
    acceptDownloads: opts.acceptDownloads ?? true,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  const rec: Recorded = { page, context, requests: [], consoleErrors: [], pageErrors: [], failedResponses: [] };
  context.on('request', (r) => rec.requests.push(r.url()));
  context.on('response', (r) => {
    if (r.status() >= 400) rec.failedResponses.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') rec.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => rec.pageErrors.push(String(e)));
  return rec;
}

export function artifactsDir(name: string): string {
  const dir = `test-results/${name}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A task of the page's main thread (Chrome's renderer main thread), from a trace: when it started (ms after the
 *  `console.timeStamp(mark)` the traced code made), its wall time and the CPU time the thread actually used (ms). */
export interface TracedTask {
  atMs: number;
  wallMs: number;
  cpuMs: number;
}

/** Runs `during` under a Chrome trace and returns its result with the renderer main thread's tasks longer than `overMs`
 *  of wall time. The CPU time tells the page's own work from time the OS gave the thread's core to another thread (on
 *  a 2-core machine training on both cores, a task of 20 ms of work can take 100 ms of wall time). */
export async function tracedMainTasks<T>(
  browser: Browser,
  page: Page,
  mark: string,
  during: () => Promise<T>,
  overMs = 50,
): Promise<{ result: T; tasks: TracedTask[] }> {
  await browser.startTracing(page, { categories: ['disabled-by-default-devtools.timeline', 'devtools.timeline'] });
  let result: T;
  let buf: Buffer;
  try {
    result = await during();
  } finally {
    buf = await browser.stopTracing();
  }
  type Ev = {
    ph: string;
    name: string;
    pid: number;
    tid: number;
    ts: number;
    dur?: number;
    tdur?: number;
    args?: { name?: string; data?: { message?: string } };
  };
  const events = (JSON.parse(buf.toString()) as { traceEvents: Ev[] }).traceEvents;
  const main = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const stamp = events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === mark);
  if (!stamp) throw new Error(`the trace has no console.timeStamp('${mark}')`);
  const all = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`));
  // none at all would mean the trace no longer names them so, and every check on them would pass unseen
  if (!all.length) throw new Error('the trace has no RunTask events on the renderer main thread');
  const tasks = all
    .filter((e) => (e.dur ?? 0) > overMs * 1000)
    .map((e) => ({
      atMs: Math.round((e.ts - stamp.ts) / 1000),
      wallMs: Math.round(e.dur! / 1000),
      cpuMs: Math.round((e.tdur ?? e.dur!) / 1000),
    }));
  return { result, tasks };
}
