// Helpers for driving the studio in the browser tests: screen names, navigation, axe-core checks.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export const SCREEN_TITLES = ['Data', 'Model', 'Train', 'Run', 'Runs', 'Evaluate', 'Playground', 'Export'];

export async function goTo(page: Page, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: new RegExp(`^${title}`) }).waitFor();
}

/** Serious and critical axe-core violations, as "rule: target" lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: page as never }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary?.split('\n')[1] ?? ''}`));
}
