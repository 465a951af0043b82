// "Tune for me": a budget-aware search around the model's recipe on the validation split only. Candidates vary the
// learning rate, the head's learning-rate multiplier and the weight average (the recipe itself is candidate 0).
// Successive halving with continuation: each candidate is one run on the full length's schedule, stopped at the end of
// each rung it reaches (`stopAfter`) and continued from that checkpoint on the next; all candidates run a quarter of
// the length, the best third go on to half, the best one to the end (each trial keeps its best epoch on validation,
// so the epochs are searched too). Where the budget allows, the recipe goes on to the end beside it and the gain is
// measured there; else at the first rung, where every candidate ran the same length. The plan is fitted to the time
// budget from a measured epoch time. Head-only trials share one set of encoder features. The CLI (`finetune tune`) and
// the studio drive the same generator.
import { UserError } from '../errors';
import type { Encoder, TaskModel, TextTokenizer } from '../models/types';
import { mulberry32 } from '../rng';
import { metricMode } from '../train/config';
import type { EvalResult } from '../train/events';
import type { CheckpointStore } from '../store/types';
import { lastCheckpoint } from './fingerprint';
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
  | {
      type: 'tune-plan';
      candidates: TuneCandidate[];
      rungs: TuneRung[];
      /** the recipe is trained to the full length beside the winner */
      compare: boolean;
      metric: string;
      epochSec: number;
      /** the plan's work in epochs of the full length's epoch time (`planEpochs`) */
      plannedEpochs: number;
      plannedSec: number;
    }
  | { type: 'trial-start'; candidate: number; rung: number; epochs: number }
  | { type: 'trial-event'; candidate: number; rung: number; event: RunEvent }
  | { type: 'trial-done'; result: TrialResult }
  | {
      type: 'tune-done';
      trials: TrialResult[];
      metric: string;
      winner: TuneCandidate | null;
      winnerScore: number | null;
      /** the recipe's score at the full length (null when it did not get that far: a plan without the comparison, a
       *  stopped tune) */
      recipeScore: number | null;
      /** the winner against the recipe at the same length (the full one, or the first rung) */
      comparison: TuneComparison | null;
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

/** A trial as the search sees it: the weights it ended with, scored on validation (null: it was stopped). */
export interface TrialOutcome {
  scalars: Record<string, number>;
  seconds: number;
}

/** Runs one trial: the candidate's run from where its last trial stopped (from the start on the first rung) to
 *  `config.stopAfter`, on the full length's schedule; it may yield the run's events on the way (the CLI shows its
 *  progress from them). */
export type TrialRunner = (candidate: TuneCandidate, rung: number, config: RunConfig) => AsyncGenerator<RunEvent, TrialOutcome | null>;

/** What the search compared the winner with the recipe at: the full length (the recipe trained beside it), or the
 *  first rung, where every candidate ran the same length. */
export interface TuneComparison {
  rung: number;
  epochs: number;
  steps?: number;
  winnerScore: number;
  recipeScore: number;
}

export interface HalvingResult {
  trials: TrialResult[];
  /** the best trial of the last rung */
  winner: TrialResult | null;
  /** the recipe's score at the full length (null where it was not trained that far) */
  recipeScore: number | null;
  comparison: TuneComparison | null;
  aborted: boolean;
}

/**
 * Successive halving over `plan` with `runTrial` doing each trial: every candidate on the first rung, the best of each
 * rung going on from where it stopped on the next, and on the last the best one (beside the recipe where the plan
 * compares at the full length). Trials run with early stopping off, so every trial of a rung has the same length. A
 * candidate that can no longer reach the next rung is handed to `drop` as soon as that is certain (its saved state can
 * go). Stops when a trial is stopped.
 */
export async function* halving(
  plan: TunePlan & { epochSec: number },
  metric: string,
  runTrial: TrialRunner,
  drop: (candidate: number) => void | Promise<void> = () => undefined,
): AsyncGenerator<Exclude<TuneEvent, { type: 'tune-done' }>, HalvingResult> {
  const { candidates, rungs, compare } = plan;
  const better = (a: number, b: number) => (metricMode(metric) === 'max' ? a > b : a < b);
  // NaN scores last; ties: the earlier candidate
  const ranked = (list: TrialResult[]) =>
    list
      .filter((t) => Number.isFinite(t.score))
      .sort((a, b) => (better(a.score, b.score) ? -1 : better(b.score, a.score) ? 1 : a.candidate - b.candidate))
      .concat(list.filter((t) => !Number.isFinite(t.score)));
  const plannedSec = plannedSeconds(plan, plan.epochSec);
  const plannedEpochs = planEpochs(rungs, compare);
  yield { type: 'tune-plan', candidates, rungs, compare, metric, epochSec: plan.epochSec, plannedEpochs, plannedSec };
  const trials: TrialResult[] = [];
  const dropped = new Set<number>();
  const dropOut = async (ids: number[]) => {
    for (const id of ids) {
      if (dropped.has(id) || (compare && id === 0)) continue;
      dropped.add(id);
      await drop(id);
    }
  };
  let alive = candidates.map((k) => k.id);
  let winner: TrialResult | null = null;
  for (const [r, rung] of rungs.entries()) {
    const last = r === rungs.length - 1;
    const ids = last && r > 0 ? [...new Set([alive[0], ...(compare ? [0] : [])])] : alive;
    // how many of this rung's best go on (the recipe, when compared at the end, goes on anyway)
    const goOn = last ? 0 : r + 1 === rungs.length - 1 ? 1 : rungs[r + 1].trials;
    for (const id of ids) {
      const stopAfter = rung.steps ? { steps: rung.steps } : { epochs: rung.epochs };
      const config: RunConfig = { ...candidates[id].config, stopAfter, earlyStoppingPatience: 0 };
      yield { type: 'trial-start', candidate: id, rung: r, epochs: rung.epochs };
      const gen = runTrial(candidates[id], r, config);
      let step = await gen.next();
      while (!step.done) {
        yield { type: 'trial-event', candidate: id, rung: r, event: step.value };
        step = await gen.next();
      }
      if (!step.value) return { trials, winner, recipeScore: null, comparison: null, aborted: true };
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
      if (last && Number.isFinite(result.score) && (!winner || better(result.score, winner.score))) winner = result;
      // a candidate with `goOn` finished trials ahead of it cannot go on
      if (!last)
        await dropOut(
          ranked(trials.filter((t) => t.rung === r))
            .slice(goOn)
            .map((t) => t.candidate),
        );
    }
    alive = ranked(trials.filter((t) => t.rung === r))
      .map((t) => t.candidate)
      .slice(0, Math.max(1, goOn));
  }
  const at = (rung: number, id: number) => trials.find((t) => t.rung === rung && t.candidate === id);
  const lastRung = rungs.length - 1;
  const recipeScore = compare || lastRung === 0 ? (at(lastRung, 0)?.score ?? null) : null;
  const r0 = recipeScore !== null ? lastRung : 0;
  const w = winner ? at(r0, winner.candidate) : undefined;
  const base = at(r0, 0);
  const comparison =
    w && base
      ? {
          rung: r0,
          epochs: rungs[r0].epochs,
          ...(rungs[r0].steps ? { steps: rungs[r0].steps } : {}),
          winnerScore: w.score,
          recipeScore: base.score,
        }
      : null;
  return { trials, winner, recipeScore, comparison, aborted: false };
}

export interface TunePorts extends Pick<RunPorts, 'signal' | 'threads' | 'classWeights'> {
  /** a fresh copy of the pre-trained model for each trial */
  open: () => Promise<{ encoder: Encoder; tokenizer: TextTokenizer }>;
  /** where each candidate's run keeps its checkpoints between rungs (run id `trial-<candidate>`); a candidate that
   *  cannot go on has its checkpoints deleted */
  store: CheckpointStore;
}

/** The search in this thread (the CLI): each candidate is one run, continued from its last checkpoint on each rung it
 *  reaches; the last rung's models are kept until the winner is known, which is the final model. Every trial is scored
 *  on `data.validation` only. */
export async function* tuneRun(
  c: RunConfig,
  data: RunData,
  plan: TunePlan & { epochSec: number },
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
  const runIdOf = (id: number) => `trial-${id}`;
  async function* trial(k: TuneCandidate, rung: number, cfg: RunConfig): AsyncGenerator<RunEvent, TrialOutcome | null> {
    if (ports.signal?.aborted) return null;
    const runId = runIdOf(k.id);
    const from = (await lastCheckpoint(ports.store, runId)) ?? undefined;
    const p = prepareRun(cfg, data, await ports.open());
    if (encoded) p.data = encoded;
    else encoded = p.data;
    const t0 = performance.now();
    let done: Extract<RunEvent, { type: 'done' }> | null = null;
    try {
      for await (const ev of trainRun(cfg, p, { ...ports, runId, resumeFrom: from, featureMemo, pairMemo })) {
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
  const drop = async (id: number) => {
    for (const m of await ports.store.listCheckpoints(runIdOf(id))) await ports.store.deleteCheckpoint(runIdOf(id), m.id);
  };
  let result: HalvingResult = { trials: [], winner: null, recipeScore: null, comparison: null, aborted: true };
  try {
    result = yield* halving(plan, metric, trial, drop);
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
    comparison: result.comparison,
    model: final?.model ?? null,
    final: final?.report ?? null,
    data: encoded,
    maxLength: final?.maxLength ?? c.maxLength,
    aborted: result.aborted || Boolean(ports.signal?.aborted),
  };
}
