// A run someone started fits TF-IDF + logistic regression on its training split first and reports its validation
// scores (the studio's Run screen and the CLI's result show them): the same figures the baseline gives on its own,
// and none for runs that did not ask (a tune's trials, timings), for a resumed run, or for a task it does not fit.
import { beforeAll, describe, expect, it } from 'vitest';
import { tfidfBaseline } from '@/lib/baseline/tfidf';
import { completeConfig } from '@/lib/run/config';
import { estimateRun } from '@/lib/run/estimate';
import { baselineInput, prepareRun, trainRun, type RunData, type RunEvent } from '@/lib/run/train-run';
import { useWasm } from '@/tests/helpers/tf';
import { events, openTinyBert, sentimentRunData } from './helpers';

beforeAll(useWasm);

const baselines = (ev: RunEvent[]) => ev.flatMap((e) => (e.type === 'status' && e.baseline ? [e] : []));

async function runOf(data: RunData, ports: Parameters<typeof trainRun>[2]): Promise<RunEvent[]> {
  const c = completeConfig({ mode: 'head', epochs: 1, batchSize: 8, seed: 1, earlyStoppingPatience: 0 });
  const p = prepareRun(c, data, openTinyBert());
  try {
    return await events(trainRun(c, p, ports));
  } finally {
    p.model.dispose();
  }
}

describe('the word-count baseline of a run', () => {
  it('is reported before training, with the scores tfidfBaseline gives on the same split', async () => {
    const data = sentimentRunData(32);
    const ev = await runOf(data, { wordBaseline: true });
    const [line] = baselines(ev);
    const plain = (rows: RunData['train']) => rows.map((e) => ({ text: e.text, label: String(e.label) }));
    const direct = tfidfBaseline(plain(data.train), plain(data.validation), data.labels);
    expect(line.baseline).toMatchObject({ accuracy: direct.accuracy, macroF1: direct.macroF1 });
    expect(line.message).toContain(`${(100 * direct.accuracy).toFixed(1)} % validation accuracy`);
    // before the first training step
    expect(ev.indexOf(line)).toBeLessThan(ev.findIndex((e) => e.type === 'step'));
  });

  it('fits on a sample with each label in its share where rows × labels are over its budget', () => {
    const data = sentimentRunData(80);
    const all = baselineInput(data.train, data.validation, 2, 1);
    expect([all.train.length, all.sampledFrom]).toEqual([80, undefined]);
    const some = baselineInput(data.train, data.validation, 2, 1, 60);
    const share = (rows: { label: string }[]) => rows.filter((r) => r.label === 'pos').length / rows.length;
    expect([some.train.length, some.sampledFrom, some.validation.length]).toEqual([30, 80, 40]);
    expect(Math.abs(share(some.train) - share(all.train))).toBeLessThan(0.05);
  });

  it('is not fitted for runs that did not ask, nor for regression', async () => {
    expect(baselines(await runOf(sentimentRunData(16), {}))).toEqual([]);
    const reg = sentimentRunData(16);
    const scored = (rows: RunData['train']) => rows.map((e, i) => ({ ...e, label: i % 3 }));
    const regression: RunData = { ...reg, task: 'regression', labels: [], train: scored(reg.train), validation: scored(reg.validation) };
    expect(baselines(await runOf(regression, { wordBaseline: true }))).toEqual([]);
  });

  it("is in the run's time estimate at 3 µs a training word and label, and not where no baseline is fitted", async () => {
    const c = completeConfig({ mode: 'head', epochs: 1, batchSize: 8, seed: 1, earlyStoppingPatience: 0 });
    const p = prepareRun(c, sentimentRunData(32), openTinyBert());
    try {
      const e = await estimateRun(c, p, undefined, { wordBaseline: true });
      const words = p.baselineInput!.train.reduce((n, r) => n + (r.text.match(/[\p{L}\p{N}_]{2,}/gu)?.length ?? 0), 0);
      expect(words).toBeGreaterThan(100);
      expect(e.baselineSec).toBeCloseTo(words * 2 * 3e-6, 12);
      expect(e.seconds).toBeGreaterThanOrEqual(e.baselineSec! + e.featureSec! + e.steps * e.perStepSec - 1e-9);
      expect(e.seconds - e.baselineSec!).toBeCloseTo(e.featureSec! + e.steps * e.perStepSec, 9);
      // a tune's trial fits none: its estimate counts none
      expect((await estimateRun(c, p)).baselineSec).toBeUndefined();
    } finally {
      p.model.dispose();
    }
    const reg = sentimentRunData(16);
    const scored = (rows: RunData['train']) => rows.map((x, i) => ({ ...x, label: i % 3 }));
    const regression: RunData = { ...reg, task: 'regression', labels: [], train: scored(reg.train), validation: scored(reg.validation) };
    const q = prepareRun(c, regression, openTinyBert());
    try {
      expect((await estimateRun(c, q, undefined, { wordBaseline: true })).baselineSec).toBeUndefined();
    } finally {
      q.model.dispose();
    }
  });
});
