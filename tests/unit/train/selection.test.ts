import { describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import type { EvalResult } from '@/lib/train/events';
import { recordEval } from '@/lib/train/selection';
import type { MetricsSoFar } from '@/lib/store/types';

const result = (scalars: Record<string, number>): EvalResult => ({ task: 'classification', count: 10, loss: scalars.loss, scalars });
const fresh = (): MetricsSoFar => ({ evals: [], best: null, badEvals: 0 });

describe('recordEval', () => {
  it('keeps the best evaluation, counts the ones without improvement and stops when patience runs out', () => {
    const h = fresh();
    const cfg = { bestMetric: 'accuracy', earlyStopping: { patience: 2, metric: 'accuracy' } };
    const at = (step: number) => ({ step, epoch: step - 1 });
    expect(recordEval(h, result({ accuracy: 0.7, loss: 0.6 }), at(1), cfg, 'classification')).toEqual({ improved: true, earlyStop: null });
    expect(recordEval(h, result({ accuracy: 0.8, loss: 0.5 }), at(2), cfg, 'classification').improved).toBe(true);
    expect(recordEval(h, result({ accuracy: 0.75, loss: 0.4 }), at(3), cfg, 'classification')).toEqual({
      improved: false,
      earlyStop: null,
    });
    expect(h.badEvals).toBe(1);
    const last = recordEval(h, result({ accuracy: 0.79, loss: 0.45 }), at(4), cfg, 'classification');
    expect(last.improved).toBe(false);
    expect(last.earlyStop).toEqual({ type: 'early-stop', step: 4, epoch: 3, metric: 'accuracy', best: 0.8, bestStep: 2, patience: 2 });
    expect(h.best).toEqual({ metric: 'accuracy', mode: 'max', value: 0.8, step: 2, epoch: 1, loss: 0.5 });
    expect(h.evals.map((e) => e.step)).toEqual([1, 2, 3, 4]);
  });

  it('counts the same score with a lower validation loss as better, and resets the count', () => {
    const h = fresh();
    const cfg = { bestMetric: 'accuracy', earlyStopping: { patience: 3, metric: 'accuracy' } };
    recordEval(h, result({ accuracy: 0.9, loss: 0.5 }), { step: 1, epoch: 0 }, cfg, 'classification');
    recordEval(h, result({ accuracy: 0.9, loss: 0.6 }), { step: 2, epoch: 1 }, cfg, 'classification');
    expect(h.badEvals).toBe(1);
    expect(recordEval(h, result({ accuracy: 0.9, loss: 0.3 }), { step: 3, epoch: 2 }, cfg, 'classification').improved).toBe(true);
    expect(h.badEvals).toBe(0);
    expect(h.best?.step).toBe(3);
  });

  it('minimises a loss metric, and never stops without early stopping', () => {
    const h = fresh();
    const cfg = { bestMetric: 'loss', earlyStopping: undefined };
    for (const [step, loss] of [0.5, 0.6, 0.7, 0.8].entries()) {
      expect(recordEval(h, result({ loss }), { step: step + 1, epoch: step }, cfg, 'classification').earlyStop).toBeNull();
    }
    expect(h.best).toMatchObject({ mode: 'min', value: 0.5, step: 1 });
    expect(h.badEvals).toBe(3);
  });

  it('names the option when the metric does not exist for the task', () => {
    const h = fresh();
    const run = (cfg: { bestMetric: string; earlyStopping?: { patience: number; metric: string } }) =>
      recordEval(h, result({ loss: 0.5, mse: 0.1 }), { step: 1, epoch: 0 }, cfg, 'regression');
    expect(() => run({ bestMetric: 'accuracy' })).toThrow(UserError);
    expect(() => run({ bestMetric: 'accuracy' })).toThrow(/there is no metric "accuracy" for regression/);
    let caught: unknown = null;
    try {
      run({ bestMetric: 'accuracy', earlyStopping: { patience: 1, metric: 'accuracy' } });
    } catch (e) {
      caught = e;
    }
    expect((caught as UserError).where).toEqual({ option: 'earlyStopping.metric' });
  });
});
