// Named entities in the studio, with real clicks on the built app: a CoNLL file (PER and LOC, written here) is mapped
// as token classification and its report shows the entity types and the sentences over the max length; the Quick
// preset trains a head on the bundled USE-Lite and the Run screen charts entity F1; Evaluate shows entity F1, the
// per-type table, the entity-type confusion and the wrong sentences inline; the Playground highlights the entities of
// a typed sentence. Each screen passes axe-core and leaves a screenshot in test-results/ner/.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, type Recorded } from './browser';
import { axeViolations, goTo, loadBundledModel, openStudio, runStatus } from './studio';
import { nerSampleConll } from '../helpers/ner-sample';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;
const shots = () => artifactsDir('ner');
const axeFound: Record<string, string[]> = {};

async function check(screen: string) {
  const v = await axeViolations(rec.page);
  if (v.length) axeFound[screen] = v;
  await rec.page.screenshot({ path: `${shots()}/${screen}.png`, fullPage: true });
}

const conll = (n: number): Buffer => Buffer.from(nerSampleConll(n, { noisyEvery: 5 }));

/** Entities per type in a CoNLL buffer (its B- tags), most first. */
function entityCounts(b: Buffer): [string, number][] {
  const counts = new Map<string, number>();
  for (const m of b.toString().matchAll(/ B-(\w+)$/gm)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  return [...counts].sort((x, y) => y[1] - x[1]);
}

beforeAll(async () => {
  ({ browser, rec } = await openStudio(baseURL));
  // loaded first, so that the data report counts tokens with its tokenizer
  await loadBundledModel(rec.page);
});
afterAll(async () => {
  await browser?.close();
});

describe('named entities in the studio', () => {
  it('maps a CoNLL file as named entities and reports entity types and long sentences', async () => {
    const { page } = rec;
    // the report counts the sentences over the Train screen's max length: 24 tokens, which only the long ones exceed
    await goTo(page, 'Train');
    await page.getByLabel('Max tokens').fill('24');
    await goTo(page, 'Data');
    const data = conll(96);
    await page.locator('#data-file').setInputFiles({ name: 'people.conll', mimeType: 'text/plain', buffer: data });
    await page.getByTestId('preview-table').waitFor({ timeout: 60_000 });
    const mapping = page.getByTestId('mapping');
    expect(await mapping.getByLabel('Task').inputValue()).toBe('token-classification');
    expect(await mapping.getByLabel('Task').locator('option:checked').textContent()).toBe('Named entities (token classification)');
    expect(await mapping.getByLabel(/^Tokens column/).inputValue()).toBe('tokens');
    expect(await mapping.getByLabel(/^Tags column/).inputValue()).toBe('tags');
    expect(await mapping.getByLabel('Label column').count()).toBe(0);
    // a quarter of the sentences for the test split, so that a few noisy ones land there
    await page.getByLabel('Test share').fill('0.25');
    await page.getByRole('button', { name: 'Import 96 sentences' }).click();
    await page.getByTestId('import-done').waitFor({ timeout: 60_000 });
    const report = page.getByTestId('ner-report');
    await report.waitFor({ timeout: 60_000 });
    const table = page.getByTestId('entity-counts');
    const want = entityCounts(data);
    expect(want.map(([t]) => t)).toEqual(['PER', 'LOC']);
    expect(await table.locator('tbody th').allTextContents()).toEqual(want.map(([t]) => t));
    expect(await table.locator('tbody td:nth-of-type(1)').allTextContents()).toEqual(want.map(([, c]) => String(c)));
    expect(await page.getByTestId('dataset-report').textContent()).toMatch(/Sentences96/);
    expect(await page.getByTestId('ner-over-max').textContent()).toMatch(/^Sentences over 24 tokens16 \(16\.7%\)$/);
    await check('data');
  });

  it('trains with the Quick preset and charts entity F1', async () => {
    const { page } = rec;
    await goTo(page, 'Train');
    await page.getByTestId('train-task').waitFor({ timeout: 30_000 });
    await page.getByRole('radio', { name: /Quick/ }).click();
    await page
      .getByTestId('recipe')
      .filter({ hasText: /training (rows|sentences)/ })
      .waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('cli-command').textContent()).toMatch(/--tags-column tags \\\s+--task ner/);
    await check('train');
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
    expect(Number(await page.getByTestId('chart-metrics').getAttribute('data-points'))).toBeGreaterThan(0);
    await page.getByText('Validation entity F1 (exact span and type)').first().waitFor();
    expect(await page.getByTestId('last-eval').textContent()).toMatch(/entity F1 \d+\.\d%/);
    await check('run');
  });

  it('lists the run with its validation entity F1', async () => {
    const { page } = rec;
    await goTo(page, 'Runs');
    await page.getByRole('button', { name: 'Sort by Validation entity F1' }).waitFor();
    const row = await page.getByTestId('runs-table').locator('tbody tr').first().textContent();
    expect(row).toMatch(/\d+\.\d%/);
  });

  it('evaluates with entity F1, a per-type table, the type confusion and the wrong sentences', async () => {
    const { page } = rec;
    await goTo(page, 'Evaluate');
    await page.getByRole('button', { name: 'Evaluate on the test split' }).click();
    await page.getByTestId('per-type').waitFor({ timeout: 120_000 });
    const head = await page.getByTestId('test-metrics').locator('thead th').allTextContents();
    expect(head).toContain('Entity F1');
    expect(await page.getByTestId('test-metrics').locator('tbody td').first().textContent()).toMatch(/^\d+\.\d%$/);
    const types = await page.getByTestId('per-type').locator('tbody th').allTextContents();
    expect(types).toEqual(['LOC', 'PER']);
    const confusion = page.getByTestId('entity-confusion');
    expect(await confusion.locator('thead th').allTextContents()).toEqual(['True \\ predicted', 'LOC', 'PER', 'missed']);
    expect(await confusion.locator('tbody th').allTextContents()).toEqual(['LOC', 'PER', 'spurious']);
    // the noisy test sentences (a place tagged as a person) are wrong whatever the model learned: shown inline, the
    // true and the predicted entities with their types, each marked as matching the other side or not
    const wrong = page.getByTestId('wrong-sentences').locator('li');
    expect(await wrong.count()).toBeGreaterThan(0);
    const first = wrong.first();
    expect(await first.locator('.ner-side').allTextContents()).toEqual(['True', 'Predicted']);
    expect(await first.locator('mark.entity').count()).toBeGreaterThan(0);
    expect(await first.locator('mark.entity .entity-type').first().textContent()).toMatch(
      /^(PER|LOC) [✓✗] \((found|missed|correct|wrong)\)$/,
    );
    await check('evaluate');
  });

  it('highlights the entities of a typed sentence in the playground, with type and confidence', async () => {
    const { page } = rec;
    await goTo(page, 'Playground');
    await page.getByLabel('Text', { exact: true }).fill('Yesterday Maria Garcia met Bob in Berlin.');
    await page.getByTestId('entity-text').waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="entities"]')?.getAttribute('aria-busy') === 'false');
    const marks = page.getByTestId('entity-text').locator('mark.entity');
    expect(await marks.count()).toBeGreaterThan(0);
    const first = (await marks.first().textContent()) ?? '';
    expect(first).toMatch(/^(Maria Garcia|Bob|Berlin)(PER|LOC) \d+\.\d%$/);
    const listed = await page.getByTestId('entity-list').locator('tbody tr').count();
    expect(listed).toBe(await marks.count());
    await check('playground');
  });

  it('has no serious or critical axe-core violations on the NER screens', () => {
    expect(axeFound).toEqual({});
  });
});
