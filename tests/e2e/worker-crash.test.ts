// Every error reaches the page. A run control the engine refuses shows its reason next to the Run screen's buttons.
// When the engine worker dies in the middle of a short full fine-tuning run (killed from the page, as a crash would),
// the page says so within seconds, a pending request (the Train screen's "Estimate time") fails instead of spinning,
// the run shows as interrupted, and the next request starts a fresh worker; after a reload, Resume continues the run
// from its last checkpoint to the end. An uncaught error inside the worker stops it the same way.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, type Recorded } from './browser';
import {
  currentStep,
  goTo,
  importCsv,
  loadBundledModel,
  openStudio,
  runStatus,
  sampleSubset,
  waitForBackend,
  startShortFullRun,
} from './studio';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;
const shots = () => artifactsDir('worker-crash');

/** Calls the page's engine test hook (components/engine-client.ts, window.__finetuneEngine). */
async function engineHook(method: 'terminateForTest' | 'pendingRequests' | 'stops'): Promise<number | undefined> {
  return rec.page.evaluate((m) => {
    const hook = (window as unknown as { __finetuneEngine: Record<string, () => number | undefined> }).__finetuneEngine;
    return hook[m]();
  }, method);
}

async function waitStatus(re: RegExp, timeout = 120_000) {
  await rec.page.getByTestId('run-status').filter({ hasText: re }).waitFor({ timeout });
}

async function waitStep(atLeast: number, timeout = 180_000) {
  await rec.page.waitForFunction(
    (n) => {
      const text = document.querySelector('[data-testid="run-step"]')?.textContent ?? '';
      return Number(/Step ([\d,]+)/.exec(text)?.[1]?.replace(/,/g, '') ?? -1) >= n;
    },
    atLeast,
    { timeout },
  );
}

/** "Step 12 / 45" -> 45 */
async function totalSteps(): Promise<number> {
  const t = (await rec.page.getByTestId('run-step').textContent()) ?? '';
  return Number(/\/ ([\d,]+)/.exec(t)?.[1]?.replace(/,/g, '') ?? NaN);
}

async function checkpointSteps(): Promise<number[]> {
  return (await rec.page.getByTestId('checkpoints').locator('tbody tr td:first-child').allTextContents()).map(Number);
}

beforeAll(async () => {
  ({ browser, rec } = await openStudio(baseURL));
});
afterAll(async () => {
  await browser?.close();
});

describe('the worker protocol delivers every error', () => {
  let lastCheckpoint = 0;

  it('shows a run control the engine refuses next to the Run screen buttons', async () => {
    const { page } = rec;
    // 300 rows: 240 training rows, 15 steps an epoch at batch 16, so the run is still training well after its first
    // checkpoint (end of epoch 1)
    await importCsv(page, 'crash-sample.csv', sampleSubset(300));
    await loadBundledModel(page);
    await startShortFullRun(page);
    await waitStatus(/^running$/, 180_000);
    await waitStep(1);
    await page.getByLabel('LR multiplier').fill('-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    const refused = page.getByTestId('run-control-error');
    await refused.filter({ hasText: /learning-rate multiplier must be a number ≥ 0 \(got -1\)/ }).waitFor({ timeout: 30_000 });
    expect(await refused.textContent()).toMatch(/^Problem: option LR multiplier: /);
    expect(await runStatus(page)).toBe('running');
    // a control the engine takes clears the message
    await page.getByLabel('LR multiplier').fill('1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await refused.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('when the worker dies: the page says so, a pending request fails, the run is interrupted, a new worker starts', async () => {
    const { page } = rec;
    await page.getByTestId('checkpoints').waitFor({ timeout: 180_000 });
    lastCheckpoint = Math.max(...(await checkpointSteps()));
    expect(lastCheckpoint).toBeGreaterThan(0);
    // the checkpoint list arrives at once, the step counter in batches: wait until it has caught up
    await waitStep(lastCheckpoint);
    expect(await page.getByTestId('engine-notice').count(), 'no stray engine errors while training').toBe(0);
    // a request in flight when the worker dies: timing a few steps of the run (seconds of work in the worker)
    await goTo(page, 'Train');
    const estimate = page.getByRole('button', { name: 'Estimate time' });
    await estimate.click();
    await page
      .getByTestId('run-estimate')
      .filter({ hasText: /Timing a few training steps/ })
      .waitFor({ timeout: 10_000 });
    expect(await engineHook('pendingRequests')).toBeGreaterThan(0);
    const killedAt = Date.now();
    await engineHook('terminateForTest');

    const banner = page.getByTestId('engine-stopped');
    await banner.waitFor({ timeout: 5_000 });
    expect(await banner.textContent()).toMatch(
      /The engine stopped: the engine worker was terminated \(test hook\)\. Reload the page; runs resume from their last checkpoint\./,
    );
    // the estimate's request was rejected: its error shows and the button is usable again (no spinner forever)
    await page
      .getByTestId('train-error')
      .filter({ hasText: /the engine stopped/ })
      .waitFor({ timeout: 5_000 });
    expect(await estimate.isEnabled()).toBe(true);
    expect(await page.getByTestId('run-estimate').textContent()).not.toMatch(/Timing a few training steps/);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(await engineHook('pendingRequests')).toBe(0);
    await page.screenshot({ path: `${shots()}/engine-stopped.png`, fullPage: true });

    await goTo(page, 'Run');
    await waitStatus(/^interrupted$/, 5_000);
    expect(await page.getByText(/The engine stopped while this run was training/).count()).toBeGreaterThan(0);
    const stepAtCrash = await currentStep(page);
    expect(stepAtCrash).toBeGreaterThanOrEqual(lastCheckpoint);
    expect(stepAtCrash).toBeLessThan(await totalSteps());
    await page.getByTestId('resume-checkpoint').waitFor();
    await page.waitForTimeout(1_000);
    expect(await currentStep(page), 'nothing trains after the crash').toBe(stepAtCrash);
    lastCheckpoint = Math.max(...(await checkpointSteps()));

    // the next request starts a fresh worker on the same backend
    await goTo(page, 'Settings');
    await page.getByRole('button', { name: 'Run self-check' }).click();
    await page
      .getByTestId('selfcheck-result')
      .filter({ hasText: /gave \[58, 64, 139, 154\], as expected/ })
      .waitFor({ timeout: 120_000 });
    expect(await engineHook('stops')).toBe(1);
  });

  it('after a reload the run is listed as interrupted and Resume continues from its checkpoint to the end', async () => {
    const { page } = rec;
    await page.reload();
    await waitForBackend(page);
    expect(await page.getByTestId('engine-stopped').count()).toBe(0);
    await goTo(page, 'Run');
    await waitStatus(/^interrupted$/, 30_000);
    const button = page.getByTestId('resume-checkpoint');
    const resumeStep = Number(/step (\d+)/.exec((await button.textContent()) ?? '')?.[1]);
    // (a checkpoint written just before the kill may not have reached the page's list)
    expect(resumeStep).toBeGreaterThanOrEqual(lastCheckpoint);
    await page.screenshot({ path: `${shots()}/interrupted.png`, fullPage: true });
    await button.click();
    await waitStatus(/^running$/, 180_000);
    await waitStep(resumeStep + 1);
    await waitStatus(/^done$/, 280_000);
    const total = await totalSteps();
    expect(await currentStep(page)).toBe(total);
    expect(total).toBeGreaterThan(resumeStep);
    // the learning-rate curve holds one point per step: the ones before the checkpoint and the resumed ones, once each
    await expect.poll(async () => Number(await page.getByTestId('chart-lr').getAttribute('data-points')), { timeout: 10_000 }).toBe(total);
    await page.screenshot({ path: `${shots()}/resumed-done.png`, fullPage: true });
  });

  it('an uncaught error inside the worker stops it the same way, and the next request starts a fresh one', async () => {
    const { page } = rec;
    expect(await page.getByTestId('engine-stopped').count()).toBe(0);
    const worker = page.workers().find((w) => w.url().endsWith('/engine/engine.worker.js'));
    expect(worker, 'the engine worker is running').toBeDefined();
    await worker!.evaluate(() => {
      setTimeout(() => {
        throw new Error('boom from a test');
      }, 0);
    });
    const banner = page.getByTestId('engine-stopped');
    await banner.waitFor({ timeout: 5_000 });
    expect(await banner.textContent()).toMatch(/The engine stopped: (Uncaught )?Error: boom from a test/);
    expect(await runStatus(page)).toBe('done');
    await goTo(page, 'Settings');
    await page.getByRole('button', { name: 'Run self-check' }).click();
    await page
      .getByTestId('selfcheck-result')
      .filter({ hasText: /gave \[58, 64, 139, 154\], as expected/ })
      .waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await banner.waitFor({ state: 'detached' });
  });

  it('logged no page errors and showed no stray engine errors', async () => {
    expect(await rec.page.getByTestId('engine-notice').count()).toBe(0);
    expect(rec.pageErrors).toEqual([]);
  });
});
