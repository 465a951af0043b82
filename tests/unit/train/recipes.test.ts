import { describe, expect, it } from 'vitest';
import { familyOf, recipeFor } from '@/lib/train/recipes';

const sst2 = {
  arch: 'use-lite',
  task: 'classification' as const,
  trainRows: 6920,
  labelCounts: [3310, 3610],
  tokenLengths: { p95: 42, max: 91 },
  modelMaxLength: 128,
};
const banking77 = {
  arch: 'use-lite',
  task: 'classification' as const,
  trainRows: 9003,
  labelCounts: Array.from({ length: 77 }, (_, i) => 35 + i),
  tokenLengths: { p95: 40, max: 90 },
  modelMaxLength: 128,
};

describe('recipes', () => {
  const sst2BestTest =
    "USE-Lite's Best quality on SST-2-sized data is the measured sst2-full recipe (6 epochs, lr 3e-4, head × 10, EMA 0.995, length 96)";
  it(sst2BestTest, () => {
    const r = recipeFor(sst2, 'best');
    expect(r.values).toMatchObject({
      mode: 'full',
      epochs: 6,
      learningRate: 3e-4,
      headLrMultiplier: 10,
      emaDecay: 0.995,
      labelSmoothing: 0.1,
      maxLength: 96,
      batchSize: 32,
      earlyStoppingPatience: 3,
      classWeights: false,
    });
    expect(recipeFor(sst2, 'balanced').values.epochs).toBe(5);
    expect(r.why.join(' ')).toMatch(/6 epochs.*217 steps/);
  });

  it('many labels take the many-label rates (Banking77: lr 4e-4, head × 25, 10 epochs), and say why', () => {
    const r = recipeFor(banking77, 'balanced');
    expect(r.values).toMatchObject({ learningRate: 4e-4, headLrMultiplier: 25, epochs: 10, emaDecay: 0.995 });
    expect(r.why[0]).toMatch(/77 labels/);
    expect(recipeFor(banking77, 'quick').values).toMatchObject({ mode: 'head', learningRate: 1e-2 });
  });

  it('fits the data: few rows get more epochs and no weight average; imbalance turns class weights on; long texts are capped', () => {
    const small = recipeFor({ ...sst2, trainRows: 200, labelCounts: [100, 100] }, 'balanced');
    expect(small.values.epochs).toBe(20);
    expect(small.values.emaDecay).toBe(0);
    expect(small.why.join(' ')).toMatch(/no weight average/);
    const skewed = recipeFor({ ...sst2, labelCounts: [6300, 620] }, 'balanced');
    expect(skewed.values.classWeights).toBe(true);
    expect(recipeFor({ ...sst2, labelCounts: [6000, 920] }, 'balanced').values.classWeights).toBe(false);
    const long = recipeFor({ ...sst2, tokenLengths: { p95: 180, max: 400 }, modelMaxLength: 512 }, 'balanced');
    expect(long.values.maxLength).toBe(128);
    expect(recipeFor({ ...sst2, tokenLengths: { p95: 180, max: 400 }, modelMaxLength: 512 }, 'best').values.maxLength).toBe(192);
    expect(recipeFor({ ...sst2, tokenLengths: { p95: 128, max: 128 } }, 'balanced').values.maxLength).toBe(128);
    // a large dataset is not made to run for days: one epoch already makes the steps wanted
    expect(recipeFor({ ...sst2, trainRows: 60_000 }, 'balanced').values.epochs).toBe(1);
  });

  it('sizes BERT-family models by hidden size, and picks mode recipes (LoRA) on request', () => {
    expect(familyOf({ arch: 'bert', hiddenSize: 128 })).toBe('bert-tiny');
    expect(familyOf({ arch: 'distilbert', hiddenSize: 768 })).toBe('bert-base');
    expect(familyOf({ arch: 'roberta', hiddenSize: 1024 })).toBe('bert-large');
    expect(familyOf({})).toBe('use-lite');
    expect(recipeFor({ arch: 'bert', hiddenSize: 128 }, 'balanced').values.learningRate).toBeGreaterThan(
      recipeFor({ arch: 'bert', hiddenSize: 768 }, 'balanced').values.learningRate,
    );
    expect(recipeFor({ arch: 'bert', hiddenSize: 768 }, 'balanced', 'lora').values).toMatchObject({
      mode: 'lora',
      loraRank: 8,
      loraAlpha: 16,
    });
  });
});
