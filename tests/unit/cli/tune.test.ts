// finetune tune: candidates around the recipe (the recipe first, distinct, seeded), rungs of successive halving fitted
// to the budget (a budget too short is refused with the minimum), and a real tune through the CLI that scores every
// trial on the validation split, trains the winner for the full length beside the recipe, and writes a model that
// predict loads, with tune.json holding every trial.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '@/lib/run/config';
import { formatDuration } from '@/lib/run/duration';
import { halving, planTune, rungLength, tuneCandidates, tuneRungs, type TrialResult } from '@/lib/run/tune';
import { tinyHfDir } from '../../helpers/tiny-hf';
import { lastJson, runCli } from './run-cli';

describe('the tune plan', () => {
  const c = { ...presetConfig('balanced', 'd'), epochs: 8 };

  it('puts the recipe first and varies learning rate, head multiplier and weight average, distinct and seeded', () => {
    const a = tuneCandidates(c, 9, 1);
    expect(a[0]).toMatchObject({ id: 0, changes: 'the recipe', config: c });
    const keys = a.map((k) => `${k.config.learningRate}/${k.config.headLrMultiplier}/${k.config.emaDecay}`);
    expect(new Set(keys).size).toBe(9);
    expect(tuneCandidates(c, 9, 1)).toEqual(a);
    expect(tuneCandidates(c, 9, 2).map((k) => k.changes)).not.toEqual(a.map((k) => k.changes));
    // head-only: the head is the whole model, so its multiplier is not searched
    const head = tuneCandidates({ ...c, mode: 'head' }, 20, 1);
    expect(new Set(head.map((k) => k.config.headLrMultiplier)).size).toBe(1);
  });

  it('halves: a quarter of the epochs for all, half for the best third, the full length for the best and the recipe', () => {
    expect(tuneRungs(9, 8)).toEqual([
      { epochs: 2, trials: 9 },
      { epochs: 4, trials: 3 },
      { epochs: 8, trials: 2 },
    ]);
    expect(tuneRungs(3, 2)).toEqual([
      { epochs: 1, trials: 3 },
      { epochs: 2, trials: 2 },
    ]);
    // big data: a recipe that stops after 1,100 steps of its one epoch is divided by its steps
    expect(tuneRungs(9, 1, 1100)).toEqual([
      { epochs: 0.25, steps: 275, trials: 9 },
      { epochs: 0.5, steps: 550, trials: 3 },
      { epochs: 1, steps: 1100, trials: 2 },
    ]);
    const plan = planTune({ ...c, epochs: 1, maxSteps: 1100 }, 60 * 60, 600, 1);
    expect(plan.rungs[0]).toMatchObject({ steps: 275 });
    expect(() => planTune({ ...c, epochs: 1, maxSteps: 1100 }, 10 * 60, 600, 1)).toThrow(/its 1100 steps take about 600 s/);
    expect(() => planTune({ ...c, epochs: 1, maxSteps: 1100 }, 10 * 60, 600, 1)).toThrow(
      expect.objectContaining({ fix: 'give at least 28 minutes, or fewer steps' }),
    );
  });

  it('says a plan\'s length in whole minutes and hours (119.6 minutes are "2 h 0 min")', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(89.4 * 60)).toBe('89 min');
    expect(formatDuration(119.6 * 60)).toBe('2 h 0 min');
    expect(formatDuration(150 * 60)).toBe('2 h 30 min');
  });

  it("big data: each trial stops after its rung's steps", async () => {
    const base = { ...c, epochs: 1, maxSteps: 1100 };
    const plan = { ...planTune(base, 60 * 60, 600, 1), epochSec: 600 };
    const seen: { steps?: number; epochs: number }[] = [];
    const gen = halving(plan, 'macroF1', async function* (k, _r, config) {
      seen.push({ steps: config.maxSteps, epochs: config.epochs });
      yield { type: 'status', message: `trial ${k.id}` };
      return { scalars: { macroF1: k.id }, seconds: 1 };
    });
    const trials: TrialResult[] = [];
    for (let s = await gen.next(); !s.done; s = await gen.next()) if (s.value.type === 'trial-done') trials.push(s.value.result);
    expect(new Set(seen.map((t) => t.epochs))).toEqual(new Set([1]));
    expect(seen.map((t) => t.steps)).toEqual(plan.rungs.flatMap((r) => Array(r.trials).fill(r.steps)));
    expect(rungLength(trials[0])).toBe(`${plan.rungs[0].steps} steps`);
  });

  it('fits the number of candidates to the budget and refuses one too short, naming the minimum', () => {
    const small = planTune(c, 30 * 60, 60, 1);
    const large = planTune(c, 120 * 60, 60, 1);
    expect(large.candidates.length).toBeGreaterThan(small.candidates.length);
    const cost = (p: typeof small) => p.rungs.reduce((s, r) => s + r.epochs * r.trials, 0) * 60;
    expect(cost(small)).toBeLessThanOrEqual(30 * 60);
    // work done once for all trials (the contrastive pairs phase) counts against the budget, in the plan and the minimum
    const once = planTune(c, 120 * 60, 60, 1, 30 * 60);
    expect(once.candidates.length).toBeLessThan(large.candidates.length);
    expect(cost(once) + once.onceSec).toBeLessThanOrEqual(120 * 60);
    const minimum = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return Number(/give at least (\d+) minutes/.exec((e as { fix: string }).fix)![1]);
      }
      return 0;
    };
    expect(minimum(() => planTune(c, 60, 60, 1, 600))).toBe(minimum(() => planTune(c, 60, 60, 1)) + 10);
    expect(() => planTune(c, 60, 60, 1)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/too short/), fix: expect.stringMatching(/give at least \d+ minutes/) }),
    );
  });
});

describe('finetune tune', () => {
  const dir = mkdtempSync(join(tmpdir(), 'finetune-tune-'));
  const data = join(dir, 'data.csv');
  const out = join(dir, 'out');
  let result: Record<string, unknown>;
  let stderr = '';

  beforeAll(async () => {
    const rows = Array.from({ length: 60 }, (_, i) =>
      i % 2 ? `"a wonderful film, take ${i % 10}",positive` : `"an awful, boring movie, take ${i % 10}",negative`,
    );
    writeFileSync(data, `text,label\n${rows.join('\n')}\n`);
    const args = ['--data', data, '--val-split', '0.25', '--model', tinyHfDir('bert'), '--mode', 'full', '--epochs', '4'];
    const r = await runCli(['tune', ...args, '--batch-size', '8', '--max-length', '16', '--threads', '1', '--budget', '3', '--out', out]);
    stderr = r.stderr;
    if (r.code !== 0) throw new Error(`tune exited ${r.code}: ${r.stderr}`);
    result = lastJson(r.stdout);
  }, 300_000);

  it('scores every trial on the validation split and reports the winner and its gain over the recipe', () => {
    const tune = JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8'));
    expect(tune.metric).toBe('macroF1');
    expect(tune.candidates.length).toBeGreaterThanOrEqual(3);
    const full = tune.trials.filter((t: { epochs: number }) => t.epochs === 4);
    // the recipe runs the full length beside the winner
    expect(full.map((t: { candidate: number }) => t.candidate)).toContain(0);
    const best = Math.max(...full.map((t: { score: number }) => t.score));
    expect(tune.winnerScore).toBe(best);
    expect(tune.gain).toBeCloseTo(tune.winnerScore - tune.recipeScore, 10);
    expect(tune.gain).toBeGreaterThanOrEqual(0);
    expect(result.tune).toMatchObject({ metric: 'macroF1', winnerScore: best });
    expect(stderr).toMatch(/tuning \d+ candidates on the validation split/);
    expect(stderr).toMatch(/winner: trial \d+/);
  });

  it('writes the winner as a model that predict loads, with its run.json and card', async () => {
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    const tune = JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8'));
    expect(run.run.learningRate).toBe(tune.winnerConfig.learningRate);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('## Training data');
    const p = await runCli(['predict', '--model', out, '--text', 'a wonderful film']);
    expect(p.code, p.stderr).toBe(0);
    expect(['negative', 'positive']).toContain(lastJson(p.stdout).label);
  }, 60_000);

  it('head only with contrastive pairs: the first trial tunes the encoder, the others start from it', async () => {
    const pairsOut = join(dir, 'pairs');
    const args = ['--data', data, '--val-split', '0.25', '--model', tinyHfDir('bert'), '--preset', 'quick', '--contrastive-rounds', '1'];
    const r = await runCli(['tune', ...args, '--epochs', '3', '--max-length', '16', '--threads', '1', '--budget', '2', '--out', pairsOut]);
    expect(r.code, r.stderr).toBe(0);
    // 45 training rows, 2 labels: one round is 90 pairs (6 steps), shown once: the search's trials share the result
    expect(r.stderr.match(/tuning the encoder on 90 pairs of training rows \(SetFit, 1 round\): 6 steps/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/tuning on pairs in one thread: /);
    expect(r.stderr.match(/^pairs: step 6 of 6, loss \d\.\d{4}$/gm)).toHaveLength(1);
    const tune = JSON.parse(readFileSync(join(pairsOut, 'tune.json'), 'utf8'));
    expect(tune.trials.length).toBeGreaterThanOrEqual(3);
    const run = JSON.parse(readFileSync(join(pairsOut, 'run.json'), 'utf8'));
    expect(run.run).toMatchObject({ mode: 'head', contrastiveRounds: 1 });
  }, 300_000);

  it('refuses a budget too short for the smallest plan (exit 2, with the minimum)', async () => {
    const r = await runCli([
      'tune',
      '--data',
      data,
      '--model',
      'use-lite',
      '--mode',
      'full',
      '--epochs',
      '200',
      '--budget',
      '1',
      '--out',
      join(dir, 'x'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too short to tune .* give at least \d+ minutes/);
  }, 120_000);
});
