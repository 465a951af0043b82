import { describe, expect, it } from 'vitest';
import { recipeFor } from '@/lib/train/recipes';
import { familyOf } from '@/lib/train/recipe-table';

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
    // full fine-tuning asked for on few rows: the epoch cap, and no weight average
    const small = recipeFor({ ...sst2, trainRows: 200, labelCounts: [100, 100] }, 'balanced', 'full');
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

  it("big data: the encoder trains its recipe's steps, part of one epoch; the head alone gets features for a sample", () => {
    const big = { ...sst2, trainRows: 108_000, labelCounts: [54_000, 54_000] };
    const bal = recipeFor(big, 'balanced');
    // 3,375 steps an epoch against 1,100 wanted: stop after them, evaluating at the half and at the end
    expect(bal.values).toMatchObject({ mode: 'full', epochs: 1, maxSteps: 1100, evalEverySteps: 550, emaDecay: 0.995 });
    expect(bal.values.maxTrainRows).toBeUndefined();
    expect(bal.why.join(' ')).toMatch(/1,100 steps, 33 % of one epoch.*3,375 steps of 32.*35,200 rows once/);
    expect(recipeFor(big, 'best').values).toMatchObject({ epochs: 1, maxSteps: 1320, evalEverySteps: 660 });
    expect(recipeFor(big, 'balanced', 'lora').values).toMatchObject({ epochs: 1, maxSteps: 1500 });
    // under 1.5× the wanted steps an epoch is trained whole
    const edge = recipeFor({ ...sst2, trainRows: 52_000 }, 'balanced');
    expect(edge.values).toMatchObject({ epochs: 1, evalEverySteps: 0 });
    expect(edge.values.maxSteps).toBeUndefined();
    expect(recipeFor({ ...sst2, trainRows: 52_800 }, 'balanced').values.maxSteps).toBe(1100);
    // Quick: 20,000 rows (250 a label where that is more), epochs fitted to the sample; never a stop part-way
    const quick = recipeFor(big, 'quick');
    expect(quick.values).toMatchObject({ mode: 'head', maxTrainRows: 20_000, epochs: 10 });
    expect(quick.values.maxSteps).toBeUndefined();
    expect(quick.why[0]).toMatch(/features for 20,000 of the 108,000 training rows/);
    expect(quick.why[1]).toMatch(/20,000 training rows make 625 steps/);
    const manyLabels = { ...big, labelCounts: Array.from({ length: 100 }, () => 1080) };
    expect(recipeFor(manyLabels, 'quick').values.maxTrainRows).toBe(25_000);
    expect(recipeFor({ ...sst2, trainRows: 20_000 }, 'quick').values.maxTrainRows).toBeUndefined();
  });

  it('the head alone takes at least 500 steps: hundreds of epochs of a few rows, the usual 10–30 epochs beyond', () => {
    const tiny = recipeFor({ ...sst2, trainRows: 80, labelCounts: [70, 10] }, 'quick');
    expect(tiny.values).toMatchObject({ mode: 'head', epochs: 167 }); // 3 steps an epoch
    expect(tiny.why.join(' ')).toMatch(/167 epochs: 80 training rows make 3 steps of 32, and the head takes at least 500 steps/);
    expect(recipeFor({ ...sst2, trainRows: 16, labelCounts: [8, 8] }, 'quick').values.epochs).toBe(500);
    expect(recipeFor({ ...sst2, trainRows: 1000, labelCounts: [500, 500] }, 'quick').values.epochs).toBe(30);
    // full fine-tuning has no such floor
    expect(recipeFor({ ...sst2, trainRows: 80, labelCounts: [40, 40] }, 'balanced', 'full').values.epochs).toBe(20);
  });

  it('under 50 validation rows the recipe turns early stopping off and says so; 50 and more keep it', () => {
    const few = recipeFor({ ...sst2, trainRows: 80, labelCounts: [70, 10], validationRows: 10 }, 'quick');
    expect(few.values.earlyStoppingPatience).toBe(0);
    expect(few.why.join(' ')).toMatch(
      /no early stopping: 10 validation rows are too few to select on \(under 50; each row is 10 % of them\)/,
    );
    expect(few.why.join(' ')).not.toMatch(/early stopping ends it/);
    for (const validationRows of [undefined, 0, 50]) {
      const r = recipeFor({ ...sst2, trainRows: 80, labelCounts: [70, 10], validationRows }, 'quick');
      expect(r.values.earlyStoppingPatience, `${validationRows}`).toBeGreaterThan(0);
      expect(r.why.join(' ')).not.toMatch(/no early stopping/);
    }
    expect(recipeFor({ ...sst2, trainRows: 80, validationRows: 50 }, 'quick').why.join(' ')).toMatch(/\); early stopping ends it/);
  });

  it('small data: when the rows cannot give full fine-tuning its steps, Balanced and Best train the head only and say why', () => {
    // 1,100 steps wanted, at most 20 epochs of 32: up to 864 rows (two labels) not even half of them
    for (const rows of [32, 512, 864]) {
      const r = recipeFor({ ...sst2, trainRows: rows, labelCounts: [rows / 2, rows / 2] }, 'balanced');
      expect(r.values.mode, `${rows} rows`).toBe('head');
      expect(r.why[0]).toMatch(new RegExp(`^head only: ${rows.toLocaleString('en')} training rows give full fine-tuning at most`));
      expect(recipeFor({ ...sst2, trainRows: rows, labelCounts: [rows / 2, rows / 2] }, 'best').values.mode).toBe('head');
    }
    expect(recipeFor({ ...sst2, trainRows: 865, labelCounts: [433, 432] }, 'balanced').values.mode).toBe('full');
    // many labels want more steps (2,800): Banking77's 9,003 rows fine-tune, and 2,218 (32 per label) do, at half the
    // steps; 1,109 (16 per label) do not
    expect(recipeFor(banking77, 'balanced').values.mode).toBe('full');
    expect(recipeFor({ ...banking77, trainRows: 2218 }, 'balanced').values.mode).toBe('full');
    expect(recipeFor({ ...banking77, trainRows: 1109 }, 'balanced').values.mode).toBe('head');
    // measured for USE-Lite's sentence embedding; a BERT fine-tunes on any size
    expect(recipeFor({ arch: 'bert', hiddenSize: 128, trainRows: 100, labelCounts: [50, 50] }, 'balanced').values.mode).toBe('full');
    // an explicit mode is kept
    expect(recipeFor({ ...sst2, trainRows: 100, labelCounts: [50, 50] }, 'balanced', 'full').values.mode).toBe('full');
    expect(recipeFor({ ...sst2, trainRows: 100, labelCounts: [50, 50] }, 'balanced', 'lora').values.mode).toBe('lora');
  });

  it('small data, ≤ 8 labels: Balanced and Best first tune the encoder on 20 rounds of pairs (SetFit), Quick does not', () => {
    const few = (rows: number, extra = {}) => ({ ...sst2, trainRows: rows, labelCounts: [rows / 2, rows / 2], ...extra });
    for (const budget of ['balanced', 'best'] as const) {
      const r = recipeFor(few(32), budget);
      expect(r.values.contrastiveRounds).toBe(20);
      expect(r.why[1]).toMatch(/^contrastive rounds 20: before the head trains, the encoder is tuned on pairs/);
      // a head-only mode picked by hand is the head alone, as Quick
      expect(recipeFor(few(32), budget, 'head').values.contrastiveRounds).toBeUndefined();
    }
    expect(recipeFor(few(32), 'quick').values.contrastiveRounds).toBeUndefined();
    // up to 128 rows per label (measured: +2.5 / +0.7 / +0.1 points dev at 16 / 64 / 256); enough rows to fine-tune: no pairs
    expect(recipeFor(few(256), 'balanced').values.contrastiveRounds).toBe(20);
    expect(recipeFor(few(258), 'balanced').values.contrastiveRounds).toBeUndefined();
    expect(recipeFor(few(258), 'balanced').values.mode).toBe('head');
    expect(recipeFor(few(1800), 'balanced').values.contrastiveRounds).toBeUndefined();
    // many labels (Banking77: under the head alone on held-out rows); pairs need one label per row; a BERT fine-tunes anyway
    expect(recipeFor({ ...banking77, trainRows: 1232 }, 'balanced').values.contrastiveRounds).toBeUndefined();
    expect(recipeFor({ ...sst2, trainRows: 96, labelCounts: [32, 32, 32] }, 'balanced').values.contrastiveRounds).toBe(20);
    expect(recipeFor(few(32, { task: 'multilabel' }), 'balanced').values.contrastiveRounds).toBeUndefined();
    expect(recipeFor(few(32, { task: 'regression' }), 'balanced').values.contrastiveRounds).toBeUndefined();
    expect(recipeFor(few(32, { arch: 'bert', hiddenSize: 128 }), 'balanced').values.contrastiveRounds).toBeUndefined();
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
