// Loading a BERT-family model in the real browser: a tiny random BERT in Hugging Face layout (written here) picked as a
// local folder, and the same files downloaded from a local server that mimics the Hugging Face Hub (the studio's
// "Hub endpoint" setting points at it). A second load after a page reload is served from IndexedDB with zero
// requests; a repo with only pytorch_model.bin gets a message naming model.safetensors. Nothing leaves 127.0.0.1.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, launch, openPage, type Recorded } from './browser';
import { serveHub, writeTinyBert, type HubServer } from './hf-fixture';
import { axeViolations, goTo, importCsv, sampleSubset, waitForBackend } from './studio';

const baseURL = inject('baseURL');
const HUB_ID = 'test-org/tiny-bert';
const PT_ID = 'test-org/pytorch-only';
let browser: Browser;
let rec: Recorded;
let hub: HubServer;
let tmp: string;
let params: number;

beforeAll(async () => {
  const csp = (await fetch(baseURL)).headers.get('content-security-policy') ?? '';
  if (!/connect-src[^;]*http:\/\/127\.0\.0\.1:\*/.test(csp)) {
    throw new Error(
      `the build's CSP does not let the page reach the local Hub server (${csp}): ` +
        "build with FINETUNE_EXTRA_CONNECT_SRC='http://127.0.0.1:*' (npm run test:e2e does)",
    );
  }
  tmp = mkdtempSync(join(tmpdir(), 'finetune-hf-'));
  params = writeTinyBert(join(tmp, 'tiny-bert'));
  // the same model without safetensors: a PyTorch pickle only (its bytes do not matter, the studio must not read it)
  const pt = join(tmp, 'pytorch-only');
  cpSync(join(tmp, 'tiny-bert'), pt, { recursive: true });
  rmSync(join(pt, 'model.safetensors'));
  writeFileSync(join(pt, 'pytorch_model.bin'), Buffer.alloc(4096, 7));
  // model.safetensors arrives after a pause so the progress bar is observable
  hub = await serveHub(
    { [HUB_ID]: join(tmp, 'tiny-bert'), [PT_ID]: pt },
    { delayMs: (p) => (p.endsWith('/model.safetensors') ? 2500 : 0) },
  );
  browser = await launch();
  rec = await openPage(browser);
  await rec.page.goto(baseURL);
  await waitForBackend(rec.page);
});
afterAll(async () => {
  await browser?.close();
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function loadedInfo(page: Page) {
  const info = page.getByTestId('model-info');
  await info.waitFor({ timeout: 120_000 });
  return {
    title: (await info.getByRole('heading').textContent()) ?? '',
    arch: (await page.getByTestId('model-arch').textContent()) ?? '',
    params: Number(await page.getByTestId('model-params').getAttribute('data-value')),
    stored: (await info.textContent()) ?? '',
  };
}

/** The Model screen; its step button reads "Model (done)" once a model is loaded, which studio.ts's goTo does not match. */
async function toModelScreen(page: Page) {
  await page
    .getByRole('navigation', { name: 'Studio steps' })
    .getByRole('button', { name: /^Model( \(done\))?$/ })
    .click();
  await page.getByRole('heading', { level: 2, name: /^Model/ }).waitFor();
}

async function loadFromHub(page: Page, id: string) {
  await toModelScreen(page);
  const advanced = page.locator('details', { has: page.locator('summary', { hasText: 'Advanced: Hub endpoint' }) });
  if ((await advanced.getAttribute('open')) === null) await advanced.locator('summary').click();
  const endpoint = page.getByLabel('Hub endpoint', { exact: true });
  if ((await endpoint.inputValue()) !== hub.url) await endpoint.fill(hub.url);
  await page.getByLabel('Model id').fill(id);
  await page.getByRole('button', { name: 'Download and load' }).click();
}

describe('BERT from a local folder and from a (locally served) Hugging Face Hub', () => {
  it('loads a picked Hugging Face folder as BERT with its exact parameter count', async () => {
    const { page } = rec;
    await toModelScreen(page);
    await page.locator('#model-folder').setInputFiles(join(tmp, 'tiny-bert'));
    const info = await loadedInfo(page);
    expect(info.title).toBe('Loaded: tiny-bert');
    expect(info.arch).toMatch(/^bert$/i);
    expect(info.params).toBe(params);
    expect(info.stored).toMatch(/in memory only/);
    expect(hub.log).toEqual([]);
    await page.screenshot({ path: `${artifactsDir('models')}/folder.png`, fullPage: true });
  });

  it('downloads a Hub id from the configured endpoint with progress and shows it loaded', async () => {
    const { page } = rec;
    await loadFromHub(page, HUB_ID);
    // a partial download: the bar names the file and a percentage below 100
    await page
      .getByTestId('model-progress')
      .filter({ hasText: /Reading model\.safetensors.*\((\d|[1-9]\d)%\)/ })
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('model-info').filter({ hasText: HUB_ID }).waitFor({ timeout: 120_000 });
    const info = await loadedInfo(page);
    expect(info.arch).toMatch(/^bert$/i);
    expect(info.params).toBe(params);
    expect(info.stored).toMatch(/cached in this browser/);
    expect(hub.log).toContain(`GET /${HUB_ID}/resolve/main/config.json`);
    expect(hub.log).toContain(`GET /${HUB_ID}/resolve/main/model.safetensors`);
    expect(hub.log).toContain(`GET /${HUB_ID}/resolve/main/vocab.txt`);
    // the Model screen with the Advanced endpoint field open stays accessible
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${artifactsDir('models')}/hub.png`, fullPage: true });
  });

  it('loads the same Hub id again after a page reload with zero requests to the Hub (IndexedDB cache)', async () => {
    const { page } = rec;
    const before = hub.log.length;
    await page.reload();
    await waitForBackend(page);
    await loadFromHub(page, HUB_ID);
    // the endpoint setting survived the reload (it was not re-typed)
    expect(await page.getByLabel('Hub endpoint', { exact: true }).inputValue()).toBe(hub.url);
    await page.getByTestId('model-info').filter({ hasText: HUB_ID }).waitFor({ timeout: 120_000 });
    const info = await loadedInfo(page);
    expect(info.params).toBe(params);
    expect(hub.log.slice(before)).toEqual([]);
  });

  it('names model.safetensors when a Hub repo has only pytorch_model.bin', async () => {
    const { page } = rec;
    await loadFromHub(page, PT_ID);
    const err = page.getByTestId('model-error');
    await err.waitFor({ timeout: 60_000 });
    const text = (await err.textContent()) ?? '';
    expect(text).toMatch(/model\.safetensors/);
    expect(text).toMatch(/pytorch_model\.bin/);
    expect(hub.log).toContain(`GET /${PT_ID}/resolve/main/model.safetensors`);
    expect(hub.log).not.toContain(`GET /${PT_ID}/resolve/main/pytorch_model.bin`);
    await page.screenshot({ path: `${artifactsDir('models')}/pytorch-only.png`, fullPage: true });
  });

  it('trains the Hub BERT head-only for 1 epoch on 60 sample rows, reading its files from the cache', async () => {
    const { page } = rec;
    const before = hub.log.length;
    await importCsv(page, 'spam-60.csv', sampleSubset(60));
    await goTo(page, 'Train');
    await page.getByLabel('Fine-tuning mode').selectOption('head');
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByLabel('Max tokens').fill('16');
    await page.getByLabel('Batch size').fill('16');
    // the run's model is the Hub BERT loaded above
    expect(await page.getByTestId('cli-command').textContent()).toContain(`--model ${HUB_ID}`);
    await page.getByRole('button', { name: 'Start training' }).click();
    await page
      .getByTestId('run-status')
      .filter({ hasText: /^(done|failed)$/ })
      .waitFor({ timeout: 180_000 });
    const err = await page
      .getByTestId('run-error')
      .textContent({ timeout: 1000 })
      .catch(() => null);
    expect(await page.getByTestId('run-status').textContent(), err ?? '').toBe('done');
    expect(Number(await page.getByTestId('chart-loss').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(hub.log.slice(before)).toEqual([]);
    await page.screenshot({ path: `${artifactsDir('models')}/run.png`, fullPage: true });
  });

  it('made requests only to its own origin and the local Hub server, with no page errors', () => {
    const foreign = rec.requests.filter(
      (u) => !u.startsWith(baseURL) && !u.startsWith(`${hub.url}/`) && !u.startsWith('data:') && !u.startsWith('blob:'),
    );
    expect(foreign).toEqual([]);
    expect(rec.requests.some((u) => u.startsWith(`${hub.url}/`))).toBe(true);
    expect(rec.pageErrors).toEqual([]);
  });
});
