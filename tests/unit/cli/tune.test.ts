// finetune tune: candidates around the recipe (the recipe first, distinct, seeded), rungs of successive halving fitted
// to the budget (a budget too short is refused with the minimum), and a real tune through the CLI that scores every
// trial on the validation split, trains the winner for the full length beside the recipe, and writes a model that
// predict loads, with tune.json holding every trial.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '@/lib/run/config';
import { comparisonText, formatDuration, planParts } from '@/lib/run/duration';
import {
  epochsDone,
  halving,
  planEpochs,
  plannedSeconds,
  planTune,
  rungLength,
  tuneCandidates,
  tuneRungs,
  type TrialResult,
  type TuneEvent,
} from '@/lib/run/tune';
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
      expect.objectContaining({ fix: 'give at least 15 minutes, or fewer steps' }),
    );
  });

  it('says a plan\'s length in whole minutes and hours (119.6 minutes are "2 h 0 min")', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(89.4 * 60)).toBe('89 min');
    expect(formatDuration(119.6 * 60)).toBe('2 h 0 min');
    expect(formatDuration(150 * 60)).toBe('2 h 30 min');
  });

  it('says the plan and the gain in words, at the full length or after the first rung', () => {
    expect(planParts(tuneRungs(9, 8), true)).toEqual([
      '9 trials × 2 epochs',
      'the best 3 continued to 4 epochs',
      'the best one, and the recipe beside it, continued to 8 epochs',
    ]);
    expect(planParts(tuneRungs(3, 10, undefined, false), false)).toEqual([
      '3 trials × 2 epochs (where the recipe is compared with the winner: a longer budget trains it to the full length too)',
      'the best one continued to 10 epochs',
    ]);
    expect(planParts(tuneRungs(4, 1), true)).toEqual(['4 trials × 1 epoch']);
    const cmp = { epochs: 2, winnerScore: 0.88, recipeScore: 0.8707 };
    expect(comparisonText({ ...cmp, epochs: 10 }, true)).toBe('the recipe 0.8707 at the same length (+0.0093)');
    expect(comparisonText(cmp, false)).toBe(
      "after 2 epochs, where both ran, 0.8800 against the recipe's 0.8707 " +
        '(+0.0093; the budget did not train the recipe to the full length)',
    );
    expect(comparisonText({ epochs: 0.25, steps: 275, winnerScore: 0.5, recipeScore: 0.6 }, false)).toMatch(
      /^after 275 steps, .*\(-0\.1000;/,
    );
  });

  it("big data: each trial stops after its rung's steps", async () => {
    const base = { ...c, epochs: 1, maxSteps: 1100 };
    const plan = { ...planTune(base, 60 * 60, 600, 1), epochSec: 600 };
    const seen: { steps?: number; maxSteps?: number; epochs: number }[] = [];
    const gen = halving(plan, 'macroF1', async function* (k, _r, config) {
      seen.push({ steps: config.stopAfter?.steps, maxSteps: config.maxSteps, epochs: config.epochs });
      yield { type: 'status', message: `trial ${k.id}` };
      return { scalars: { macroF1: k.id }, seconds: 1 };
    });
    const trials: TrialResult[] = [];
    for (let s = await gen.next(); !s.done; s = await gen.next()) if (s.value.type === 'trial-done') trials.push(s.value.result);
    // every trial is the recipe's run (its schedule over 1,100 steps), stopped at its rung's steps
    expect(new Set(seen.map((t) => t.epochs))).toEqual(new Set([1]));
    expect(new Set(seen.map((t) => t.maxSteps))).toEqual(new Set([1100]));
    expect(seen.map((t) => t.steps)).toEqual(plan.rungs.flatMap((r) => Array(r.trials).fill(r.steps)));
    expect(rungLength(trials[0])).toBe(`${plan.rungs[0].steps} steps`);
  });

  it('continues each candidate from where its last trial stopped: a plan costs the epochs it adds', () => {
    // 9 candidates × 2 epochs, the best 3 go on to 4, the best to 8, and the recipe from 2 to 8 beside it
    expect(planEpochs(tuneRungs(9, 8), true)).toBe(9 * 2 + 3 * 2 + 4 + 6);
    expect(planEpochs(tuneRungs(9, 8, undefined, false), false)).toBe(9 * 2 + 3 * 2 + 4);
    // 10 epochs (Banking77's Balanced), 3 candidates: a quarter is 2 epochs
    expect(tuneRungs(3, 10)).toEqual([
      { epochs: 2, trials: 3 },
      { epochs: 10, trials: 2 },
    ]);
    expect(planEpochs(tuneRungs(3, 10), true)).toBe(3 * 2 + 8 + 8);
    expect(planEpochs(tuneRungs(3, 10, undefined, false), false)).toBe(3 * 2 + 8);
    // one epoch: every candidate runs the whole length, once
    expect(tuneRungs(4, 1)).toEqual([{ epochs: 1, trials: 4 }]);
    expect(planEpochs(tuneRungs(4, 1), true)).toBe(4);
  });

  it('trains the recipe to the full length beside the winner where the budget allows, else compares at the first rung', () => {
    const ten = { ...c, epochs: 10 };
    // 22 epochs with the comparison, 14 without
    expect(planTune(ten, 22 * 60, 60, 1)).toMatchObject({ compare: true });
    const tight = planTune(ten, 21 * 60, 60, 1);
    expect(tight).toMatchObject({ compare: false });
    expect(tight.rungs[0].epochs).toBe(2);
    expect(tight.rungs.at(-1)).toEqual({ epochs: 10, trials: 1 });
    expect(tight.candidates.length).toBeGreaterThanOrEqual(3);
    expect(() => planTune(ten, 13 * 60, 60, 1)).toThrow(expect.objectContaining({ fix: 'give at least 14 minutes, or fewer epochs' }));
  });

  it("each trial goes on from the candidate's last stop; one that cannot go on is dropped once that is certain", async () => {
    const ten = { ...c, epochs: 10 };
    for (const compare of [true, false]) {
      const plan = { ...planTune(ten, (compare ? 40 : 21) * 60, 60, 1), epochSec: 60 };
      expect(plan.compare).toBe(compare);
      const stops = new Map<number, number[]>();
      const log: string[] = [];
      // candidate k scores k / 10 at every length, so the last one is the best; the recipe (0) the worst
      const gen = halving(
        plan,
        'macroF1',
        async function* (k, _r, config) {
          expect(config.epochs).toBe(10); // the full length's schedule
          expect(config.earlyStoppingPatience).toBe(0);
          stops.set(k.id, [...(stops.get(k.id) ?? []), config.stopAfter!.epochs!]);
          log.push(`run ${k.id}`);
          yield { type: 'status', message: '' };
          return { scalars: { macroF1: k.id / 10 }, seconds: 1 };
        },
        (id) => void log.push(`drop ${id}`),
      );
      const events: TuneEvent[] = [];
      let r = await gen.next();
      for (; !r.done; r = await gen.next()) events.push(r.value);
      const n = plan.candidates.length;
      const top = n - 1;
      expect(stops.get(top)).toEqual(plan.rungs.map((g) => g.epochs));
      expect(stops.get(0)).toEqual(compare ? [plan.rungs[0].epochs, 10] : [plan.rungs[0].epochs]);
      expect(r.value.winner).toMatchObject({ candidate: top, epochs: 10 });
      // each candidate is dropped once, right after the trial that put enough others ahead of it; the recipe, compared
      // at the end, never is
      const drops = log.filter((l) => l.startsWith('drop')).map((l) => Number(l.slice(5)));
      expect(new Set(drops).size).toBe(drops.length);
      expect(drops).not.toContain(top);
      if (compare) expect(drops).not.toContain(0);
      else expect(drops).toContain(0);
      expect(log.indexOf('drop 1')).toBeLessThan(log.indexOf(`run ${top}`) + 2);
      if (compare) {
        expect(r.value.recipeScore).toBe(0);
        expect(r.value.comparison).toMatchObject({ rung: plan.rungs.length - 1, epochs: 10, winnerScore: top / 10, recipeScore: 0 });
      } else {
        expect(r.value.recipeScore).toBeNull();
        expect(r.value.comparison).toMatchObject({ rung: 0, epochs: 2, winnerScore: top / 10, recipeScore: 0 });
      }
      expect(events[0]).toMatchObject({ type: 'tune-plan', compare, plannedSec: plannedSeconds(plan, 60) });
      // the work done is what the plan counted: every candidate's epochs, each once
      const trials = r.value.trials;
      expect(epochsDone(trials)).toBe(planEpochs(plan.rungs, compare));
      expect(epochsDone(trials)).toBe([...stops.values()].reduce((s, list) => s + list.at(-1)!, 0));
    }
  });

  it('fits the number of candidates to the budget and refuses one too short, naming the minimum', () => {
    const small = planTune(c, 30 * 60, 60, 1);
    const large = planTune(c, 60 * 60, 60, 1);
    expect(large.candidates.length).toBeGreaterThan(small.candidates.length);
    const cost = (p: typeof small) => plannedSeconds(p, 60) - p.onceSec;
    expect(cost(small)).toBeLessThanOrEqual(30 * 60);
    // work done once for all trials (the contrastive pairs phase) counts against the budget, in the plan and the minimum
    const once = planTune(c, 60 * 60, 60, 1, 30 * 60);
    expect(once.candidates.length).toBeLessThan(large.candidates.length);
    expect(cost(once) + once.onceSec).toBeLessThanOrEqual(60 * 60);
    const minimum = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return Number(/give at least (\d+) minutes/.exec((e as { fix: string }).fix)![1]);
      }
      return 0;
    };
    expect(minimum(() => planTune(c, 60, 60, 1, 600))).toBe(minimum(() => planTune(c, 60, 60, 1)) + 10);
    // each trial's start (its model and data prepared again) counts too: short epochs, many trials
    const quick = planTune(c, 5 * 60, 0.5, 1);
    const started = planTune(c, 5 * 60, 0.5, 1, 0, 10);
    expect(started.candidates.length).toBeLessThan(quick.candidates.length);
    const trials = started.rungs.reduce((n, r) => n + r.trials, 0);
    expect(plannedSeconds(started, 0.5)).toBeCloseTo(planEpochs(started.rungs, started.compare) * 0.5 + trials * 10, 10);
    expect(plannedSeconds(started, 0.5)).toBeLessThanOrEqual(5 * 60);
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
    // the rungs after the first continue the runs they take (the recipe's too, compared at the full length)
    expect(stderr).toMatch(/rung 2: the best .*continued to \d+ epochs/);
    expect(stderr).toMatch(/winner: trial \d+/);
    // one progress line for the whole tune (its ETA the tune's), in steps of the plan's work
    const lines = [...stderr.matchAll(/^tune \d+% (\d+)\/(\d+) +ETA .*trial \d+ \(rung \d\): step \d+ of \d+$/gm)];
    expect(lines.length).toBeGreaterThan(0);
    for (const [, done, total] of lines) expect(Number(done)).toBeLessThanOrEqual(Number(total));
    expect(tune.comparedAtFullLength).toBe(true);
    // the candidates' checkpoints between rungs are gone with the tune
    expect(existsSync(join(out, 'trials'))).toBe(false);
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
