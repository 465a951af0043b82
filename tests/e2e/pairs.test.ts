// Contrastive pairs before the head (SetFit) in the studio: on small data the Balanced preset turns "Contrastive
// rounds" on (head-only mode's field), the command line it shows carries it, and the worker tunes the encoder on
// pairs first, saying so with the step and the time left, then trains the head.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Recorded } from './browser';
import {
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
