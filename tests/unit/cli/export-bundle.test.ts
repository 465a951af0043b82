// `finetune export --format bundle`: a CLI run (a tiny BERT, a few steps) packed as a project bundle and imported into
// an empty studio (fake-indexeddb) by the studio's own code: one dataset whose stored split gives exactly the CLI's
// rows (--val-split; --eval with --test), one completed run with the CLI's metric records and test evaluation, and a
// model that predicts what `finetune predict` does. A folder without run.json is refused.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTinyHf } from '../../helpers/tiny-hf';
import { useWasm } from '../../helpers/tf';
import type { Cli } from '@/cli/context';
import { ProgressBar } from '@/cli/progress';
import { loadRunData, loadTestExamples } from '@/cli/train/inputs';
import type { Example } from '@/lib/data/types';
import type { EngineEvent } from '@/lib/protocol';
import { getSetting, openStudioDb, type StudioDb } from '@/lib/store/db';
import type { TrainEvent } from '@/lib/train/events';
import { predict } from '@/lib/train/predict';
import * as bundle from '@/lib/session/bundle';
import { trainingData } from '@/lib/session/datasets';
import { evaluationKey, runModel } from '@/lib/session/inference';
import { metricRecordOf } from '@/lib/session/metric-records';
import type { RunMeta } from '@/lib/session/records';
import { readHistory } from '@/lib/session/runs';
import type { SessionHost } from '@/lib/session/context';
import { dropWarm, useDatabase } from '@/lib/session/state';
import { lastJson, runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'finetune-bundle-'));
const modelDir = writeTinyHf('bert', join(dir, 'tiny-bert'), { hidden: 16, layers: 1, heads: 2, intermediate: 32 });
const CLASSES = ['positive', 'negative', 'positive', 'neutral', 'positive', 'negative'];
const WORDS: Record<string, string> = { positive: 'a wonderful film', negative: 'an awful, boring movie', neutral: 'a film' };
/** rows of three unevenly sized classes, every text different */
const csv = (n: number, from: number, extra = '') => {
  const rows = Array.from({ length: n }, (_, i) => `"${WORDS[CLASSES[i % 6]]}, take ${from + i}",${CLASSES[i % 6]}`);
  return `text,label\n${rows.join('\n')}\n${extra}`;
};
const TRAIN = ['--model', modelDir, '--mode', 'full', '--epochs', '2', '--batch-size', '8', '--lr', '1e-3', '--max-length', '16'];
const TEXTS = ['a wonderful film', 'an awful, boring movie, take 3', 'a film'];

const quiet: Cli = { progress: new ProgressBar({ write: () => true }), out: () => undefined, log: () => undefined };
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };
let seq = 0;
const found = <T extends EngineEvent['type']>(type: T, requestId: string) =>
  events.find((e) => e.type === type && 'requestId' in e && e.requestId === requestId) as Extract<EngineEvent, { type: T }>;

interface Case {
  out: string;
  zip: string;
  result: Record<string, unknown>;
  exported: Record<string, unknown>;
  runJson: Record<string, unknown> & { args: Record<string, string | number | boolean> };
  predicted: Record<string, number>[];
}

/** Trains, exports the bundle and asks `finetune predict` about TEXTS. */
async function trainAndExport(name: string, dataArgs: string[]): Promise<Case> {
  const out = join(dir, name);
  const zip = join(dir, `${name}.zip`);
  const t = await runCli(['train', ...dataArgs, ...TRAIN, '--out', out]);
  if (t.code !== 0) throw new Error(`train exited ${t.code}: ${t.stderr}`);
  const x = await runCli(['export', '--model', out, '--format', 'bundle', '--out', zip]);
  if (x.code !== 0) throw new Error(`export exited ${x.code}: ${x.stderr}`);
  const predicted = await Promise.all(
    TEXTS.map(async (text) => {
      const p = await runCli(['predict', '--model', out, '--text', text]);
      if (p.code !== 0) throw new Error(`predict exited ${p.code}: ${p.stderr}`);
      return lastJson(p.stdout).scores as Record<string, number>;
    }),
  );
  const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  return { out, zip, result: lastJson(t.stdout), exported: lastJson(x.stdout), runJson, predicted };
}

/** The bundle imported into an empty studio, as the Data screen's import dialog does it. */
async function importInto(zip: string): Promise<StudioDb> {
  const db = openStudioDb({ name: `export-bundle-${++seq}`, indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  const name = basename(zip);
  const file = new File([readFileSync(zip)], name);
  await bundle.inspectBundle(host, { type: 'bundle-inspect', requestId: `n${++seq}`, file, name });
  const items = found('bundle-inspect-result', `n${seq}`).inspection.items;
  expect(items.map((i) => [i.kind, i.conflicts.length])).toEqual([
    ['dataset', 0],
    ['run', 0],
  ]);
  await bundle.importBundle(host, { type: 'bundle-import', requestId: `m${++seq}`, file, name, decisions: {} });
  expect(found('bundle-import-result', `m${seq}`).result.items.map((i) => i.action)).toEqual(['added', 'added']);
  return db;
}

const rowsOf = (xs: Example[]) => xs.map((e) => [e.text, e.label]);

/** The checks both cases share: one dataset and one run, the CLI's metric records, the same predictions. */
async function checkRun(db: StudioDb, c: Case, rows: number) {
  const [dataset] = await db.datasets.toArray();
  expect(await db.datasets.count()).toBe(1);
  expect(dataset.rowCount).toBe(rows);
  expect(dataset.labels).toEqual(['negative', 'neutral', 'positive']);
  expect(dataset.name).toBe(basename(c.runJson.args.data as string).replace(/\.csv$/, ''));
  const [row] = await db.runs.toArray();
  expect(await db.runs.count()).toBe(1);
  expect(row).toMatchObject({ status: 'completed', datasetId: dataset.id, name: basename(c.out) });
  const meta = row.config as RunMeta;
  expect(meta).toMatchObject({ imported: true, datasetName: dataset.name, labels: c.runJson.labels, modelLabel: 'tiny-bert' });
  expect(meta.run).toMatchObject({ datasetId: dataset.id, model: { kind: 'folder', name: 'tiny-bert' }, epochs: 2, maxLength: 16 });

  // the metric records: metrics.jsonl's step and eval events as the studio's runs store them, one per step
  const h = await readHistory(db, row.id);
  expect(h.record.status).toBe('done');
  expect(h.steps).toHaveLength(c.result.steps as number);
  const logged = readFileSync(join(c.out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrainEvent);
  const expected = logged.map((ev) => metricRecordOf(ev)).filter((r) => r !== null);
  expect([...h.steps.map((s) => ({ kind: 'step', ...s })), ...h.evals.map((e) => ({ kind: 'eval', ...e }))]).toEqual([
    ...expected.filter((r) => r.kind === 'step'),
    ...expected.filter((r) => r.kind === 'eval'),
  ]);
  expect(h.evals.length).toBeGreaterThan(0);
  expect(meta.best?.step).toBe(h.evals.reduce((b, e) => (e.macroF1 > b.macroF1 ? e : b)).step);

  // the stored model predicts what `finetune predict` does
  await useWasm();
  dropWarm(row.id);
  const model = await runModel(db, row.id);
  const probs = (await predict(
    model,
    TEXTS.map((t) => model.tokenizer.encode(t, undefined, { maxLength: meta.run.maxLength })),
  )) as number[][];
  probs.forEach((p, i) => model.labels.forEach((l, j) => expect(Math.abs(p[j] - c.predicted[i][l])).toBeLessThan(1e-5)));
  dropWarm(row.id);
  return { dataset, row, meta };
}

describe('finetune export --format bundle', () => {
  let held: Case;
  let files: Case;
  let heldTest: Case;
  beforeAll(async () => {
    writeFileSync(join(dir, 'data.csv'), csv(45, 0, '"a film without a label",\n'));
    writeFileSync(join(dir, 'train.csv'), csv(30, 100));
    writeFileSync(join(dir, 'dev.csv'), csv(12, 200));
    writeFileSync(join(dir, 'test.csv'), csv(9, 300));
    [held, heldTest, files] = await Promise.all([
      trainAndExport('held', ['--data', join(dir, 'data.csv'), '--val-split', '0.25', '--seed', '7']),
      trainAndExport('held-test', ['--data', join(dir, 'data.csv'), '--val-split', '0.2', '--seed', '3', '--test', join(dir, 'test.csv')]),
      trainAndExport('files', ['--data', join(dir, 'train.csv'), '--eval', join(dir, 'dev.csv'), '--test', join(dir, 'test.csv')]),
    ]);
  }, 300_000);

  it('writes one zip and says so on the last stdout line', () => {
    expect(held.exported).toMatchObject({ format: 'bundle', out: held.zip });
    expect(held.exported.bytes).toBe(readFileSync(held.zip).length);
  });

  it('--val-split: the dataset is the data file, split by the studio exactly as the CLI split it', async () => {
    const db = await importInto(held.zip);
    const { dataset } = await checkRun(db, held, 46);
    expect(await getSetting(db, `split:${dataset.id}`, null)).toEqual({ validation: 0.25, test: 0, seed: 7, useSplitColumn: false });
    const studio = (await trainingData(db, dataset.id)).data;
    const cli = await loadRunData(held.runJson.args, quiet, 7, 0.25);
    expect(studio.validation.length).toBe(held.runJson.validationExamples);
    expect(studio.train.length).toBe(held.runJson.trainExamples);
    expect(rowsOf(studio.train)).toEqual(rowsOf(cli.train));
    expect(rowsOf(studio.validation)).toEqual(rowsOf(cli.validation));
    expect(studio.test).toEqual([]);
  });

  it('--eval and --test: one dataset of the three files with a split column; the test evaluation comes along', async () => {
    const db = await importInto(files.zip);
    const { dataset, row } = await checkRun(db, files, 30 + 12 + 9);
    expect(dataset.mapping?.split).toBe('split');
    expect(dataset.columns).toEqual(['text', 'label', 'split']);
    const studio = (await trainingData(db, dataset.id)).data;
    const cli = await loadRunData(files.runJson.args, quiet, 42, 0.1);
    expect(rowsOf(studio.train)).toEqual(rowsOf(cli.train));
    expect(rowsOf(studio.validation)).toEqual(rowsOf(cli.validation));
    expect(rowsOf(studio.test)).toEqual(rowsOf(await loadTestExamples(join(dir, 'test.csv'), files.runJson.args, quiet, 'classification')));
    const evaluation = files.runJson.evaluation as Record<string, unknown>;
    expect(evaluation.split).toBe('test');
    expect(await getSetting(db, evaluationKey(row.id, 'test'), null)).toEqual({ ...evaluation, runId: row.id });
  });

  it('--val-split with --test: the held-out rows of the CLI and the test file go into the split column', async () => {
    const db = await importInto(heldTest.zip);
    const { dataset, row } = await checkRun(db, heldTest, 46 + 9);
    expect(await getSetting(db, `split:${dataset.id}`, null)).toEqual({ validation: 0, test: 0, seed: 3, useSplitColumn: true });
    const studio = (await trainingData(db, dataset.id)).data;
    const cli = await loadRunData(heldTest.runJson.args, quiet, 3, 0.2);
    expect(cli.validation.length).toBe(9);
    expect(rowsOf(studio.train)).toEqual(rowsOf(cli.train));
    expect(rowsOf(studio.validation)).toEqual(rowsOf(cli.validation));
    expect(rowsOf(studio.test)).toEqual(
      rowsOf(await loadTestExamples(join(dir, 'test.csv'), heldTest.runJson.args, quiet, 'classification')),
    );
    expect(await getSetting(db, evaluationKey(row.id, 'test'), null)).toEqual({
      ...(heldTest.runJson.evaluation as object),
      runId: row.id,
    });
  });

  it('refuses a model folder without run.json (exit 2), pointing to --format hf', async () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    for (const f of readdirSync(held.out))
      if (!['run.json', 'metrics.jsonl', 'README.md'].includes(f)) copyFileSync(join(held.out, f), join(plain, f));
    const r = await runCli(['export', '--model', plain, '--format', 'bundle', '--out', join(dir, 'plain.zip')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run.json');
    expect(r.stderr).toContain('--format hf');
    expect(r.stdout).toBe('');
  });
});
