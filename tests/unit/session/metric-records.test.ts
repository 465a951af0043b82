// Which evaluation a finished run reports as its figures (the Runs table's validation columns, the best run, a CLI
// folder packed as a bundle): that of the weights it keeps.
import { describe, expect, it } from 'vitest';
import { evalPoint, keptEval } from '@/lib/session/metric-records';
import type { TrainEvent } from '@/lib/train/events';

type Done = Extract<TrainEvent, { type: 'done' }>;
const result = (accuracy: number) => ({ scalars: { loss: 1 - accuracy, accuracy, macroF1: accuracy } }) as unknown as Done['final'];
const evals = [evalPoint(3, 0, { loss: 0.5, accuracy: 0.9, macroF1: 0.9 }), evalPoint(6, 1, { loss: 0.6, accuracy: 0.8, macroF1: 0.8 })];
const best = evals[0];
const done = (o: Partial<Done>): Done =>
  ({
    type: 'done',
    reason: 'completed',
    step: 6,
    epoch: 2,
    final: result(0.8),
    best: { metric: 'macroF1', mode: 'max', value: 0.9, step: 3, epoch: 0 },
    restoredBest: false,
    ...o,
  }) as Done;

describe('keptEval', () => {
  it('is the last evaluation where the run kept its last weights although an earlier one scored higher', () => {
    expect(keptEval(done({}), evals, best)).toBe(evals[1]);
    // a final evaluation at a step with no evaluation record: made from the final metrics
    expect(keptEval(done({ step: 7, final: result(0.7) }), evals, best)).toMatchObject({ step: 7, accuracy: 0.7, macroF1: 0.7 });
  });
  it('is the best evaluation where its weights were restored or were the last, and where nothing was evaluated at the end', () => {
    expect(keptEval(done({ restoredBest: true, final: result(0.9) }), evals, best)).toBe(best);
    expect(keptEval(done({ best: { metric: 'macroF1', mode: 'max', value: 0.8, step: 6, epoch: 1 } }), evals, evals[1])).toBe(evals[1]);
    expect(keptEval(done({ reason: 'aborted', final: null }), evals, best)).toBe(best);
    expect(keptEval(done({ best: null, final: null }), [], undefined)).toBeUndefined();
  });
});
