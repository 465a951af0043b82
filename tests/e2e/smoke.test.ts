import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, launch, openPage, type Recorded } from './browser';

const baseURL = inject('baseURL');
let browser: Browser;
let rec: Recorded;

beforeAll(async () => {
  browser = await launch();
  rec = await openPage(browser);
  await rec.page.goto(baseURL);
});
afterAll(async () => {
  await browser?.close();
});

describe('studio smoke', () => {
  it('renders the studio page', async () => {
    await expect(rec.page.getByRole('heading', { level: 1, name: 'Finetune Studio' }).isVisible()).resolves.toBe(true);
  });

  it('starts the worker, which reports wasm as its automatic backend (WebGPU here is SwiftShader)', async () => {
    const badge = rec.page.getByTestId('backend-badge');
    await badge.filter({ hasText: /^(wasm|webgl|cpu|webgpu)$/ }).waitFor({ timeout: 60_000 });
    expect(await badge.textContent()).toBe('wasm');
    const reason = await rec.page.getByTestId('backend-reason').textContent();
    expect(reason).toMatch(/WebAssembly/);
    expect(await rec.page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(reason).toMatch(/threads/);
    // the worker loaded the multi-threaded SIMD build (its pthread workers start from a blob; see README)
    expect(rec.requests.some((u) => u.endsWith('/tfjs-wasm/tfjs-backend-wasm-threaded-simd.wasm'))).toBe(true);
    expect(reason).toMatch(/· matrix products on \d+ threads? per worker/);
    // the engine's own BatchMatMul/GatherV2 kernels (lib/backend/wasm-kernels.ts) installed on the threaded build too
    expect(reason).toContain('engine matmul kernels');
    await rec.page.screenshot({ path: `${artifactsDir('smoke')}/home.png`, fullPage: true });
  });

  for (const backend of ['wasm', 'webgpu', 'webgl'] as const) {
    it(`computes a known matmul correctly with the backend forced to ${backend}`, async () => {
      const { page } = rec;
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Backend', { exact: true }).selectOption(backend);
      await page
        .getByTestId('backend-badge')
        .filter({ hasText: new RegExp(`^${backend}$`) })
        .waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Run self-check' }).click();
      const result = page.getByTestId('selfcheck-result');
      await result.waitFor({ timeout: 60_000 });
      expect(await result.textContent()).toMatch(
        new RegExp(
          `^${backend}: a 2×3 · 3×2 matrix product on the engine gave \\[58, 64, 139, 154\\], as expected \\(\\d+ ms round trip\\)$`,
        ),
      );
    });
  }

  it('logged no console errors and no page errors', () => {
    expect(rec.pageErrors).toEqual([]);
    expect(rec.consoleErrors).toEqual([]);
  });

  it('made requests only to its own origin', () => {
    expect(rec.requests.length).toBeGreaterThan(0);
    const foreign = rec.requests.filter((u) => !u.startsWith(baseURL) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
  });
});
