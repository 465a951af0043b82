import { describe, expect, it } from 'vitest';
import { recipeSettings } from '@/lib/run/config';
import { recipeFor } from '@/lib/train/recipes';
import { type RecipeFacts } from '@/lib/train/recipe-table';

// WNUT-17's training file as the CLI measures it with USE-Lite's tokenizer (lib/run/facts.ts)
const wnut: RecipeFacts = {
  arch: 'use-lite',
  task: 'token-classification',
  trainRows: 3394,
  tokenLengths: { p95: 60, max: 80 },
  modelMaxLength: 128,
};
const bert = (hiddenSize: number): RecipeFacts => ({ ...wnut, arch: 'bert', hiddenSize, modelMaxLength: 512 });

describe('NER recipes (token classification)', () => {
  it("USE-Lite's Balanced NER recipe is the one measured on WNUT-17 dev: freeze:1, lr 2e-4, head × 30, no smoothing", () => {
    const r = recipeFor(wnut, 'balanced');
    expect(r.title).toBe('USE-Lite NER · Balanced');
    expect(r.source).toMatch(/WNUT-17/);
    expect(r.values).toMatchObject({
      mode: 'freeze',
      freezeLayers: 1,
      learningRate: 2e-4,
      headLrMultiplier: 30,
      batchSize: 32,
      schedule: 'linear',
      warmupRatio: 0.06,
      labelSmoothing: 0,
      classWeights: false,
      epochs: 9,
      maxLength: 64,
      emaDecay: 0.991,
      earlyStoppingPatience: 3,
    });
    const why = r.why.join('\n');
    expect(why).toMatch(/^freeze:1: the embeddings and the bottom layer stay as pre-trained, .*40\.9–41\.0 so, 38\.9–39\.6 with every/m);
    // the run settings carry the layer count (the CLI line says --mode freeze:1)
    expect(recipeSettings(r)).toMatchObject({ mode: 'freeze', freezeLayers: 1 });
    expect(recipeSettings(recipeFor(wnut, 'balanced', 'full')).freezeLayers).toBeUndefined();
    expect(why).toMatch(/^learning rate 0\.0002, head × 30: .*WNUT-17 dev/m);
    expect(why).not.toMatch(/labels \(more than|class weights on/);
    expect(why).toMatch(/^no label smoothing: /m);
    expect(why).toMatch(/^no class weights: /m);
    expect(why).toMatch(/^9 epochs: about 1,000 steps are wanted and 3,394 training sentences make 107 steps of 32/m);
    expect(why).toMatch(/^max length 64: 95 % of training sentences have at most 60 sub-word tokens \(the longest 80\); .*windows/m);
    expect(why).toMatch(/^weight average 0\.991/m);
  });

  it('Quick trains the per-token head only at its own rate; Best keeps the longest sentence whole', () => {
    const quick = recipeFor(wnut, 'quick');
    expect(quick.values).toMatchObject({ mode: 'head', learningRate: 3e-3, labelSmoothing: 0, classWeights: false, maxLength: 64 });
    expect(quick.why.join('\n')).toMatch(/^learning rate 0\.003 for the per-token head/m);
    const best = recipeFor(wnut, 'best');
    expect(best.values).toMatchObject({ mode: 'freeze', maxLength: 96, targetSteps: 1200, epochs: 11 });
    expect(best.why.join('\n')).toMatch(/^max length 96: the longest training sentence has 80 sub-word tokens/m);
  });

  it('max length: a multiple of 32 over 95 % of the sentences, within the model and budget caps', () => {
    expect(recipeFor({ ...wnut, tokenLengths: { p95: 20, max: 30 } }, 'balanced').values.maxLength).toBe(32);
    expect(recipeFor({ ...wnut, tokenLengths: { p95: 100, max: 400 } }, 'balanced').values.maxLength).toBe(128);
    expect(recipeFor({ ...wnut, tokenLengths: { p95: 100, max: 400 } }, 'best').values.maxLength).toBe(128); // USE-Lite's limit
    expect(recipeFor({ ...bert(128), tokenLengths: { p95: 150, max: 400 } }, 'best').values.maxLength).toBe(160);
    expect(recipeFor({ ...bert(128), tokenLengths: { p95: 150, max: 200 } }, 'best').values.maxLength).toBe(224);
  });

  it('epochs scale with the number of sentences: about the same number of steps, within 2–20 epochs', () => {
    const epochs = (trainRows: number) => recipeFor({ ...wnut, trainRows }, 'balanced', 'full').values.epochs;
    expect(epochs(1000)).toBe(20); // 32 steps an epoch: the cap
    expect(epochs(2000)).toBe(16);
    expect(epochs(3394)).toBe(9);
    expect(epochs(8000)).toBe(4);
    expect(epochs(60_000)).toBe(2); // the floor
    for (let rows = 500; rows < 50_000; rows *= 2) expect(epochs(rows * 2)).toBeLessThanOrEqual(epochs(rows));
  });

  it("small data: USE-Lite's NER recipe still fine-tunes (no head-only fallback: per-token states are weak features)", () => {
    for (const trainRows of [50, 500, 1500]) {
      const r = recipeFor({ ...wnut, trainRows }, 'balanced');
      expect(r.values.mode, `${trainRows} sentences`).toBe('freeze');
      expect(r.why[0]).toMatch(/^freeze:1: .*at any data size.*on 500 sentences/);
      expect(recipeFor({ ...wnut, trainRows }, 'best').values.mode).toBe('freeze');
    }
    // the sentence-classification rule is unchanged: 500 SST-2-like rows train the head only
    const sst = { arch: 'use-lite', task: 'classification' as const, trainRows: 500, labelCounts: [250, 250] };
    expect(recipeFor(sst, 'balanced').values.mode).toBe('head');
    // 50 sentences: 2 steps an epoch, 20 epochs, too few steps for a weight average
    expect(recipeFor({ ...wnut, trainRows: 50 }, 'balanced').values).toMatchObject({ epochs: 20, emaDecay: 0 });
  });

  it('BERT-family NER recipes by size: smaller models take larger rates; all fine-tune, head × 10, no smoothing', () => {
    const lr = [128, 256, 512, 768, 1024].map((h) => recipeFor(bert(h), 'balanced').values.learningRate);
    expect(lr).toEqual([3e-4, 1e-4, 8e-5, 5e-5, 3e-5]);
    const base = recipeFor(bert(768), 'balanced');
    expect(base.title).toBe('BERT base NER · Balanced');
    expect(base.values).toMatchObject({ mode: 'full', headLrMultiplier: 10, labelSmoothing: 0, classWeights: false, maxLength: 64 });
    expect(base.why.join('\n')).toMatch(/^learning rate 0\.00005, head × 10: from the NER fine-tuning literature/m);
    // a BERT fine-tunes on any size
    expect(recipeFor({ ...bert(128), trainRows: 100 }, 'balanced').values.mode).toBe('full');
  });

  it('an explicit mode is respected: LoRA, head only at Balanced, full on small data', () => {
    const lora = recipeFor(bert(768), 'balanced', 'lora');
    expect(lora.values).toMatchObject({ mode: 'lora', loraRank: 8, loraAlpha: 16, labelSmoothing: 0, headLrMultiplier: 10 });
    expect(recipeFor(wnut, 'balanced', 'head').values).toMatchObject({ mode: 'head', learningRate: 3e-3 });
    expect(recipeFor(wnut, 'quick', 'full').values.mode).toBe('full');
    expect(recipeFor({ ...wnut, trainRows: 100 }, 'balanced', 'full').values.mode).toBe('full');
    // the mode's own reason replaces the default's
    expect(recipeFor(wnut, 'balanced', 'full').why.join('\n')).not.toMatch(/^full fine-tuning/m);
    expect(recipeFor(wnut, 'balanced', 'freeze').values).toMatchObject({ mode: 'freeze', learningRate: 2e-4, labelSmoothing: 0 });
  });

  it('label counts never turn the sentence rules on for NER (many-label rates, class weights)', () => {
    const counts = [59570, 221, 46, 140, 206, 264, 150, 548, 245, 660, 335, 142, 203];
    const r = recipeFor({ ...wnut, labelCounts: counts }, 'balanced');
    expect(r.values).toMatchObject({ learningRate: 2e-4, headLrMultiplier: 30, classWeights: false });
    expect(r.why.join('\n')).not.toMatch(/labels \(more than/);
  });
});
