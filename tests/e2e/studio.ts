// Helpers for driving the studio in the browser tests: screen names, navigation, axe-core checks.
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, type Recorded } from './browser';

export const SCREEN_TITLES = ['Data', 'Model', 'Train', 'Run', 'Runs', 'Evaluate', 'Playground', 'Export'];

export async function goTo(page: Page, title: string): Promise<void> {
  // a step the person has completed is named "<title> (done)"
  await page
    .getByRole('navigation', { name: 'Studio steps' })
    .getByRole('button', { name: new RegExp(`^(\\d+ |✓ )?${title}( \\(done\\))?$`) })
    .click();
  await page.getByRole('heading', { level: 2, name: new RegExp(`^${title}`) }).waitFor();
}

/** Serious and critical axe-core violations, as "rule: target" lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: page as never }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary?.split('\n')[1] ?? ''}`));
}

/** The first `n` rows of the bundled sample (spam and ham mixed), as a CSV buffer: a few hundred rows keep the
 *  browser tests quick on 2 cores while using the real sample data. */
export function sampleSubset(n: number, opts: { ham?: number } = {}): Buffer {
  const text = readFileSync('public/samples/spam-assassin.csv', 'utf8');
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true });
  const [header, ...rows] = parsed.data;
  const spam = rows.filter((r) => r[1] === 'spam');
  const ham = rows.filter((r) => r[1] === 'ham');
  const h = opts.ham ?? Math.round(n / 2);
  const pick = [...ham.slice(0, h), ...spam.slice(0, n - h)].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return Buffer.from(Papa.unparse([header, ...pick]));
}

export async function waitForBackend(page: Page): Promise<void> {
  await page
    .getByTestId('backend-badge')
    .filter({ hasText: /^(wasm|webgl|cpu|webgpu)$/ })
    .waitFor({ timeout: 60_000 });
}

/** Imports a CSV through the Data screen with the suggested mapping. */
export async function importCsv(page: Page, name: string, buffer: Buffer): Promise<void> {
  await goTo(page, 'Data');
  await page.locator('#data-file').setInputFiles({ name, mimeType: 'text/csv', buffer });
  await page.getByTestId('preview-table').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: /^Import/ }).click();
  await page.getByTestId('import-done').waitFor({ timeout: 60_000 });
}

export async function loadBundledModel(page: Page): Promise<void> {
  await goTo(page, 'Model');
  await page.getByRole('button', { name: 'Use USE-Lite' }).click();
  await page.getByTestId('model-info').waitFor({ timeout: 120_000 });
}

export async function runStatus(page: Page): Promise<string> {
  return (await page.getByTestId('run-status').textContent()) ?? '';
}

/** The step counter on the Run screen ("Step 12 / 40" -> 12). */
export async function currentStep(page: Page): Promise<number> {
  const t = (await page.getByTestId('run-step').textContent()) ?? '';
  return Number(/Step ([\d,]+)/.exec(t)?.[1]?.replace(/,/g, '') ?? NaN);
}

/** Chromium with a fresh recorded page on the studio, its engine started. */
export async function openStudio(baseURL: string, opts?: Parameters<typeof openPage>[1]): Promise<{ browser: Browser; rec: Recorded }> {
  const browser = await launch();
  const rec = await openPage(browser, opts);
  await rec.page.goto(baseURL);
  await waitForBackend(rec.page);
  return { browser, rec };
}

/** The Train screen with a preset picked, once it is fitted to the data (the data's facts arrive from the worker:
 *  change a field after that). */
export async function pickPreset(page: Page, title: 'Quick' | 'Balanced' | 'Best quality'): Promise<void> {
  await goTo(page, 'Train');
  await page.getByRole('radio', { name: new RegExp(`^${title}`) }).click();
  await page
    .getByTestId('recipe')
    .filter({ hasText: /training rows/ })
    .waitFor({ timeout: 30_000 });
}

export const pickBalanced = (page: Page) => pickPreset(page, 'Balanced');

/** On the Train screen: a short full fine-tuning run (Balanced in the Full mode — on the tests' few hundred rows the
 *  Balanced budget alone trains the head only —, 3 epochs of up to 32 tokens, batch 16), started. */
export async function startShortFullRun(page: Page): Promise<void> {
  await pickBalanced(page);
  await page.getByLabel('Fine-tuning mode').selectOption('full');
  await page.getByLabel('Epochs', { exact: true }).fill('3');
  await page.getByLabel('Max tokens').fill('32');
  await page.getByLabel('Batch size').fill('16');
  if ((await page.getByLabel('Fine-tuning mode').inputValue()) !== 'full') throw new Error('the run should fine-tune the whole encoder');
  await page.getByRole('button', { name: 'Start training' }).click();
}

/** The Playground's prediction for `text` on the picked run: the label and every probability as shown. */
export async function probabilitiesFor(page: Page, text: string): Promise<{ label: string; probs: string[] }> {
  await goTo(page, 'Playground');
  const box = page.getByLabel('Text', { exact: true });
  await box.fill('');
  await box.fill(text);
  await page.getByTestId('predicted-label').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="prediction"]')?.getAttribute('aria-busy') === 'false');
  return {
    label: (await page.getByTestId('predicted-label').textContent()) ?? '',
    probs: await page.getByTestId('prob-value').allTextContents(),
  };
}

/** Starts recording every message the run screen shows, as it changes; `runMessages` reads them back. */
export async function recordRunMessages(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __messages: string[] }).__messages = seen;
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid="run-message"]')?.textContent ?? '';
      if (t && seen.at(-1) !== t) seen.push(t);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/** The run messages recorded since `recordRunMessages`, in order. */
export async function runMessages(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __messages: string[] }).__messages);
}

/** Clicks Start training and waits until the run is done. */
export async function trainUntilDone(page: Page, timeout = 300_000): Promise<void> {
  await page.getByRole('button', { name: 'Start training' }).click();
  await page
    .getByTestId('run-status')
    .filter({ hasText: /^done$/ })
    .waitFor({ timeout });
}
