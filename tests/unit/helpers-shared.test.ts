// tests/helpers/shared.ts: a missing ../shared path skips locally but fails under CI=true.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasShared, sharedPath, sharedRequired } from '@/tests/helpers/shared';

const MISSING = ['datasets', '__no_such_dataset__', 'train.csv'];

describe('shared data helper', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.CI;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
    vi.restoreAllMocks();
  });

  it('with CI=true, hasShared throws an error naming the missing path instead of returning false', () => {
    process.env.CI = 'true';
    expect(sharedRequired()).toBe(true);
    expect(() => hasShared(...MISSING)).toThrow(/__no_such_dataset__[/\\]train\.csv.*not found/);
    expect(() => hasShared(...MISSING)).toThrow(/CI=true/);
  });

  it('with CI=true, describe.skipIf(!hasShared(missing)) cannot silently skip: building it throws', () => {
    process.env.CI = 'true';
    expect(() => describe.skipIf(!hasShared(...MISSING))('never collected', () => {})).toThrow(/__no_such_dataset__/);
  });

  it('without CI, hasShared returns false with a warning so the tests skip', () => {
    delete process.env.CI;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(sharedRequired()).toBe(false);
    expect(hasShared(...MISSING)).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^\[skip\] .*__no_such_dataset__/));
  });

  it('CI values other than "true" keep the local skip behaviour', () => {
    process.env.CI = 'false';
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(hasShared(...MISSING)).toBe(false);
  });

  it('sharedPath stays a probe: null for a missing path, never throws, even with CI=true', () => {
    process.env.CI = 'true';
    expect(sharedPath(...MISSING)).toBeNull();
  });
});
