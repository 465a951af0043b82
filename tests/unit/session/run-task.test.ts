import { describe, expect, it } from 'vitest';
import { presetConfig } from '@/lib/run/config';
import { trainConfigOf } from '@/lib/run/engine-config';
import { withModelTask } from '@/lib/run/train-run';
import type { TaskModel } from '@/lib/models/types';

describe('run config task follows the model built from the dataset mapping', () => {
  const form = presetConfig('quick');
  it('a regression dataset trains on loss, not macro-F1, even when the form still says classification', () => {
    expect(form.task).toBe('classification');
    const cfg = trainConfigOf(withModelTask(form, { task: 'regression' } as TaskModel), { train: 100, validation: 100 });
    expect(cfg.bestMetric).toBe('loss');
    expect(cfg.labelSmoothing).toBe(0);
  });
  it('keeps the config unchanged when the tasks agree', () => {
    const same = withModelTask(form, { task: 'classification' } as TaskModel);
    expect(same).toBe(form);
    expect(trainConfigOf(same, { train: 100, validation: 100 }).bestMetric).toBe('macroF1');
  });
  it("passes the form's learning-rate multiplier and weight average on to the engine", () => {
    expect(
      trainConfigOf({ ...presetConfig('balanced'), headLrMultiplier: 10, emaDecay: 0.995 }, { train: 100, validation: 100 }),
    ).toMatchObject({
      headLrMultiplier: 10,
      emaDecay: 0.995,
    });
  });
});
