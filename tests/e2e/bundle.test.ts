// The project bundle in Chromium: import a CSV, train a short run, export the bundle (the download); in a fresh browser
// profile (empty IndexedDB) import it: the dataset and the run with its curves are listed and the run predicts in the
// Playground as before; importing it again asks about each conflict, and "Keep both" gives two copies.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, openPage, type Recorded } from './browser';
import {
  axeViolations,
  goTo,
  importCsv,
  loadBundledModel,
  openStudio,
  probabilitiesFor,
  runStatus,
  sampleSubset,
  waitForBackend,
} from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let first: Recorded;
let second: Recorded;
let bundlePath = '';
let before: { label: string; probs: string[] };

const PROBE = 'Congratulations! You have won a FREE prize, click here to claim your cash now';

/** Chooses the bundle on the Export screen and waits for what it holds. */
async function chooseBundle(page: Page): Promise<void> {
  await goTo(page, 'Export');
  await page.locator('#import-bundle').setInputFiles(bundlePath);
  await page.getByTestId('bundle-contents').waitFor({ timeout: 120_000 });
}

async function importChosen(page: Page): Promise<string> {
  await page.getByTestId('bundle-contents').getByRole('button', { name: 'Import', exact: true }).click();
  const status = page.getByTestId('bundle-status').filter({ hasText: /^Imported/ });
  await status.waitFor({ timeout: 120_000 });
  return (await status.textContent()) ?? '';
}

/** The names on the Data screen's stored datasets once they are `want` (the lists arrive from the worker's watch). */
async function expectDatasets(page: Page, want: string[]): Promise<void> {
  await goTo(page, 'Data');
  const names = page.getByTestId('stored-datasets').locator('tbody tr td:first-child');
  await expect.poll(async () => (await names.allTextContents()).sort(), { timeout: 10_000 }).toEqual(want);
}

/** The run names on the Runs screen once there are `count`. */
async function storedRuns(page: Page, count: number): Promise<string[]> {
  await goTo(page, 'Runs');
  const names = page.getByTestId('runs-table').locator('tbody tr td:nth-child(2)');
  await expect.poll(() => names.count(), { timeout: 10_000 }).toBe(count);
  return names.allTextContents();
}

beforeAll(async () => {
  ({ browser, rec: first } = await openStudio(baseURL));
});
afterAll(async () => {
  await browser?.close();
});

describe('project bundle', () => {
  it('exports a studio with a dataset and a trained run as one file', async () => {
    const { page } = first;
    await importCsv(page, 'spam-sample.csv', sampleSubset(200));
    await loadBundledModel(page);
    await goTo(page, 'Train');
    await page.getByRole('radio', { name: /Quick/ }).click();
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('heading', { level: 2, name: /^Run/ }).waitFor();
    await page
      .getByTestId('run-status')
      .filter({ hasText: /^(done|failed)$/ })
      .waitFor({ timeout: 240_000 });
    expect(await runStatus(page)).toBe('done');
    // after a reload the model is rebuilt from its chosen checkpoint, as the importing studio will rebuild it
    await page.reload();
    await waitForBackend(page);
    before = await probabilitiesFor(page, PROBE);
    await goTo(page, 'Export');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 120_000 }),
      page.getByRole('button', { name: 'Export project bundle' }).click(),
    ]);
    bundlePath = `${artifactsDir('bundle')}/${download.suggestedFilename()}`;
    await download.saveAs(bundlePath);
    expect(download.suggestedFilename()).toMatch(/^project-bundle-[\d-]+\.zip$/);
    expect(readFileSync(bundlePath).subarray(0, 2).toString()).toBe('PK');
    const size = readFileSync(bundlePath).length;
    const status = (await page.getByTestId('bundle-status').textContent()) ?? '';
    expect(status).toMatch(/1 dataset, 1 run, 1 checkpoint\.$/);
    // the size shown is the downloaded file's
    const mb = size / 1024 ** 2;
    expect(status).toContain(`(${mb >= 1 ? `${mb.toFixed(1)} MB` : `${(size / 1024).toFixed(1)} KB`};`);
  });

  it('imports into a fresh profile: the dataset and the run with its curves, predicting as before', async () => {
    second = await openPage(browser);
    await second.page.goto(baseURL);
    await waitForBackend(second.page);
    const { page } = second;
    await goTo(page, 'Runs');
    expect(await page.getByTestId('runs-table').count()).toBe(0);
    await chooseBundle(page);
    expect(await page.getByTestId('bundle-item').allTextContents()).toEqual([
      expect.stringMatching(/^Dataset spam-sample.*200 rows.*New$/),
      expect.stringMatching(/^Run .*completed.*1 of \d+ checkpoints?.*New$/),
    ]);
    expect(await page.getByTestId('bundle-conflict').count()).toBe(0);
    expect(await importChosen(page)).toMatch(/dataset "spam-sample" added, run ".+" added\.$/);
    await expectDatasets(page, ['spam-sample']);
    const [run] = await storedRuns(page, 1);
    await page.getByRole('button', { name: `Open ${run}` }).click();
    await page.getByRole('heading', { level: 2, name: /^Run/ }).waitFor();
    expect(await runStatus(page)).toBe('done');
    await page.locator('[data-testid="chart-loss"][data-points]').first().waitFor();
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points'))).toBeGreaterThan(1);
    expect(Number(await page.getByTestId('chart-metrics').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await probabilitiesFor(page, PROBE)).toEqual(before);
  });

  it('imported again, asks about each conflict; "Keep both" (the default) gives two copies', async () => {
    const { page } = second;
    await chooseBundle(page);
    const conflicts = page.getByTestId('bundle-conflict');
    expect(await conflicts.count()).toBe(2);
    expect(await conflicts.first().locator('legend').textContent()).toMatch(/^Already in this studio as "spam-sample" \(same content\)$/);
    for (const c of await conflicts.all()) expect(await c.getByRole('radio', { name: 'Keep both' }).isChecked()).toBe(true);
    await page.getByTestId('bundle-panel').screenshot({ path: `${artifactsDir('bundle')}/conflicts.png` });
    expect(await axeViolations(page)).toEqual([]);
    expect(await importChosen(page)).toMatch(/dataset "spam-sample \(2\)" added as a copy, run ".+ \(2\)" added as a copy\.$/);
    await expectDatasets(page, ['spam-sample', 'spam-sample (2)']);
    const runs = await storedRuns(page, 2);
    expect(runs.filter((r) => / \(2\)$/.test(r))).toHaveLength(1);
  });

  it('logged no page errors', () => {
    expect(first.pageErrors).toEqual([]);
    expect(second.pageErrors).toEqual([]);
    expect([...first.failedResponses, ...second.failedResponses]).toEqual([]);
  });
});
