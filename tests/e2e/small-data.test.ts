// The small-data phases in the studio. Head first, then full (LP-FT): the Train screen's "Head first (epochs)" field
// (full and freeze modes only) goes into the command line it shows and into the run: the worker trains the head alone
// on the frozen encoder's features, says so, then fine-tunes. Contrastive pairs (SetFit): on small data the Balanced
// preset turns "Contrastive rounds" on (head-only mode's field), the command line carries it, and the worker tunes
// the encoder on pairs first, on its training threads, saying so with the step and the time left, then the head.
// Below the words: a Quick run that the word-count baseline beats offers one click to the Balanced preset. Texts in a
// script the model's vocabulary lacks (Chinese under USE-Lite): the Train screen says so before anything trains.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Recorded } from './browser';
import {
  axeViolations,
  goTo,
  importCsv,
  loadBundledModel,
  openStudio,
  pickBalanced,
  pickPreset,
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

describe('contrastive pairs, then the head', () => {
  it('the Balanced recipe on small data, its command line, and the run saying what it does', async () => {
    const { page } = rec;
    await importCsv(page, 'pairs.csv', sampleSubset(120));
    await loadBundledModel(page);
    await pickBalanced(page);
    expect(await page.getByLabel('Fine-tuning mode').inputValue()).toBe('head');
    const field = page.getByLabel('Contrastive rounds');
    expect(await field.inputValue()).toBe('20');
    expect(await page.getByTestId('recipe').textContent()).toMatch(/contrastive rounds 20: before the head trains/);
    expect(await page.getByTestId('cli-command').textContent()).toMatch(/--contrastive-rounds 20\b/);
    // one round over ~100 training rows keeps the test short: about 200 pairs, 13 steps of 16
    await field.fill('1');
    await page.getByLabel('Max tokens').fill('32');
    await page.getByLabel('Epochs', { exact: true }).fill('2');
    expect(await page.getByTestId('cli-command').textContent()).toMatch(/--contrastive-rounds 1\b/);

    await recordRunMessages(page);
    await trainUntilDone(page);
    const messages = await runMessages(page);
    const first = messages.findIndex((m) => /^Tuning the encoder on \d+ pairs of training rows \(SetFit, 1 round\): \d+ steps/.test(m));
    const step1 = messages.findIndex((m) => /^Pairs: step 1 of \d+, loss \d\.\d{4}, about .+ left\.$/.test(m));
    const last = messages.findIndex((m) => /^Pairs: step (\d+) of \1, loss \d\.\d{4}\.$/.test(m));
    expect(first, messages.join('\n')).toBeGreaterThanOrEqual(0);
    // the phase on the worker's training threads (Web Workers, each a replica), or in one with the reason
    expect(messages.some((m) => /^Tuning on pairs (on \d+ threads|in one thread): /.test(m))).toBe(true);
    expect(step1).toBeGreaterThan(first);
    expect(last).toBeGreaterThan(step1);
  });
});

/** 300 rows whose label only a code word tells (30 everyday nouns, each tied to one of 3 labels at random) inside
 *  sentences all labels share: word counts separate them, a sentence encoder's frozen meaning barely does. */
function codeWordRows(): Buffer {
  const subjects = ['The delivery', 'My account', 'This order', 'The app', 'Our meeting', 'The invoice', 'Your parcel', 'The report'];
  const verbs = ['arrived late', 'looks fine', 'needs a check', 'was updated', 'is on hold', 'came through', 'has changed', 'went missing'];
  const tails = ['yesterday', 'this morning', 'again', 'as expected', 'after lunch', 'for the third time', 'today', 'last week'];
  const words = (
    'apple river candle mountain pencil garden window turtle silver ladder button forest rocket violin blanket harbor ' +
    'lemon engine castle pepper marble feather tunnel saddle orchid kettle meadow anchor puzzle walnut'
  ).split(' ');
  let s = 7;
  const pick = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), Math.floor((s / 2147483648) * n));
  const rows = ['text,label'];
  for (let i = 0; i < 300; i++) {
    const w = pick(words.length);
    rows.push(`${subjects[pick(8)]} ${verbs[pick(8)]} ${tails[pick(8)]}; ref ${words[w]},${['alpha', 'beta', 'gamma'][w % 3]}`);
  }
  return Buffer.from(rows.join('\n') + '\n');
}

describe('a Quick run below the word-count baseline', () => {
  it('says so and sets up the Balanced preset in one click', async () => {
    const { page } = rec;
    await importCsv(page, 'code-words.csv', codeWordRows());
    await loadBundledModel(page);
    await pickPreset(page, 'Quick');
    await trainUntilDone(page);
    const line = page.getByTestId('word-baseline');
    await line.waitFor({ timeout: 30_000 });
    // the CLI on the same rows: baseline 100 % validation accuracy, the head ~77 %
    expect(await line.textContent()).toMatch(/this run's best is \d+\.\d points below it: .*Balanced/);
    await page.getByRole('button', { name: 'Set up a Balanced run' }).click();
    await page.getByRole('heading', { level: 2, name: /^Train/ }).waitFor();
    expect(await page.getByRole('radio', { name: /Balanced/ }).getAttribute('aria-checked')).toBe('true');
    // fitted to the same data: 300 rows of 3 labels are small data, so Balanced tunes the encoder on pairs first
    await page
      .getByTestId('recipe')
      .filter({ hasText: /contrastive rounds 20/ })
      .waitFor({ timeout: 30_000 });
    expect(await axeViolations(page)).toEqual([]);
    // that run, started: on 300 rows it tunes on pairs, then trains the head; still below the words here, it does not
    // offer Balanced again
    await trainUntilDone(page);
    await line.waitFor({ timeout: 30_000 });
    expect(await line.textContent()).toMatch(/points (above|below) it/);
    expect(await line.textContent()).not.toMatch(/Balanced/);
    expect(await page.getByRole('button', { name: 'Set up a Balanced run' }).count()).toBe(0);
  });
});

describe('texts the model cannot read', () => {
  it('the Train screen warns, naming the model and a text', async () => {
    const { page } = rec;
    const rows = Array.from({ length: 40 }, (_, i) => (i % 2 ? '这家餐厅的服务非常好,正面' : '这家餐厅的服务很差,负面'));
    await importCsv(page, 'chinese.csv', Buffer.from(['文本,标签', ...rows].join('\n') + '\n'));
    await loadBundledModel(page);
    await goTo(page, 'Train');
    const warning = page.getByTestId('vocabulary-warning');
    await warning.waitFor({ timeout: 30_000 });
    expect(await warning.textContent()).toMatch(
      /^100 % of the letters in the training texts are in words USE-Lite's vocabulary cannot spell \(e\.g\. "这家餐厅的服务/,
    );
    expect(await axeViolations(page)).toEqual([]);
  });
});
