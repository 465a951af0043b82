// Model selection inside a run: whether an evaluation is the best so far, and whether early stopping ends the run.
// The state lives in the run's MetricsSoFar, which every checkpoint carries, so a resumed run decides as an
// uninterrupted one would.
import { UserError } from '@/lib/errors';
import type { Task } from '@/lib/models/types';
import type { MetricsSoFar } from '@/lib/store/types';
import { metricMode, type ResolvedConfig } from './config';
import type { EvalResult, TrainEvent } from './events';

/** Whether an evaluation beats the best so far: its metric by more than `minDelta`, or, the metric the same, its
 *  validation loss lower. A small validation set scores in coarse steps (10 rows: accuracy in tenths) and a head still
 *  learning can hold one score for many evaluations while its loss falls; counted as no improvement, those stopped
 *  such runs early and restored their first evaluation's weights (100 SMS rows: every message "ham"). */
export function betterEval(
  best: { value: number; loss?: number },
  value: number,
  loss: number | undefined,
  mode: 'min' | 'max',
  minDelta: number,
): boolean {
  if (mode === 'min' ? value < best.value - minDelta : value > best.value + minDelta) return true;
  return value === best.value && loss !== undefined && best.loss !== undefined && loss < best.loss;
}

/** Records an evaluation at `at` in `history` (its list, best and count of evaluations without improvement): whether
 *  it is the best so far, and the early-stop event when the run's patience has run out. A metric the task does not
 *  have is a UserError naming the option that asked for it. */
export function recordEval(
  history: MetricsSoFar,
  result: EvalResult,
  at: { step: number; epoch: number },
  cfg: Pick<ResolvedConfig, 'bestMetric' | 'earlyStopping'>,
  task: Task,
): { improved: boolean; earlyStop: Extract<TrainEvent, { type: 'early-stop' }> | null } {
  history.evals.push({ step: at.step, epoch: at.epoch, scalars: result.scalars });
  const metric = cfg.bestMetric;
  const value = result.scalars[metric];
  if (value === undefined)
    throw new UserError(
      `there is no metric "${metric}" for ${task}`,
      { option: cfg.earlyStopping ? 'earlyStopping.metric' : 'bestMetric' },
      `use one of: ${Object.keys(result.scalars).join(', ')}`,
    );
  const mode = metricMode(metric, cfg.earlyStopping?.mode);
  const minDelta = cfg.earlyStopping?.minDelta ?? 0;
  const prev = history.best;
  const loss = result.scalars.loss;
  const improved = !prev || betterEval(prev, value, loss, mode, minDelta);
  if (improved) {
    history.best = { metric, mode, value, step: at.step, epoch: at.epoch, ...(loss !== undefined ? { loss } : {}) };
    history.badEvals = 0;
  } else {
    history.badEvals += 1;
  }
  const es = cfg.earlyStopping;
  const earlyStop =
    es && history.badEvals >= es.patience && history.best
      ? {
          type: 'early-stop' as const,
          step: at.step,
          epoch: at.epoch,
          metric,
          best: history.best.value,
          bestStep: history.best.step,
          patience: es.patience,
        }
      : null;
  return { improved, earlyStop };
}
