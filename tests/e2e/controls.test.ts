// Live run controls and sweeps in the browser, with real clicks on a short head-only run over 120 sample rows:
// the learning-rate multiplier halves the shown learning rate from the next step, "extend" grows the shown epoch and
// step totals and the run finishes at the new total; a 2-run sweep from the Runs screen lists both runs, and the
// results table sorts by a metric when its header is clicked.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, launch, openPage, type Recorded } from './browser';
import { currentStep, goTo, importCsv, loadBundledModel, runStatus, sampleSubset, waitForBackend } from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;
const shots = () => artifactsDir('controls');

async function waitStatus(re: RegExp, timeout = 120_000) {
  await rec.page.getByTestId('run-status').filter({ hasText: re }).waitFor({ timeout });
}

/** "Epoch 3 / 20" and "Step 40 / 960" on the Run screen. */
async function totals(): Promise<{ epochs: number; steps: number }> {
  const t = (await rec.page.getByTestId('run-counters').textContent()) ?? '';
  const s = (await rec.page.getByTestId('run-step').textContent()) ?? '';
  return { epochs: Number(/Epoch \d+ \/ (\d+)/.exec(t)?.[1]), steps: Number(/Step [\d,]+ \/ ([\d,]+)/.exec(s)?.[1]?.replace(/,/g, '')) };
}

const shownLr = async () => Number(/LR ([\d.e+-]+)/.exec((await rec.page.getByTestId('run-lr').textContent()) ?? '')?.[1]);

beforeAll(async () => {
  browser = await launch();
  rec = await openPage(browser);
  await rec.page.goto(baseURL);
  await waitForBackend(rec.page);
  await importCsv(rec.page, 'controls.csv', sampleSubset(120));
  await loadBundledModel(rec.page);
});
afterAll(async () => {
  await browser?.close();
});

describe('live run controls', () => {
  it('halves the shown learning rate from the next step and finishes at the extended epoch and step totals', async () => {
    const { page } = rec;
    await goTo(page, 'Train');
    await page.getByRole('radio', { name: /Quick/ }).click();
    expect(await page.getByLabel('Schedule').inputValue()).toBe('constant');
    await page.getByLabel('Epochs', { exact: true }).fill('20');
    await page.getByLabel('Batch size').fill('2');
    // the Quick recipe stops early when validation stalls: this test needs every planned step
    await page.getByLabel('Early-stopping patience').fill('0');
    await page.getByRole('button', { name: 'Start training' }).click();
    await waitStatus(/^running$/, 180_000);
    await page.getByTestId('run-lr').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Pause' }).click();
    await waitStatus(/^paused$/);
    const before = await shownLr();
    expect(before).toBeCloseTo(3e-3, 8); // the Quick (head-only) recipe's rate for 2 labels
    const planned = await totals();
    expect(planned.epochs).toBe(20);
    const pausedAt = await currentStep(page);
    expect(pausedAt).toBeLessThan(planned.steps);

    await page.getByLabel('LR multiplier').fill('0.5');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByLabel('Extra epochs').fill('2');
    await page.getByRole('button', { name: 'Extend' }).click();
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitStatus(/^(running|done)$/);
    await page.waitForFunction(
      (n) =>
        Number(/Step ([\d,]+)/.exec(document.querySelector('[data-testid="run-step"]')?.textContent ?? '')?.[1]?.replace(/,/g, '') ?? -1) >
        n,
      pausedAt,
      { timeout: 60_000 },
    );
    expect(await shownLr()).toBeCloseTo(before * 0.5, 8);
    expect(await page.getByTestId('run-counters').textContent()).toMatch(/LR × 0\.5/);
    const extended = await totals();
    expect(extended.epochs).toBe(22);
    expect(extended.steps).toBe((planned.steps / 20) * 22);

    await waitStatus(/^(done|failed|stopped)$/, 240_000);
    expect(
      await runStatus(page),
      (await page
        .getByTestId('run-error')
        .textContent()
        .catch(() => null)) ?? '',
    ).toBe('done');
    expect(await currentStep(page)).toBe(extended.steps);
    expect(await totals()).toEqual(extended);
    expect(await shownLr()).toBeCloseTo(before * 0.5, 8);
    await page.screenshot({ path: `${shots()}/extended.png`, fullPage: true });
  });
});

describe('sweeps', () => {
  it('launches a 2-run head-only sweep from the Runs screen, lists both runs and sorts the table by macro-F1', async () => {
    const { page } = rec;
    await goTo(page, 'Runs');
    const table = page.getByTestId('runs-table');
    const rowsBefore = await table.locator('tbody tr').count();
    await page.getByLabel('Learning rates').fill('1e-4, 1e-2');
    await page.getByLabel('Batch sizes').fill('32');
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Launch sweep' }).click();
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /Sweep started/ })
        .textContent(),
    ).toMatch(/2 runs/);
    await page.waitForFunction(
      (n) => {
        const rows = [...document.querySelectorAll('[data-testid="runs-table"] tbody tr')];
        return rows.length === n && rows.every((r) => r.querySelector('.status')?.textContent === 'done');
      },
      rowsBefore + 2,
      { timeout: 240_000 },
    );
    // every run has a readable name, the sweep's ones with their settings
    const names = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(names.filter((n) => /^Sweep · head only · USE-Lite · sweep \d: lr /.test(n))).toHaveLength(2);
    const f1 = async () => (await table.locator('tbody tr td:nth-child(6)').allTextContents()).map((t) => parseFloat(t));
    await page.getByRole('button', { name: 'Sort by Validation macro-F1' }).click();
    const desc = await f1();
    expect(desc.every((v) => Number.isFinite(v))).toBe(true);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toMatch(/Validation macro-F1/);
    await page.getByRole('button', { name: 'Sort by Validation macro-F1' }).click();
    const asc = await f1();
    expect(asc).toEqual([...desc].reverse());
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toMatch(/Validation macro-F1/);
    await page.screenshot({ path: `${shots()}/sweep.png`, fullPage: true });
  });

  it('cross-validates the Train screen settings over the k folds set on the Data screen: fold table with mean ± std', async () => {
    const { page } = rec;
    await goTo(page, 'Data');
    await page.getByLabel(/k-fold assignment/).fill('3');
    await page
      .getByTestId('folds')
      .filter({ hasText: /Rows per fold: \d+ · \d+ · \d+/ })
      .waitFor({ timeout: 30_000 });
    await goTo(page, 'Train');
    await page.getByRole('radio', { name: /Quick/ }).click();
    await page.getByLabel('Epochs', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Cross-validate (3 folds)' }).click();
    await page.getByRole('heading', { level: 2, name: /^Runs/ }).waitFor();
    const cv = page.getByTestId('cv-table');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="cv-table"] tbody .status')].filter((s) => s.textContent === 'done').length === 3,
      undefined,
      { timeout: 240_000 },
    );
    expect(await cv.locator('tbody tr').count()).toBe(4); // 3 folds + mean
    expect(await page.getByTestId('cv-mean').textContent()).toMatch(/Mean ± std[\d.]+% ± [\d.]+%[\d.]+% ± [\d.]+%/);
    await page.getByRole('button', { name: "Overlay the folds' curves" }).click();
    await page.getByTestId('compare').waitFor();
    await page.screenshot({ path: `${shots()}/cross-validation.png`, fullPage: true });
  });

  it('logged no page errors and requested only its own origin', () => {
    expect(rec.pageErrors).toEqual([]);
    const foreign = rec.requests.filter((u) => !u.startsWith(baseURL) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
  });
});
