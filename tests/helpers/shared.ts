// Finds ../shared (real datasets and reference fixtures). Locally, tests that need it skip with a clear message when
// absent, so a fresh clone without shared/ still passes. In CI (`CI=true`) a missing path is an error instead: `hasShared`
// throws, so the test file that needs it fails (at collection, naming the path) rather than being silently skipped.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const candidates = [process.env.FINETUNE_SHARED, resolve(process.cwd(), '../shared')].filter(Boolean) as string[];
export const SHARED_DIR: string | null = candidates.find((d) => existsSync(join(d, 'datasets'))) ?? null;

/** True when missing shared data must fail the tests rather than skip them; read at each call. */
export function sharedRequired(): boolean {
  return process.env.CI === 'true';
}

/** The path under ../shared, or null when shared/ or the path is absent (a probe: never throws; bench/ uses it too). */
export function sharedPath(...parts: string[]): string | null {
  if (!SHARED_DIR) return null;
  const p = join(SHARED_DIR, ...parts);
  return existsSync(p) ? p : null;
}

/** Why `parts` cannot be used, naming the path looked for. */
function missingMessage(parts: string[]): string {
  const rel = join(...parts);
  if (!SHARED_DIR) {
    return `shared data ../shared/${rel} not found: no shared/ folder with datasets/ at ${candidates.join(' or ')}`;
  }
  return `shared data ${join(SHARED_DIR, rel)} not found (../shared/${rel})`;
}

/**
 * Use as `describe.skipIf(!hasShared('datasets/sst2'))(...)` or `it(name, { skip: !hasShared(...) }, ...)`.
 * Locally: false (and a warning) when the path is absent, so the tests skip. With CI=true: throws an Error naming the
 * missing path, so the test file fails instead of skipping.
 */
export function hasShared(...parts: string[]): boolean {
  if (sharedPath(...parts) !== null) return true;
  const why = missingMessage(parts);
  if (sharedRequired()) throw new Error(`[CI] ${why}. CI=true requires it: provide shared/ (or set FINETUNE_SHARED)`);
  console.warn(`[skip] ${why}: set FINETUNE_SHARED or place shared/ beside the repo to run these tests`);
  return false;
}
