// Finds ../shared (real datasets and reference fixtures). Tests that need it skip with a clear message when absent,
// so a fresh clone without shared/ still passes.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const candidates = [process.env.FINETUNE_SHARED, resolve(process.cwd(), '../shared')].filter(Boolean) as string[];
export const SHARED_DIR: string | null = candidates.find((d) => existsSync(join(d, 'datasets'))) ?? null;

export function sharedPath(...parts: string[]): string | null {
  if (!SHARED_DIR) return null;
  const p = join(SHARED_DIR, ...parts);
  return existsSync(p) ? p : null;
}

/** Use as `describe.skipIf(!hasShared('datasets/sst2'))(...)`; logs why it is skipped. */
export function hasShared(...parts: string[]): boolean {
  const ok = sharedPath(...parts) !== null;
  if (!ok) console.warn(`[skip] ../shared/${parts.join('/')} not found: set FINETUNE_SHARED or place shared/ beside the repo to run these tests`);
  return ok;
}
