// "Tune for me": a budget-aware search around the model's recipe on the validation split only. Candidates vary the
// learning rate, the head's learning-rate multiplier and the weight average (the recipe itself is candidate 0);
// successive halving trains all of them for a short run, the best third for a longer one, and the best of those plus
// the recipe for the full number of epochs (each run keeps its best epoch on validation, so the epochs are searched
// too). The plan is fitted to the time budget from a measured epoch time. The last rung's winner is the final model,
// and the gain is the winner's validation score minus the recipe's at the same length. Head-only trials share one
// set of encoder features. The CLI (`finetune tune`) and the studio drive the same generator.
import { UserError } from '../errors';
import type { Encoder, TaskModel, TextTokenizer } from '../models/types';
import { mulberry32 } from '../rng';
import { metricMode } from '../train/config';
import type { EvalResult } from '../train/events';
import type { RunConfig } from './config';
export { rungLength } from './duration';
import { defaultMetric } from './engine-config';
import {
  prepareRun,
  trainRun,
  type FeatureMemo,
  type PairMemo,
  type PreparedRun,
  type RunData,
  type RunEvent,
  type RunPorts,
} from './train-run';

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

export type TuneEvent =
  | { type: 'tune-plan'; candidates: TuneCandidate[]; rungs: TuneRung[]; metric: string; epochSec: number; plannedSec: number }
  | { type: 'trial-start'; candidate: number; rung: number; epochs: number }
  | { type: 'trial-event'; candidate: number; rung: number; event: RunEvent }
  | { type: 'trial-done'; result: TrialResult }
  | {
      type: 'tune-done';
      trials: TrialResult[];
      metric: string;
      winner: TuneCandidate | null;
      winnerScore: number | null;
      /** the recipe's score at the full length (null when it did not get that far: a stopped tune) */
      recipeScore: number | null;
      /** the final model (the winner trained for the full length); the caller owns and disposes it */
      model: TaskModel | null;
      /** the winner's last validation report, and the encoded data it trained on (for run.json and the card) */
      final: EvalResult | null;
      data: PreparedRun['data'] | null;
      maxLength: number;
      aborted: boolean;
    };

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

/** Rungs for `n` candidates over a full length of `epochs`: a quarter, then half (the best third), then full. A recipe
 *  that stops after `maxSteps` (part of one epoch) is divided by its steps instead. */
export function tuneRungs(n: number, epochs: number, maxSteps?: number): TuneRung[] {
  if (maxSteps) {
    const rungs: TuneRung[] = [{ epochs: 0.25, steps: Math.max(1, Math.round(maxSteps / 4)), trials: n }];
    if (n > 3) rungs.push({ epochs: 0.5, steps: Math.max(1, Math.round(maxSteps / 2)), trials: Math.ceil(n / 3) });
    rungs.push({ epochs: 1, steps: maxSteps, trials: Math.min(2, n) });
    return rungs;
  }
  const e0 = Math.max(1, Math.round(epochs / 4));
  const e1 = Math.max(e0 + 1, Math.round(epochs / 2));
  const rungs: TuneRung[] = [{ epochs: e0, trials: n }];
  if (e1 < epochs && n > 3) rungs.push({ epochs: e1, trials: Math.ceil(n / 3) });
  rungs.push({ epochs, trials: Math.min(2, n) }); // the best so far, and the recipe beside it
  return rungs;
}

const costOf = (rungs: TuneRung[]) => rungs.reduce((s, r) => s + r.epochs * r.trials, 0);

/** The largest plan (3 to 27 candidates) whose epochs, plus `onceSec` of work done once for all trials (the
 *  contrastive pairs phase), fit the budget; a budget below the smallest plan is refused. */
export function planTune(
  c: RunConfig,
  budgetSec: number,
  epochSec: number,
  seed: number,
  onceSec = 0,
): { candidates: TuneCandidate[]; rungs: TuneRung[]; onceSec: number } {
  let best: { candidates: TuneCandidate[]; rungs: TuneRung[]; onceSec: number } | null = null;
  for (let n = 3; n <= 27; n++) {
    const rungs = tuneRungs(n, c.epochs, c.maxSteps);
    if (costOf(rungs) * epochSec + onceSec > budgetSec) break;
    const candidates = tuneCandidates(c, n, seed);
    if (candidates.length < n) break;
    best = { candidates, rungs, onceSec };
  }
  if (!best) {
    const need = Math.ceil((costOf(tuneRungs(3, c.epochs, c.maxSteps)) * epochSec + onceSec) / 60);
    const unit = c.maxSteps ? `its ${c.maxSteps} steps take` : 'one epoch takes';
    throw new UserError(
      `a ${Math.round(budgetSec / 60)}-minute budget is too short to tune this run (${unit} about ${Math.round(epochSec)} s)`,
      { option: 'budget' },
      `give at least ${need} minutes, or fewer ${c.maxSteps ? 'steps' : 'epochs'}`,
    );
  }
  return best;
}

/** A trial as the search sees it: the weights it ended with, scored on validation (null: it was stopped). */
export interface TrialOutcome {
  scalars: Record<string, number>;
  seconds: number;
}

/** Runs one trial; it may yield the run's events on the way (the CLI shows its progress from them). */
export type TrialRunner = (candidate: TuneCandidate, rung: number, config: RunConfig) => AsyncGenerator<RunEvent, TrialOutcome | null>;

/**
 * Successive halving over `plan` with `runTrial` doing each trial: every candidate on the first rung, the best of each
 * rung on the next, and on the last the best one beside the recipe (candidate 0) so the gain is measured. Trials run
 * with early stopping off, so every trial of a rung has the same length. Stops when a trial is stopped.
 */
export async function* halving(
  plan: { candidates: TuneCandidate[]; rungs: TuneRung[]; epochSec: number; onceSec?: number },
  metric: string,
  runTrial: TrialRunner,
): AsyncGenerator<Exclude<TuneEvent, { type: 'tune-done' }>, HalvingResult> {
  const { candidates, rungs } = plan;
  const better = (a: number, b: number) => (metricMode(metric) === 'max' ? a > b : a < b);
  yield {
    type: 'tune-plan',
    candidates,
    rungs,
    metric,
    epochSec: plan.epochSec,
    plannedSec: costOf(rungs) * plan.epochSec + (plan.onceSec ?? 0),
  };
  const trials: TrialResult[] = [];
  let alive = candidates.map((k) => k.id);
  let winner: TrialResult | null = null;
  let recipeScore: number | null = null;
  for (const [r, rung] of rungs.entries()) {
    const last = r === rungs.length - 1;
    for (const id of last ? [...new Set([alive[0], 0])] : alive) {
      const length = rung.steps ? { maxSteps: rung.steps } : { epochs: rung.epochs };
      const config = { ...candidates[id].config, ...length, earlyStoppingPatience: 0 };
      yield { type: 'trial-start', candidate: id, rung: r, epochs: rung.epochs };
      const gen = runTrial(candidates[id], r, config);
      let step = await gen.next();
      while (!step.done) {
        yield { type: 'trial-event', candidate: id, rung: r, event: step.value };
        step = await gen.next();
      }
      if (!step.value) return { trials, winner, recipeScore, aborted: true };
      const result = {
        candidate: id,
        rung: r,
        epochs: rung.epochs,
        ...(rung.steps ? { steps: rung.steps } : {}),
        score: step.value.scalars[metric] ?? NaN,
        ...step.value,
      };
      trials.push(result);
      yield { type: 'trial-done', result };
      if (last && id === 0) recipeScore = result.score;
      if (last && Number.isFinite(result.score) && (!winner || better(result.score, winner.score))) winner = result;
    }
    // the next rung takes the best of this one (NaN scores last; ties: the earlier candidate)
    const scored = trials.filter((t) => t.rung === r && Number.isFinite(t.score));
    scored.sort((a, b) => (better(a.score, b.score) ? -1 : better(b.score, a.score) ? 1 : a.candidate - b.candidate));
    alive = scored.map((t) => t.candidate).slice(0, rungs[r + 1]?.trials ?? 1);
    if (!alive.length) break;
  }
  return { trials, winner, recipeScore, aborted: false };
}

export interface HalvingResult {
  trials: TrialResult[];
  /** the best trial of the last rung */
  winner: TrialResult | null;
  recipeScore: number | null;
  aborted: boolean;
}

export interface TunePorts extends Pick<RunPorts, 'signal' | 'threads' | 'classWeights'> {
  /** a fresh copy of the pre-trained model for each trial */
  open: () => Promise<{ encoder: Encoder; tokenizer: TextTokenizer }>;
}

/** The search in this thread (the CLI): each trial trains a fresh model; the last rung's models are kept until the
 *  winner is known, which is the final model. Every trial is scored on `data.validation` only. */
export async function* tuneRun(
  c: RunConfig,
  data: RunData,
  plan: { candidates: TuneCandidate[]; rungs: TuneRung[]; epochSec: number },
  ports: TunePorts,
): AsyncGenerator<TuneEvent> {
  const metric = c.metric ?? defaultMetric(data.task === 'token-classification' ? 'token-classification' : c.task);
  const lastRung = plan.rungs.length - 1;
  // head-only trials read one frozen encoder: encode the data once and share the features
  let encoded: PreparedRun['data'] | null = null;
  const featureMemo: FeatureMemo | undefined = c.mode === 'head' ? new Map() : undefined;
  // ... and, with contrastive rounds, one encoder tuned on pairs (the phase has its own rate, the same for every trial)
  const pairMemo: PairMemo | undefined = c.mode === 'head' ? new Map() : undefined;
  const kept = new Map<number, { model: TaskModel; maxLength: number; report: EvalResult }>();
  async function* trial(k: TuneCandidate, rung: number, cfg: RunConfig): AsyncGenerator<RunEvent, TrialOutcome | null> {
    if (ports.signal?.aborted) return null;
    const p = prepareRun(cfg, data, await ports.open());
    if (encoded) p.data = encoded;
    else encoded = p.data;
    const t0 = performance.now();
    let done: Extract<RunEvent, { type: 'done' }> | null = null;
    try {
      for await (const ev of trainRun(cfg, p, { ...ports, runId: `tune-${k.id}-${rung}`, featureMemo, pairMemo })) {
        yield ev;
        if (ev.type === 'done') done = ev;
        if (ev.type === 'error') {
          const e = ev.error;
          throw e.kind === 'user' ? new UserError(e.message, e.where, e.fix) : new Error(e.message);
        }
      }
      if (!done?.final || done.reason === 'aborted') return null;
      if (rung === lastRung) kept.set(k.id, { model: p.model, maxLength: p.maxLength, report: done.final });
      return { scalars: done.final.scalars, seconds: (performance.now() - t0) / 1000 };
    } finally {
      if (!kept.has(k.id) || rung !== lastRung) p.model.dispose();
    }
  }
  let result: HalvingResult = { trials: [], winner: null, recipeScore: null, aborted: true };
  try {
    result = yield* halving(plan, metric, trial);
  } finally {
    for (const [id, k] of kept) if (id !== result.winner?.candidate || result.aborted) k.model.dispose();
  }
  const final = result.winner && !result.aborted ? kept.get(result.winner.candidate) : undefined;
  yield {
    type: 'tune-done',
    trials: result.trials,
    metric,
    winner: final && result.winner ? plan.candidates[result.winner.candidate] : null,
    winnerScore: result.winner?.score ?? null,
    recipeScore: result.recipeScore,
    model: final?.model ?? null,
    final: final?.report ?? null,
    data: encoded,
    maxLength: final?.maxLength ?? c.maxLength,
    aborted: result.aborted || Boolean(ports.signal?.aborted),
  };
}
