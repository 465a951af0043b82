// The Data screen's storage, rename and training-data controls with real clicks on the built studio: storage use and
// quota shown, a rename that survives a reload, a seeded augmentation preview, over-sampling that grows the train
// count, no serious/critical axe violations, and a screenshot in test-results/data/.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, launch, openPage, type Recorded } from './browser';
import { axeViolations, goTo, importCsv, sampleSubset, waitForBackend } from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;

const trainCount = async () =>
  Number(/Training rows: ([\d,]+)/.exec((await rec.page.getByTestId('train-count').textContent()) ?? '')?.[1]?.replace(/,/g, '') ?? NaN);

beforeAll(async () => {
  browser = await launch();
  rec = await openPage(browser);
  await rec.page.goto(baseURL);
  await waitForBackend(rec.page);
  // 200 real sample rows, 150 ham and 50 spam: imbalanced on purpose
  await importCsv(rec.page, 'imbalanced.csv', sampleSubset(200, { ham: 150 }));
  await rec.page.getByTestId('train-count').waitFor({ timeout: 60_000 });
});
afterAll(async () => {
  await browser?.close();
});

describe('Data screen: storage, rename, imbalance and augmentation', () => {
  it('shows storage use and quota and the persistence result', async () => {
    const fig = rec.page.getByTestId('storage-figure');
    await fig.filter({ hasText: /Using .+ of .+ available/ }).waitFor({ timeout: 30_000 });
    await rec.page
      .getByTestId('storage-persist')
      .filter({ hasText: /Persistent storage (granted|not granted)/ })
      .waitFor({ timeout: 30_000 });
    expect(await fig.textContent()).toMatch(/Using [\d.]+ [KMG]?B of [\d.]+ [KMG]?B/);
  });

  it('over-sampling the train split grows the train count shown; validation and test stay', async () => {
    const { page } = rec;
    const before = await trainCount();
    expect(before).toBeGreaterThan(100);
    const rest = (await page.getByTestId('train-count').textContent())!.split('·').slice(1).join('·');
    await page.getByLabel('Resampling (training split only)').selectOption('oversample');
    await page
      .getByTestId('train-count')
      .filter({ hasText: /\(from / })
      .waitFor({ timeout: 30_000 });
    const after = await trainCount();
    // ham is three quarters of train: over-sampling spam to ham's count gives 2 × 3/4 × before (± a row per class)
    expect(after).toBeGreaterThan(before);
    expect(Math.abs(after - 1.5 * before)).toBeLessThanOrEqual(3);
    expect((await page.getByTestId('train-count').textContent())!.split('·').slice(1).join('·')).toBe(rest);
    await page.getByLabel('Resampling (training split only)').selectOption('none');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="train-count"]')?.textContent?.includes(`Training rows: ${n}`),
      String(before),
    );
  });

  it('class weights show a larger weight for the rare class', async () => {
    const { page } = rec;
    const box = page.getByLabel('Class weights (inverse frequency)');
    // the label's text starts on the checkbox's line, to its right (it used to wrap below the box)
    const place = await box.evaluate((input) => {
      const text = [...(input.parentElement?.childNodes ?? [])].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim());
      const range = document.createRange();
      range.selectNodeContents(text!);
      const first = range.getClientRects()[0];
      const b = input.getBoundingClientRect();
      return { textLeft: first.left, textTop: first.top, boxRight: b.right, boxBottom: b.bottom };
    });
    expect(place.textLeft).toBeGreaterThanOrEqual(place.boxRight);
    expect(place.textTop).toBeLessThan(place.boxBottom);
    await box.check();
    const w = page.getByTestId('class-weights');
    await w.waitFor({ timeout: 30_000 });
    const text = (await w.textContent())!;
    const weight = (l: string) => Number(new RegExp(`${l} ([\\d.]+)`).exec(text)?.[1]);
    expect(weight('spam')).toBeGreaterThan(2 * weight('ham'));
  });

  const augmentationTest =
    'shows augmentation off at multiplier 1 (no preview, transforms disabled); ' +
    'previews copies that differ from their originals above 1, and the multiplier multiplies the train count';
  it(augmentationTest, async () => {
    const { page } = rec;
    const before = await trainCount();
    await page.getByTestId('augment-off').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('augment-preview').count()).toBe(0);
    expect(await page.getByRole('checkbox', { name: /Random swap/ }).isDisabled()).toBe(true);
    await page.getByLabel('Multiplier').fill('2');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="train-count"]')?.textContent?.includes(`Training rows: ${n}`),
      (before * 2).toLocaleString('en-US'),
    );
    expect(await page.getByRole('checkbox', { name: /Random swap/ }).isChecked()).toBe(true);
    const table = page.getByTestId('augment-preview');
    await table.waitFor({ timeout: 30_000 });
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(5);
    let changed = 0;
    for (let i = 0; i < 5; i++) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      if (cells[1] !== cells[2]) changed++;
    }
    expect(changed).toBeGreaterThanOrEqual(3);
    await page.getByLabel('Multiplier').fill('3');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="train-count"]')?.textContent?.includes(`Training rows: ${n}`),
      (before * 3).toLocaleString('en-US'),
    );
  });

  it('has no serious or critical axe violations with these controls, and leaves a screenshot', async () => {
    const v = await axeViolations(rec.page);
    await rec.page.screenshot({ path: `${artifactsDir('data')}/data-screen.png`, fullPage: true });
    expect(v).toEqual([]);
  });

  it('renames a stored dataset from the keyboard, and the name survives a reload', async () => {
    const { page } = rec;
    const stored = page.getByTestId('stored-datasets');
    await page.getByRole('button', { name: 'Rename imbalanced' }).focus();
    await page.keyboard.press('Enter');
    const box = page.getByLabel('New name for imbalanced');
    await box.fill('Spam vs ham, imbalanced');
    await box.press('Enter');
    await stored.getByText('Spam vs ham, imbalanced').waitFor({ timeout: 30_000 });
    await page.reload();
    await waitForBackend(page);
    await goTo(page, 'Data');
    await page.getByTestId('stored-datasets').getByText('Spam vs ham, imbalanced').waitFor({ timeout: 30_000 });
  });

  it('deleting the dataset removes its record, rows and splits from IndexedDB, and the storage figure is asked again', async () => {
    const { page } = rec;
    const used = async () => {
      const m = /Using ([\d.]+) ([KMG]?)B/.exec((await page.getByTestId('storage-figure').textContent()) ?? '');
      return m ? Number(m[1]) * 1024 ** ' KMG'.indexOf(m[2] || ' ') : NaN;
    };
    // what the studio's database holds, read from the page (the worker keeps its own connection)
    const stored = () =>
      page.evaluate(async () => {
        const db: IDBDatabase = await new Promise((ok, fail) => {
          const q = indexedDB.open('finetune-studio');
          q.onsuccess = () => ok(q.result);
          q.onerror = () => fail(q.error);
        });
        const count = (table: string) =>
          new Promise<number>((ok, fail) => {
            const q = db.transaction(table).objectStore(table).count();
            q.onsuccess = () => ok(q.result);
            q.onerror = () => fail(q.error);
          });
        const out = { datasets: await count('datasets'), rowChunks: await count('rowChunks'), splits: await count('splits') };
        db.close();
        return out;
      });
    await page
      .getByTestId('storage-figure')
      .filter({ hasText: /Using .+ of/ })
      .waitFor({ timeout: 30_000 });
    const before = await stored();
    expect(before.datasets).toBe(1);
    expect(before.rowChunks).toBeGreaterThan(0);
    const usedBefore = await used();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete Spam vs ham, imbalanced' }).click();
    await page.getByText('None yet. Imported datasets stay in this browser').waitFor({ timeout: 30_000 });
    expect(await stored()).toEqual({ datasets: 0, rowChunks: 0, splits: 0 });
    // the browser gives the file space back on its own schedule (Chromium 150's figure grew from 69 to 114 KB after
    // the delete and stayed there); the panel shows its current figure, not a cached one
    await page.getByRole('button', { name: 'Refresh storage figure' }).click();
    await page
      .getByTestId('storage-figure')
      .filter({ hasText: /Using .+ of/ })
      .waitFor({ timeout: 30_000 });
    const usedAfter = await used();
    console.log(`storage use before delete ${usedBefore} B, after ${usedAfter} B`);
    expect(Number.isFinite(usedAfter)).toBe(true);
    expect(rec.pageErrors).toEqual([]);
  });

  it('a header row the detection took for data is made the header with one click; the import leaves it out', async () => {
    const { page } = rec;
    // short texts under "query text" and intent_N labels under "intent label": too like the data to be detected
    const rows = Array.from({ length: 40 }, (_, i) => `play song number ${i},intent_${i % 4}`);
    await goTo(page, 'Data');
    await page.locator('#data-file').setInputFiles({
      name: 'intents.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(['query text,intent label', ...rows].join('\n')),
    });
    const heads = () => page.getByTestId('preview-table').locator('th').allTextContents();
    // the earlier file's preview stays on the screen until this one's arrives
    await page.getByRole('heading', { name: /^intents\.csv/ }).waitFor({ timeout: 60_000 });
    const box = page.getByTestId('has-header');
    expect([await heads(), await box.isChecked()]).toEqual([['column 1', 'column 2'], false]);
    await page.getByRole('button', { name: 'Import 41 rows' }).waitFor();
    await box.check();
    await page.getByTestId('preview-table').locator('th', { hasText: 'query text' }).waitFor({ timeout: 30_000 });
    expect([await heads(), await box.isChecked()]).toEqual([['query text', 'intent label'], true]);
    await page.getByRole('button', { name: 'Import 40 rows' }).click();
    await page.getByTestId('import-done').filter({ hasText: 'Imported 40 rows' }).waitFor({ timeout: 60_000 });
    // the stored dataset has the four intents, not a fifth class named "intent label"
    await page.getByTestId('dataset-report').filter({ hasText: 'intent_3' }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('dataset-report').textContent()).not.toContain('intent label');
    expect(rec.pageErrors).toEqual([]);
  });
});
