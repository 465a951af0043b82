// A regression dataset through the studio with the defaults: the Data screen maps a numeric label column to
// regression, Quick trains the head, and the Runs table shows the run's validation RMSE (regression runs have no
// accuracy or F1), the kept weights' figure.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Recorded } from './browser';
import { goTo, importCsv, loadBundledModel, openStudio, trainUntilDone } from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;

beforeAll(async () => {
  ({ browser, rec } = await openStudio(baseURL));
});
afterAll(async () => {
  await browser?.close();
});

/** 120 short reviews scored by how many good and bad words they hold (a score of 1.0 to 5.0). */
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

describe('regression in the studio', () => {
  it('maps the numeric column to regression, trains with the defaults, and lists the validation RMSE', async () => {
    const { page } = rec;
    await importCsv(page, 'scores.csv', scoredCsv());
    await loadBundledModel(page);
    await goTo(page, 'Train');
    await trainUntilDone(page);
    await goTo(page, 'Runs');
    const table = page.getByTestId('runs-table');
    await table.waitFor();
    expect(await table.getByRole('button', { name: 'Sort by Validation RMSE' }).count()).toBe(1);
    const rmse = Number(await page.getByTestId('run-rmse').first().textContent());
    // scores spread over 1.0–5.2: the head's validation RMSE is a positive figure well under that spread
    expect(rmse).toBeGreaterThan(0);
    expect(rmse).toBeLessThan(1.5);
  });
});
