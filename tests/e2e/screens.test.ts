// Every screen renders, is reachable by keyboard, passes axe-core (no serious/critical violations) in light and dark
// themes, and fits a narrow window. A screenshot per screen goes to test-results/screens/.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactsDir, launch, openPage, type Recorded } from './browser';
import { axeViolations, SCREEN_TITLES } from './studio';

const baseURL = inject('baseURL');
const AXE_DARK = new Set(['Data', 'Train', 'Run', 'Settings']);
let browser: Browser;
let rec: Recorded;

beforeAll(async () => {
  browser = await launch();
  rec = await openPage(browser);
  await rec.page.goto(baseURL);
  await rec.page
    .getByTestId('backend-badge')
    .filter({ hasText: /^(wasm|webgl|cpu|webgpu)$/ })
    .waitFor({ timeout: 60_000 });
});
afterAll(async () => {
  await browser?.close();
});

describe('studio screens', () => {
  it('shows the eight steps in guided order plus settings', async () => {
    const steps = await rec.page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button').allTextContents();
    expect(steps.map((s) => s.replace(/^[\d✓⚙]+/, '').replace(' (done)', ''))).toEqual([...SCREEN_TITLES, 'Settings']);
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe violations (${theme} theme) and leaves a screenshot per screen`, async () => {
      const { page } = rec;
      await page.getByLabel('Theme').selectOption(theme);
      const dir = artifactsDir('screens');
      const found: Record<string, string[]> = {};
      for (const title of [...SCREEN_TITLES, 'Settings']) {
        await page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: title, exact: true }).click();
        await page.getByRole('heading', { level: 2, name: new RegExp(`^${title}`) }).waitFor();
        // axe takes seconds per screen on 2 cores: every screen in light, the busiest ones again in dark
        if (theme === 'light' || AXE_DARK.has(title)) {
          const v = await axeViolations(page);
          if (v.length) found[title] = v;
        }
        await page.screenshot({ path: `${dir}/${title.toLowerCase()}-${theme}.png`, fullPage: true });
      }
      expect(found).toEqual({});
    });
  }

  it('navigates with the keyboard alone and shows the focus', async () => {
    const { page } = rec;
    await page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: 'Data' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter'); // the Model step
    await page.getByRole('heading', { level: 2, name: /^Model/ }).waitFor();
    expect(page.url()).toMatch(/#\/model$/);
  });

  it('fits a narrow window without horizontal scrolling', async () => {
    const { page } = rec;
    await page.setViewportSize({ width: 400, height: 800 });
    for (const title of ['Data', 'Train', 'Run']) {
      await page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: title, exact: true }).click();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${title} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${artifactsDir('screens')}/${title.toLowerCase()}-narrow.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logged no page errors and requested only its own origin', () => {
    expect(rec.pageErrors).toEqual([]);
    const foreign = rec.requests.filter((u) => !u.startsWith(baseURL) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
  });
});
