// A run's metric records as the studio stores them (one per optimizer step, one per evaluation; the Runs screen charts
// them) and which evaluation is a run's best, from the engine's training events. The studio's own runs
// (lib/session/runs.ts) and a `finetune train` folder packed as a project bundle (cli/export/bundle.ts, from its
// metrics.jsonl) both go through here, so the two store the same records.
import type { TrainEvent } from '../train/events';
import type { EvalPoint, StepPoint } from './types';

type StepEvent = Extract<TrainEvent, { type: 'step' }>;
type EvalEvent = Extract<TrainEvent, { type: 'eval' }>;
type DoneEvent = Extract<TrainEvent, { type: 'done' }>;

export type StepRecord = { kind: 'step' } & StepPoint;
export type EvalRecord = { kind: 'eval' } & EvalPoint;
export type MetricRecord = StepRecord | EvalRecord;

/** An evaluation as the charts take it: every scalar, the 1-based epoch, and NaN for the headline metrics it lacks. */
export function evalPoint(step: number, epoch: number, scalars: Record<string, number>): EvalPoint {
  return {
    ...scalars,
    step,
    epoch: epoch + 1,
    loss: scalars.loss ?? NaN,
    accuracy: scalars.accuracy ?? NaN,
    macroF1: scalars.macroF1 ?? NaN,
  };
}

/** The stored record of a step or an evaluation event; other events leave none. */
export function metricRecordOf(ev: StepEvent): StepRecord;
export function metricRecordOf(ev: EvalEvent): EvalRecord;
export function metricRecordOf(ev: TrainEvent): MetricRecord | null;
export function metricRecordOf(ev: TrainEvent): MetricRecord | null {
  if (ev.type === 'step') return { kind: 'step', step: ev.step, epoch: ev.epochProgress, loss: ev.loss, lr: ev.lr, gradNorm: ev.gradNorm };
  // (a cast: EvalPoint's index signature holds numbers, the kind beside them is a string)
  if (ev.type === 'eval') return { kind: 'eval', ...evalPoint(ev.step, ev.epoch, ev.result.scalars) } as EvalRecord;
  return null;
}

/** The validation score a run is ranked and charted by: entity-level F1 where the evaluations have one (NER: the
 *  per-tag macro-F1 beside it counts every "O" word), else macro-F1. */
export type HeadlineMetric = 'entityF1' | 'macroF1';

export function headlineMetric(e: Partial<EvalPoint> | undefined): HeadlineMetric {
  return e && Number.isFinite(e.entityF1) ? 'entityF1' : 'macroF1';
}

/** The headline score of an evaluation (NaN where it has none, e.g. regression). */
export function headlineScore(e: Partial<EvalPoint> | undefined): number {
  return e?.[headlineMetric(e)] ?? NaN;
}

/** Whether `e` replaces `best` as the run's best evaluation: a higher headline score (entity F1 for NER, else
 *  macro-F1), or without one a lower loss. */
export function isBetterEval(e: EvalPoint, best: EvalPoint | undefined): boolean {
  if (!best) return true;
  const score = headlineScore(e);
  return score > headlineScore(best) || (Number.isNaN(score) && e.loss < best.loss);
}

/** The evaluation a finished run reports (the Runs table, the best run): that of the weights it keeps. `best` (the best
 *  evaluation) where its weights were restored or were the last anyway; the last weights' where the run kept those
 *  although an earlier evaluation scored higher (under 50 validation rows a run does not select). */
export function keptEval(done: DoneEvent, evals: EvalPoint[], best: EvalPoint | undefined): EvalPoint | undefined {
  if (!done.final || !done.best || done.restoredBest || done.best.step === done.step) return best;
  const last = evals.at(-1);
  return last?.step === done.step ? last : evalPoint(done.step, done.epoch, done.final.scalars);
}
