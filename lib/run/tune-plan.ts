// The tune's plan (lib/run/tune.ts runs it): the candidates around the recipe, the rungs of successive halving with
// continuation, what a plan costs in epochs and seconds, and the largest plan that fits a time budget. Pure
// arithmetic: the CLI and the studio's worker plan with the same functions.
import { UserError } from '../errors';
import { mulberry32 } from '../rng';
import type { RunConfig } from './config';

export interface TuneCandidate {
  id: number;
  config: RunConfig;
  /** what differs from the recipe, in words ("the recipe" for candidate 0) */
  changes: string;
}

export interface TuneRung {
  /** the trials' length in epochs; where the recipe stops part-way through its one epoch (big data), the share of its
   *  steps (0.25, 0.5, 1) */
  epochs: number;
  trials: number;
  /** big data: the trials stop after this many steps */
  steps?: number;
}

export interface TrialResult {
  candidate: number;
  rung: number;
  epochs: number;
  /** big data: the steps the trial took (part of one epoch) */
  steps?: number;
  /** the validation metric of the weights the trial ended with (its best epoch) */
  score: number;
  scalars: Record<string, number>;
  seconds: number;
}

const LR_FACTORS = [0.25, 0.5, 2, 4];
const HEAD_MULTIPLIERS = [1, 5, 25];
const EMA = [0, 0.995];

/** The candidates around the recipe: the recipe first, then up to n − 1 distinct variations (seeded). */
export function tuneCandidates(c: RunConfig, n: number, seed: number): TuneCandidate[] {
  const heads = c.mode === 'head' ? [c.headLrMultiplier] : [...new Set([c.headLrMultiplier, ...HEAD_MULTIPLIERS])];
  const emas = [...new Set([c.emaDecay, ...EMA])];
  const pool: { lr: number; head: number; ema: number }[] = [];
  for (const lr of [1, ...LR_FACTORS]) for (const head of heads) for (const ema of emas) pool.push({ lr, head, ema });
  const rest = pool.filter((v) => !(v.lr === 1 && v.head === c.headLrMultiplier && v.ema === c.emaDecay));
  const r = mulberry32(seed);
  const out: TuneCandidate[] = [{ id: 0, config: c, changes: 'the recipe' }];
  while (out.length < n && rest.length) {
    const v = rest.splice(Math.floor(r() * rest.length), 1)[0];
    const changes = [
      v.lr !== 1 ? `learning rate × ${v.lr}` : '',
      v.head !== c.headLrMultiplier ? `head × ${v.head}` : '',
      v.ema !== c.emaDecay ? (v.ema ? `weight average ${v.ema}` : 'no weight average') : '',
    ].filter(Boolean);
    const config = { ...c, learningRate: c.learningRate * v.lr, headLrMultiplier: v.head, emaDecay: v.ema, preset: undefined };
    out.push({ id: out.length, config, changes: changes.join(', ') });
  }
  return out;
}

/** Rungs for `n` candidates over a full length of `epochs`: a quarter, then half (the best third), then full for the
 *  best one, beside the recipe where `compare` (the gain measured at the full length). Each rung continues its trials
 *  from where the rung before left them (one run per candidate, on the full length's schedule). A recipe that stops
 *  after `maxSteps` (part of one epoch) is divided by its steps instead. */
export function tuneRungs(n: number, epochs: number, maxSteps?: number, compare = true): TuneRung[] {
  const last = compare ? Math.min(2, n) : 1;
  if (maxSteps) {
    const rungs: TuneRung[] = [{ epochs: 0.25, steps: Math.max(1, Math.round(maxSteps / 4)), trials: n }];
    if (n > 3) rungs.push({ epochs: 0.5, steps: Math.max(1, Math.round(maxSteps / 2)), trials: Math.ceil(n / 3) });
    rungs.push({ epochs: 1, steps: maxSteps, trials: last });
    return rungs;
  }
  const e0 = Math.max(1, Math.floor(epochs / 4));
  if (e0 >= epochs) return [{ epochs, trials: n }]; // one epoch: every candidate runs the whole length
  const e1 = Math.max(e0 + 1, Math.round(epochs / 2));
  const rungs: TuneRung[] = [{ epochs: e0, trials: n }];
  if (e1 < epochs && n > 3) rungs.push({ epochs: e1, trials: Math.ceil(n / 3) });
  rungs.push({ epochs, trials: last });
  return rungs;
}

/** A plan's cost in epochs (of the full length's epoch time), at most: each rung's trials continue from the rung
 *  before, and the recipe, where it is compared at the full length, from the first rung. */
export function planEpochs(rungs: TuneRung[], compare: boolean): number {
  let cost = 0;
  rungs.forEach((r, i) => {
    const from = i ? rungs[i - 1].epochs : 0;
    const continuing = i === rungs.length - 1 && compare && i > 0 ? r.trials - 1 : r.trials;
    cost += continuing * (r.epochs - from);
  });
  if (compare && rungs.length > 1 && rungs.at(-1)!.trials > 1) cost += rungs.at(-1)!.epochs - rungs[0].epochs;
  return cost;
}

export interface TunePlan {
  candidates: TuneCandidate[];
  rungs: TuneRung[];
  /** the recipe is trained to the full length beside the winner, and the gain measured there (else at the first
   *  rung, where every candidate ran the same length) */
  compare: boolean;
  onceSec: number;
  /** what each trial costs besides its epochs (preparing the model and the data), measured by the caller */
  trialSec: number;
}

/** The epochs finished trials added to the plan's work: each trial its rung's length minus where its candidate's run
 *  stood before it (the unit of `planEpochs`), so the tune's progress and time left follow from them. */
export function epochsDone(trials: Pick<TrialResult, 'candidate' | 'epochs'>[]): number {
  const reached = new Map<number, number>();
  let done = 0;
  for (const t of trials) {
    done += t.epochs - (reached.get(t.candidate) ?? 0);
    reached.set(t.candidate, t.epochs);
  }
  return done;
}

/** Planned seconds of a plan: its epochs at `epochSec`, each trial's start, and the work done once for all trials. */
export const plannedSeconds = (p: Pick<TunePlan, 'rungs' | 'compare' | 'onceSec' | 'trialSec'>, epochSec: number): number =>
  planEpochs(p.rungs, p.compare) * epochSec + p.rungs.reduce((n, r) => n + r.trials, 0) * p.trialSec + p.onceSec;

/** The largest plan (3 to 27 candidates) whose epochs, plus `onceSec` of work done once for all trials (the
 *  contrastive pairs phase) and `trialSec` for each trial's start, fit the budget: with the recipe trained to the full
 *  length beside the winner where that fits, else without (the gain then measured at the first rung); a budget below
 *  the smallest plan is refused. */
export function planTune(c: RunConfig, budgetSec: number, epochSec: number, seed: number, onceSec = 0, trialSec = 0): TunePlan {
  for (const compare of [true, false]) {
    let best: TunePlan | null = null;
    for (let n = 3; n <= 27; n++) {
      const rungs = tuneRungs(n, c.epochs, c.maxSteps, compare);
      if (plannedSeconds({ rungs, compare, onceSec, trialSec }, epochSec) > budgetSec) break;
      const candidates = tuneCandidates(c, n, seed);
      if (candidates.length < n) break;
      best = { candidates, rungs, compare, onceSec, trialSec };
    }
    if (best) return best;
  }
  const least = { rungs: tuneRungs(3, c.epochs, c.maxSteps, false), compare: false, onceSec, trialSec };
  const need = Math.ceil(plannedSeconds(least, epochSec) / 60);
  const unit = c.maxSteps ? `its ${c.maxSteps} steps take` : 'one epoch takes';
  throw new UserError(
    `a ${Math.round(budgetSec / 60)}-minute budget is too short to tune this run (${unit} about ${Math.round(epochSec)} s)`,
    { option: 'budget' },
    `give at least ${need} minutes, or fewer ${c.maxSteps ? 'steps' : 'epochs'}`,
  );
}
