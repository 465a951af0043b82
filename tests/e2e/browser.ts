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
