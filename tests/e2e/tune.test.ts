// Tune for me in Chromium: on the Runs screen a budget and one click; every trial appears as a run of one sweep, the
// tune reports the winner's validation score against the recipe's, and the winner becomes the picked run.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, type Recorded } from './browser';
import { axeViolations, goTo, importCsv, loadBundledModel, openStudio, sampleSubset } from './studio';

let browser: Browser;
let rec: Recorded;
const baseURL = inject('baseURL');

beforeAll(async () => {
  ({ browser, rec } = await openStudio(baseURL));
});

afterAll(async () => {
  await browser?.close();
});

describe('Tune for me', () => {
  it('tunes the Quick recipe within a budget: trials as one sweep, the winner picked with its gain', async () => {
    const { page } = rec;
    await importCsv(page, 'spam-sample.csv', sampleSubset(200));
    await loadBundledModel(page);
    await goTo(page, 'Train');
    await page.getByRole('radio', { name: /Quick/ }).click();
    await page.getByLabel('Epochs', { exact: true }).fill('4');
    await goTo(page, 'Runs');
    await page.getByLabel('Budget (minutes)').fill('3');
    await page.getByRole('button', { name: 'Tune', exact: true }).click();
    expect(await page.getByTestId('tune-log').textContent({ timeout: 120_000 })).toMatch(/Tuning \d+ candidates by validation macroF1/);
    const done = page.getByTestId('tune-done');
    await done.waitFor({ timeout: 420_000 });
    expect(await done.textContent()).toMatch(/^Tune finished: trial \d+ .* scores macroF1 [\d.]+ on validation; the recipe [\d.]+/);
    // one run per candidate, continued on each round it goes on to
    expect(await page.getByTestId('runs-table').locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: `${artifactsDir('tune')}/runs.png`, fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    // the winner is the picked run on the screens that use one
    await goTo(page, 'Evaluate');
    expect(await page.locator('.run-picker select option:checked').textContent()).toMatch(/trial \d+ .*4 ep/);
    expect(rec.pageErrors).toEqual([]);
  }, 600_000);
});
