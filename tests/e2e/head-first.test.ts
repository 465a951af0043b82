// Head first, then full (LP-FT) in the studio: the Train screen's "Head first (epochs)" field (full and freeze modes
// only) goes into the command line it shows and into the run: the worker trains the head alone on the frozen
// encoder's features, says so, then fine-tunes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Recorded } from './browser';
import {
  axeViolations,
  importCsv,
  loadBundledModel,
  openStudio,
  pickBalanced,
  recordRunMessages,
  runMessages,
  sampleSubset,
  trainUntilDone,
} from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;

beforeAll(async () => {
  ({ browser, rec } = await openStudio(baseURL));
});
afterAll(async () => {
  await browser?.close();
});

describe('head first, then full', () => {
  it('the field, its command line, and the run saying what it does', async () => {
    const { page } = rec;
    await importCsv(page, 'head-first.csv', sampleSubset(120));
    await loadBundledModel(page);
    await pickBalanced(page);
    // 120 rows: Balanced trains the head only, where the field does not apply
    expect(await page.getByLabel('Fine-tuning mode').inputValue()).toBe('head');
    expect(await page.getByLabel('Head first (epochs)').count()).toBe(0);
    await page.getByLabel('Fine-tuning mode').selectOption('full');
    const field = page.getByLabel('Head first (epochs)');
    expect(await field.inputValue()).toBe('0');
    await field.fill('3');
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByLabel('Max tokens').fill('32');
    await page.getByLabel('Batch size').fill('16');
    expect(await page.getByTestId('cli-command').textContent()).toMatch(/--mode full[\s\S]*--head-first-epochs 3\b/);
    expect(await axeViolations(page)).toEqual([]);

    await recordRunMessages(page);
    await trainUntilDone(page);
    const messages = await runMessages(page);
    const first = messages.findIndex((m) => /^Training the new head first: 3 epochs on the frozen encoder's features/.test(m));
    const then = messages.findIndex((m) => /^Head trained first \(validation macroF1 \d\.\d{4}\); now fine-tuning the encoder\.$/.test(m));
    expect(first, messages.join('\n')).toBeGreaterThanOrEqual(0);
    expect(then).toBeGreaterThan(first);
  });
});
