// Big data: a recipe that stops part-way through its one epoch (max steps) evaluates at the half and at the end, keeps
// checkpoints a quarter of the run apart, and the estimate counts those evaluations; a head-only recipe's row cap
// trains on a sample with each label in its share, said in the run's status.
import { beforeAll, describe, expect, it } from 'vitest';
import { stratifiedSample } from '@/lib/data/split';
import { completeConfig } from '@/lib/run/config';
import { trainConfigOf } from '@/lib/run/engine-config';
import { evalPassCount } from '@/lib/run/estimate';
import { prepareRun, trainRun, type RunEvent } from '@/lib/run/train-run';
import { RunControls } from '@/lib/train/controls';
import { useWasm } from '@/tests/helpers/tf';
import { events, openTinyBert, sentimentRunData, statuses } from './helpers';

beforeAll(useWasm);

describe('big data', () => {
  it('a sample keeps each label in its share and the rows in their order, the same for a seed', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ text: `t${i}`, label: i % 10 === 0 ? 'rare' : 'common' }));
    const s = stratifiedSample(rows, 200, 7);
    expect(s).toHaveLength(200);
    expect(s.filter((r) => r.label === 'rare')).toHaveLength(20);
    const at = s.map((r) => Number(r.text.slice(1)));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(stratifiedSample(rows, 200, 7)).toEqual(s);
    expect(stratifiedSample(rows, 200, 8)).not.toEqual(s);
    expect(stratifiedSample(rows, 1000, 7)).toBe(rows);
  });

  it('max training rows: the run trains on the sample and says so; without the cap every row', async () => {
    const data = sentimentRunData(64);
    const c = completeConfig({ mode: 'head', epochs: 1, batchSize: 8, seed: 1, earlyStoppingPatience: 0, maxTrainRows: 24 });
    const p = prepareRun(c, data, openTinyBert());
    try {
      expect(p.data.train).toHaveLength(24);
      expect(p.sampledFrom).toBe(64);
      const ev = await events(trainRun(c, p));
      expect(statuses(ev)).toContain('training on 24 of the 64 training rows (a sample with each label in its share; max training rows)');
      expect(ev.find((e) => e.type === 'start')).toMatchObject({ trainExamples: 24 });
    } finally {
      p.model.dispose();
    }
    const whole = prepareRun({ ...c, maxTrainRows: undefined }, data, openTinyBert());
    expect(whole.data.train).toHaveLength(64);
    expect(whole.sampledFrom).toBeUndefined();
    whole.model.dispose();
  });

  it('max steps within one epoch: evaluations at the half and the end, as the estimate counts them', async () => {
    const data = sentimentRunData(96); // 12 steps of 8 an epoch
    const c = completeConfig({ mode: 'full', epochs: 1, batchSize: 8, seed: 1, maxSteps: 6, evalEverySteps: 3, earlyStoppingPatience: 3 });
    const p = prepareRun(c, data, openTinyBert());
    try {
      const ev = await events(trainRun(c, p));
      const evals = ev.flatMap((e) => (e.type === 'eval' ? [e.step] : []));
      expect(evals).toEqual([3, 6]);
      expect(ev.at(-1)).toMatchObject({ type: 'done', reason: 'max-steps', step: 6 });
      expect(evalPassCount(6, 12, 3)).toBe(evals.length);
    } finally {
      p.model.dispose();
    }
  });

  it('an epoch added while such a run trains adds an epoch of steps, and the steps say the new total', async () => {
    const data = sentimentRunData(96); // 12 steps of 8 an epoch
    const c = completeConfig({ mode: 'full', epochs: 1, batchSize: 8, seed: 1, maxSteps: 4, evalEverySteps: 0, earlyStoppingPatience: 0 });
    const p = prepareRun(c, data, openTinyBert());
    const controls = new RunControls();
    try {
      const totals: number[] = [];
      let last: RunEvent | undefined;
      for await (const ev of trainRun(c, p, { controls })) {
        if (ev.type === 'step') {
          totals.push(ev.totalSteps!);
          if (ev.step === 2) controls.extendEpochs(1);
        }
        last = ev;
      }
      expect(totals.slice(0, 2)).toEqual([4, 4]);
      expect(totals.at(-1)).toBe(16);
      expect(last).toMatchObject({ type: 'done', reason: 'max-steps', step: 16 });
    } finally {
      p.model.dispose();
    }
  });

  it('counts evaluation passes: epoch ends, every N steps (once where both fall), and a stop between them', () => {
    expect(evalPassCount(1100, 3375, 550)).toBe(2);
    expect(evalPassCount(1000, 3375, 0)).toBe(1); // stopped part-way: one at the end
    expect(evalPassCount(6750, 3375, 0)).toBe(2);
    expect(evalPassCount(6750, 3375, 550)).toBe(12 + 2);
    expect(evalPassCount(600, 300, 150)).toBe(4); // 150, 300 (both), 450, 600 (both)
  });

  it('checkpoints a quarter of the run apart where it stops within one epoch', () => {
    const c = completeConfig({ mode: 'full', batchSize: 32, maxSteps: 1100 });
    expect(trainConfigOf(c, { train: 108_000, validation: 12_000 }).checkpointEverySteps).toBe(275);
    expect(trainConfigOf({ ...c, maxSteps: undefined }, { train: 108_000, validation: 12_000 }).checkpointEverySteps).toBe(844);
  });
});
