import { describe, expect, it } from 'vitest';
import { learningRateAt, resolveWarmup } from '@/lib/train/schedule';

describe('learning-rate schedules (Hugging Face semantics)', () => {
  it('linear: warms up from 0, peaks after warmup, decays to 0 at the last step', () => {
    const s = { kind: 'linear' as const, baseLr: 1, totalSteps: 10, warmupSteps: 2 };
    expect([0, 1, 2, 6, 10].map((t) => learningRateAt(s, t))).toEqual([0, 0.5, 1, 0.5, 0]);
  });
  it('cosine: half a cosine wave after warmup', () => {
    const s = { kind: 'cosine' as const, baseLr: 2, totalSteps: 12, warmupSteps: 2 };
    expect(learningRateAt(s, 2)).toBeCloseTo(2, 12);
    expect(learningRateAt(s, 7)).toBeCloseTo(1, 12); // half way: 0.5·(1 + cos(π/2))
    expect(learningRateAt(s, 12)).toBeCloseTo(0, 12);
    expect(learningRateAt(s, 4.5)).toBeCloseTo(2 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), 12);
  });
  it('constant: flat after an optional warmup', () => {
    const s = { kind: 'constant' as const, baseLr: 3e-5, totalSteps: 100, warmupSteps: 4 };
    expect(learningRateAt(s, 2)).toBeCloseTo(1.5e-5, 15);
    expect(learningRateAt(s, 4)).toBe(3e-5);
    expect(learningRateAt(s, 99)).toBe(3e-5);
  });
  it('warmup can be given as steps or as a ratio of the total', () => {
    expect(resolveWarmup({ steps: 7 }, 100)).toBe(7);
    expect(resolveWarmup({ ratio: 0.06 }, 100)).toBe(6);
    expect(resolveWarmup({ ratio: 0.1 }, 25)).toBe(3); // ceil, as transformers' get_warmup_steps
    expect(resolveWarmup({}, 100)).toBe(0);
  });
});
