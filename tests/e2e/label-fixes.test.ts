// From errors back to better data, with real clicks: a Quick run on labels that carry no signal (so the test split
// has misclassified rows), two labels fixed from Evaluate, saved as a new dataset version, and a retrain with the
// same settings on the fixed data, beside the first run.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, type Recorded } from './browser';
import { goTo, importCsv, loadBundledModel, openStudio, runStatus } from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;

// labels from a fixed pseudo-random sequence: no word predicts them, so about half the test rows come out wrong
let seed = 7;
const coin = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 < 0.5 ? 'yes' : 'no');
const csv = Buffer.from(
  'text,label\n' + Array.from({ length: 200 }, (_, i) => `"note number ${i} about item ${(i * 37) % 101}",${coin()}`).join('\n') + '\n',
);

beforeAll(async () => {
  ({ browser, rec } = await openStudio(baseURL));
});
afterAll(async () => {
  await browser?.close();
});

async function waitDone() {
  await rec.page
    .getByTestId('run-status')
    .filter({ hasText: /^(done|failed)$/ })
    .waitFor({ timeout: 240_000 });
  expect(
    await runStatus(rec.page),
    (await rec.page
      .getByTestId('run-error')
      .textContent()
      .catch(() => null)) ?? '',
  ).toBe('done');
}

describe('fixing labels from Evaluate', () => {
  it('fixes two labels, saves them as a new dataset version and retrains on it with the same settings', async () => {
    const { page } = rec;
    await importCsv(page, 'notes.csv', csv);
    await loadBundledModel(page);
    await goTo(page, 'Train');
    await page.getByRole('radio', { name: /Quick/ }).click();
    await page.getByLabel('Epochs', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Start training' }).click();
    await waitDone();

    await goTo(page, 'Evaluate');
    await page.getByRole('button', { name: 'Evaluate on the test split' }).click();
    const table = page.getByTestId('misclassified');
    await table.waitFor({ timeout: 120_000 });
    // the training rows the model finds least likely, with the same fix choice
    await page.getByRole('button', { name: 'Rank the training rows' }).click();
    const suspicious = page.getByTestId('suspicious-rows');
    await suspicious.waitFor({ timeout: 120_000 });
    expect(await suspicious.getByRole('combobox', { name: /^Fix the label of/ }).count()).toBeGreaterThan(10);
    const fixes = table.getByRole('combobox', { name: /^Fix the label of/ });
    expect(await fixes.count()).toBeGreaterThanOrEqual(2);
    for (const i of [0, 1]) await fixes.nth(i).selectOption({ index: 1 }); // "Label is wrong → <the other label>"
    expect(await page.getByTestId('fixes-pending').textContent()).toBe('2 fixes pending');
    await page.getByRole('button', { name: 'Save as a new dataset version' }).click();
    await page
      .getByTestId('fixes-saved')
      .filter({ hasText: /Saved as “notes \(2 label fixes\)”/ })
      .waitFor({ timeout: 60_000 });
    await page.screenshot({ path: `${artifactsDir('label-fixes')}/fixes-saved.png`, fullPage: true });

    await page.getByRole('button', { name: 'Retrain with the same settings on the fixed data' }).click();
    await page.getByRole('heading', { level: 2, name: /^Run/ }).waitFor();
    await waitDone();
    await goTo(page, 'Runs');
    const rows = await page.getByTestId('runs-table').locator('tbody tr td:nth-child(4)').allTextContents();
    expect(rows.filter((t) => t.includes('notes (2 label fixes)'))).toHaveLength(1);
    expect(rows.filter((t) => /notes · /.test(t))).toHaveLength(1); // the first run, on the original, is still there
  });

  it('logged no page errors', () => {
    expect(rec.pageErrors).toEqual([]);
  });
});
