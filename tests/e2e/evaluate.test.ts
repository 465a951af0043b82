// The Evaluate screen for a multi-label run: a small CSV is imported with the suggested mapping (a "|"-separated label
// column → multi-label), trained with the Quick preset on the bundled USE-Lite, and evaluated: per-label table and
// micro/macro F1 without a confusion matrix, and the examples with a wrong label. The screen passes axe-core.
// A regression run the same way (a numeric label column → regression): its validation RMSE on the Runs screen (no
// accuracy or F1 there), and MSE/RMSE/MAE/R²/Pearson with the largest errors on the Evaluate screen.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, type Recorded } from './browser';
import { axeViolations, loadBundledModel, runStatus, waitForBackend } from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;

const TOPICS: Record<string, string[]> = {
  sport: ['the match', 'a late goal', 'the team won'],
  money: ['the bank', 'stock prices', 'a tax rise'],
  food: ['a spicy curry', 'fresh bread', 'the dinner menu'],
};

function multilabelCsv(): Buffer {
  const names = Object.keys(TOPICS);
  const rows = Array.from({ length: 60 }, (_, i) => {
    const a = names[i % 3];
    const b = i % 4 === 0 ? names[(i + 1) % 3] : null;
    return `"${TOPICS[a][i % 3]}${b ? ` and ${TOPICS[b][(i + 1) % 3]}` : ''} (${i})",${b ? `${a}|${b}` : a}`;
  });
  return Buffer.from('text,labels\n' + rows.join('\n'));
}

/** 120 short reviews scored by how many good and bad words they hold (1.0 to 5.2). */
function scoredCsv(): Buffer {
  const good = ['wonderful', 'moving', 'clever', 'funny', 'brilliant'];
  const bad = ['dull', 'silly', 'tedious', 'awful', 'lifeless'];
  const rows = Array.from({ length: 120 }, (_, i) => {
    const g = i % 5;
    const words = [...good.slice(0, g), ...bad.slice(0, 4 - g), `film ${i}`];
    return `"${words.join(' ')}",${(1 + g + (i % 3) * 0.1).toFixed(1)}`;
  });
  return Buffer.from(`review,score\n${rows.join('\n')}\n`);
}

/** Like studio.ts goTo, also once a step is marked done (its button then reads "Data (done)"). */
async function goTo(page: Page, title: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Studio steps' })
    .getByRole('button', { name: new RegExp(`^${title}( \\(done\\))?$`) })
    .click();
  await page.getByRole('heading', { level: 2, name: new RegExp(`^${title}`) }).waitFor();
}

async function importCsv(page: Page, name: string, buffer: Buffer): Promise<void> {
  await goTo(page, 'Data');
  await page.locator('#data-file').setInputFiles({ name, mimeType: 'text/csv', buffer });
  await page.getByTestId('preview-table').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: /^Import/ }).click();
  await page.getByTestId('import-done').waitFor({ timeout: 60_000 });
}

async function trainQuick(page: Page): Promise<void> {
  await goTo(page, 'Train');
  await page.getByRole('radio', { name: /Quick/ }).click();
  await page.getByRole('button', { name: 'Start training' }).click();
  await page.getByRole('heading', { level: 2, name: /^Run/ }).waitFor();
  await page
    .getByTestId('run-status')
    .filter({ hasText: /^(done|failed)$/ })
    .waitFor({ timeout: 240_000 });
  const err = await page
    .getByTestId('run-error')
    .textContent()
    .catch(() => null);
  expect(await runStatus(page), err ?? '').toBe('done');
}

/** `words`: a single-label run, which Evaluate also scores the word-count baseline for (multi-label and regression not) */
async function evaluate(page: Page, words = false): Promise<void> {
  await goTo(page, 'Evaluate');
  // these runs train the head only: the screen says the run is the baseline and offers no baseline to add
  expect(await page.getByTestId('evaluate-explain').textContent()).toMatch(/it is itself the head-only baseline/);
  expect(await page.getByLabel('Also score the head-only baseline').count()).toBe(0);
  await page.getByRole('button', { name: 'Evaluate on the test split' }).click();
  await page.getByTestId('test-metrics').waitFor({ timeout: 120_000 });
  expect(await page.getByTestId('test-metrics').locator('tbody th').allTextContents()).toEqual([
    'Head only (frozen encoder)',
    ...(words ? ['Word-count baseline (TF-IDF + logistic regression, same training rows)'] : []),
  ]);
}

beforeAll(async () => {
  browser = await launch();
  rec = await openPage(browser);
  await rec.page.goto(baseURL);
  await waitForBackend(rec.page);
  await loadBundledModel(rec.page);
});
afterAll(async () => {
  await browser?.close();
});

describe('Evaluate screen for a multi-label run', () => {
  it('shows a multi-label run as a per-label table with micro/macro F1 and label sets, without a confusion matrix', async () => {
    const { page } = rec;
    await importCsv(page, 'topics.csv', multilabelCsv());
    await trainQuick(page);
    await evaluate(page);
    const heads = await page.getByTestId('test-metrics').locator('thead th').allTextContents();
    expect(heads).toEqual(expect.arrayContaining(['Micro-F1', 'Macro-F1']));
    expect(await page.getByTestId('test-metrics').locator('tbody td').first().textContent()).toMatch(/%$/);
    expect(await page.getByTestId('per-label').locator('tbody th').allTextContents()).toEqual(['food', 'money', 'sport']);
    expect(await page.getByTestId('confusion-matrix').count()).toBe(0);
    const mis = await page.getByTestId('misclassified').locator('thead th').allTextContents();
    expect(mis).toEqual(['Text', 'True labels', 'Predicted labels', 'Wrong']);
    expect(await axeViolations(page)).toEqual([]);
  });
});

describe('a regression run', () => {
  it('trains with the defaults, lists its validation RMSE on the Runs screen, and evaluates as MSE/MAE/R²/Pearson', async () => {
    const { page } = rec;
    await importCsv(page, 'scores.csv', scoredCsv());
    await trainQuick(page);
    await goTo(page, 'Runs');
    await page.getByTestId('runs-table').waitFor();
    expect(await page.getByRole('button', { name: 'Sort by Validation RMSE' }).count()).toBe(1);
    // the newest run first: scores spread over 1.0–5.2, the head's validation RMSE is a positive figure well under that
    const rmse = Number(await page.getByTestId('run-rmse').first().textContent());
    expect(rmse).toBeGreaterThan(0);
    expect(rmse).toBeLessThan(1.5);
    await evaluate(page);
    const heads = await page.getByTestId('test-metrics').locator('thead th').allTextContents();
    expect(heads).toEqual(expect.arrayContaining(['MSE', 'RMSE', 'MAE', 'R²', 'Pearson r']));
    expect(await page.getByTestId('largest-errors').locator('thead th').allTextContents()).toEqual([
      'Text',
      'True',
      'Predicted',
      '|Error|',
    ]);
    expect(await axeViolations(page)).toEqual([]);
  });
});

/** 168 short texts in 14 topics (more labels than the confusion matrix shows open), some sharing words with another. */
function manyLabelCsv(): Buffer {
  const topics = ['tennis', 'opera', 'baking', 'sailing', 'chess', 'jazz', 'gardening', 'cycling', 'poetry', 'surfing'];
  const more = ['knitting', 'skiing', 'pottery', 'fishing'];
  const names = [...topics, ...more];
  const rows = Array.from({ length: 168 }, (_, i) => {
    const t = names[i % names.length];
    // every third row of a topic mentions the next topic too, so a head on 134 rows makes some mistakes
    const other = i % 3 === 0 ? ` and a little ${names[(i + 1) % names.length]}` : '';
    return `"notes on ${t}${other}, entry ${i}",${t}`;
  });
  return Buffer.from(`text,topic\n${rows.join('\n')}\n`);
}

describe('a run with many labels', () => {
  it('lists the commonest mistakes, which are the largest off-diagonal cells of the matrix shown on request', async () => {
    const { page } = rec;
    await importCsv(page, 'hobbies.csv', manyLabelCsv());
    await trainQuick(page);
    await evaluate(page, true);
    // 14 labels: the matrix is behind a click, the mistakes panel is open
    const matrix = page.getByTestId('confusion-matrix');
    expect(await matrix.isVisible()).toBe(false);
    await page.getByText('Show all 14 × 14 cells').click();
    await matrix.waitFor();
    const labels = (await matrix.locator('tbody th').allTextContents()).map((s) => s.trim());
    expect(labels.length).toBe(14);
    const cells = (await matrix.locator('tbody td').allTextContents()).map(Number);
    expect(cells.length).toBe(14 * 14);
    const wrong: { t: string; p: string; n: number }[] = [];
    cells.forEach((n, k) => {
      const i = Math.floor(k / 14);
      const j = k % 14;
      if (i !== j && n > 0) wrong.push({ t: labels[i], p: labels[j], n });
    });
    const rows = await page.getByTestId('common-mistakes').locator('tbody tr').all();
    if (wrong.length === 0) {
      expect(await page.getByTestId('common-mistakes').textContent()).toMatch(/None: every test row got its label/);
    } else {
      expect(rows.length).toBe(Math.min(10, wrong.length));
      const listed = await Promise.all(rows.map(async (r) => (await r.locator('td').allTextContents()).map((s) => s.trim())));
      // each listed row is a cell of the matrix, most rows first, and none left out is larger than the last listed
      for (const [t, p, n] of listed) expect(wrong).toContainEqual({ t, p, n: Number(n) });
      const counts = listed.map((r) => Number(r[2]));
      expect([...counts].sort((a, b) => b - a)).toEqual(counts);
      expect(Math.max(...wrong.map((w) => w.n))).toBe(counts[0]);
    }
    expect(await axeViolations(page)).toEqual([]);
  });
});
