// "Tune for me": a budget-aware search around the model's recipe on the validation split only. Candidates vary the
// learning rate, the head's learning-rate multiplier and the weight average (the recipe itself is candidate 0).
// Successive halving with continuation: each candidate is one run on the full length's schedule, stopped at the end of
// each rung it reaches (`stopAfter`) and continued from that checkpoint on the next; all candidates run a quarter of
// the length, the best third go on to half, the best one to the end (each trial keeps its best epoch on validation,
// so the epochs are searched too). Where the budget allows, the recipe goes on to the end beside it and the gain is
// measured there; else at the first rung, where every candidate ran the same length. The plan (lib/run/tune-plan.ts)
// is fitted to the time budget from a measured epoch time. Head-only trials share one set of encoder features. The
// CLI (`finetune tune`) and the studio drive the same generator.
import { UserError } from '../errors';
import type { Encoder, TaskModel, TextTokenizer } from '../models/types';
import { metricMode } from '../train/config';
import type { EvalResult } from '../train/events';
import type { CheckpointStore } from '../store/types';
import { lastCheckpoint } from './fingerprint';
import type { RunConfig } from './config';
export { rungLength } from './duration';
export * from './tune-plan';
import { plannedSeconds, planEpochs, type TrialResult, type TuneCandidate, type TunePlan, type TuneRung } from './tune-plan';
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
