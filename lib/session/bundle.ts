// Project bundles in the studio (the file: lib/export/bundle-format.ts). Export: every dataset with its versions, splits
// and settings, and every run with its metrics, its chosen checkpoint (or all), settings and imported model files, or
// just the items named (plus the datasets and base runs they need). Inspect: what a bundle holds and which items meet a
// stored one. Import: with a decision for every such conflict (lib/session/bundle-import.ts plans and writes it).
import { UserError } from '../errors';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  readBundle,
  writeBundle,
  type BundleConflict,
  type BundledDataset,
  type BundledRun,
  type BundleItem,
  type BundleManifest,
  type BundlePart,
  type OpenedBundle,
} from '../export/bundle-format';
import {
  bundledKey,
  chosenCheckpoint,
  datasetContent,
  encodeCheckpoint,
  familyOf,
  int32Bytes,
  runContent,
  toJson,
  utf8,
} from '../export/bundle-parts';
import type { Command } from '../protocol';
import type { DatasetRow, RunRow, StudioDb } from '../store/db';
import { DexieRunStore } from '../store/db-runs';
import { importPlanned, planImport } from './bundle-import';
import { progressReporter, type SessionHost } from './context';
import type { RunMeta } from './records';
import { sessionDb } from './state';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

/** Largest bundle accepted for import (the whole file is read into memory). */
export const MAX_BUNDLE_BYTES = 2 * 1024 ** 3;

const byCreated = (a: { createdAt: number }, b: { createdAt: number }) => a.createdAt - b.createdAt;
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** What goes in: everything, or the named items plus the datasets the runs were trained on and the runs they build on. */
function pick(datasets: DatasetRow[], runs: RunRow[], cmd: Cmd<'bundle-export'>): { roots: DatasetRow[]; runs: RunRow[] } {
  const everything = !cmd.datasetIds?.length && !cmd.runIds?.length;
  const dsById = new Map(datasets.map((d) => [d.id, d]));
  const runById = new Map(runs.map((r) => [r.id, r]));
  const picked = new Set<string>();
  const addRun = (id: string) => {
    const r = runById.get(id);
    if (!r) throw new UserError(`there is no run "${id}"`, { option: 'runIds' }, 'it may have been deleted');
    if (picked.has(id)) return;
    picked.add(id);
    const model = (r.config as RunMeta | null)?.run?.model;
    if (model?.kind === 'run' && runById.has(model.runId)) addRun(model.runId);
  };
  for (const id of everything ? runs.map((r) => r.id) : (cmd.runIds ?? [])) addRun(id);
  const rootIds = new Set<string>();
  for (const id of everything ? datasets.map((d) => d.id) : (cmd.datasetIds ?? [])) {
    const d = dsById.get(id);
    if (!d) throw new UserError(`there is no dataset "${id}"`, { option: 'datasetIds' }, 'it may have been deleted');
    rootIds.add(d.rootId);
  }
  for (const id of picked) {
    const d = dsById.get(runById.get(id)!.datasetId ?? '');
    if (d) rootIds.add(d.rootId);
  }
  return { roots: datasets.filter((d) => rootIds.has(d.id)).sort(byCreated), runs: runs.filter((r) => picked.has(r.id)).sort(byCreated) };
}

/** The item's settings in the bundle's form ("split:*"); model files travel as parts of their own. */
async function itemSettings(db: StudioDb, keys: string[], id: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const k = bundledKey(key, id);
    if (k && !k.startsWith('model-files:')) out[k] = (await db.settings.get(key))?.value;
  }
  return out;
}

async function bundleDataset(db: StudioDb, family: DatasetRow[], at: string, keys: string[], parts: BundlePart[]): Promise<BundledDataset> {
  const root = family[0];
  const stored = await db.rowChunks.where('datasetId').equals(root.id).sortBy('index');
  const chunks = stored.map((c, i) => {
    const ref = { rows: `${at}/rows-${i}.json`, rowNumbers: `${at}/row-numbers-${i}.i32` };
    parts.push(
      { path: ref.rows, bytes: c.packed, compress: true },
      { path: ref.rowNumbers, bytes: int32Bytes(c.rowNumbers), compress: true },
    );
    return ref;
  });
  const versions = [];
  for (const [vi, v] of family.entries()) {
    const splits = (await db.splits.where('datasetId').equals(v.id).sortBy('createdAt')).map((s, si) => {
      const codes = `${at}/version-${vi}/split-${si}.codes`;
      parts.push({ path: codes, bytes: s.codes, compress: true });
      return { id: s.id, createdAt: s.createdAt, settings: s.settings, counts: s.counts, codes };
    });
    versions.push({ row: v, chunks: v.id === root.id ? chunks : [], splits, settings: await itemSettings(db, keys, v.id) });
  }
  return { id: root.id, name: root.name, content: datasetContent(family, stored), versions };
}

async function bundleRun(db: StudioDb, row: RunRow, at: string, all: boolean, keys: string[], parts: BundlePart[]): Promise<BundledRun> {
  const store = new DexieRunStore(db);
  const records = await store.readMetrics(row.id);
  const metrics = `${at}/metrics.jsonl`;
  parts.push({ path: metrics, bytes: utf8(records.map((r) => toJson(r) + '\n').join('')), compress: true });
  const metas = await store.listCheckpoints(row.id);
  const chosen = all ? metas : [chosenCheckpoint(metas)].filter((m) => m !== undefined);
  const checkpoints = [];
  for (const [i, m] of chosen.entries()) {
    const ckpt = await store.loadCheckpoint(row.id, m.id);
    if (!ckpt) continue;
    const { state, tensors } = encodeCheckpoint(ckpt);
    const ref = { meta: m, state: `${at}/checkpoint-${i}.json`, tensors: `${at}/checkpoint-${i}.safetensors` };
    parts.push({ path: ref.state, bytes: state, compress: true }, { path: ref.tensors, bytes: tensors, compress: false });
    checkpoints.push(ref);
  }
  let modelFiles: Record<string, string> | undefined;
  const files = (await db.settings.get(`model-files:${row.id}`))?.value as Record<string, Uint8Array> | undefined;
  if (files) {
    modelFiles = {};
    for (const [name, bytes] of Object.entries(files)) {
      modelFiles[name] = `${at}/model/${name}`;
      parts.push({ path: modelFiles[name], bytes, compress: !name.endsWith('.safetensors') });
    }
  }
  const settings = await itemSettings(db, keys, row.id);
  return {
    row,
    metrics,
    metricCount: records.length,
    checkpoints,
    storedCheckpoints: metas,
    settings,
    modelFiles,
    content: runContent(row, records.length, metas),
  };
}

export async function exportBundle(host: SessionHost, cmd: Cmd<'bundle-export'>): Promise<void> {
  const db = sessionDb();
  const all = await db.datasets.toArray();
  const picked = pick(all, await db.runs.toArray(), cmd);
  if (!picked.roots.length && !picked.runs.length)
    throw new UserError('the studio holds no datasets or runs yet', { option: 'bundle' }, 'import a dataset or train a run first');
  const keys = (await db.settings.toCollection().primaryKeys()) as string[];
  const reading = progressReporter(host, cmd.requestId, 'Reading the studio');
  const total = picked.roots.length + picked.runs.length;
  const parts: BundlePart[] = [];
  const datasets: BundledDataset[] = [];
  for (const [i, root] of picked.roots.entries()) {
    reading(i, total, `Reading dataset "${root.name}"`);
    datasets.push(await bundleDataset(db, familyOf(all, root.id), `datasets/${i}`, keys, parts));
  }
  const runs: BundledRun[] = [];
  for (const [i, row] of picked.runs.entries()) {
    reading(datasets.length + i, total, `Reading run "${row.name}"`);
    runs.push(await bundleRun(db, row, `runs/${i}`, cmd.checkpoints === 'all', keys, parts));
  }
  reading(total, total);
  const packing = progressReporter(host, cmd.requestId, 'Compressing the bundle');
  const manifest: Omit<BundleManifest, 'parts'> = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    createdAt: new Date().toISOString(),
    datasets,
    runs,
  };
  const bytes = writeBundle(manifest, parts, (done, of) => packing(done, of));
  const summary = {
    datasets: datasets.length,
    runs: runs.length,
    checkpoints: runs.reduce((s, r) => s + r.checkpoints.length, 0),
    uncompressedBytes: parts.reduce((s, p) => s + p.bytes.length, 0),
  };
  const fileName = `project-bundle-${new Date().toISOString().slice(0, 10)}.zip`;
  host.post({ type: 'bundle-export-result', requestId: cmd.requestId, fileName, bytes, summary }, [bytes.buffer]);
}

// ---- inspect and import ----

/** The last bundle opened, so that an import right after its inspection does not unzip it again. */
let opened: { key: string; bundle: OpenedBundle } | null = null;
const keyOf = (f: Blob, name: string) => `${name}\u0000${f.size}\u0000${(f as File).lastModified ?? 0}`;

async function open(host: SessionHost, requestId: string, file: Blob, name: string, reuse: boolean): Promise<OpenedBundle> {
  const key = keyOf(file, name);
  if (reuse && opened?.key === key) return opened.bundle;
  opened = null;
  if (file.size > MAX_BUNDLE_BYTES)
    throw new UserError(
      `the bundle is ${(file.size / 1e9).toFixed(1)} GB, more than this browser import allows`,
      { file: name },
      'export fewer runs, or only their chosen checkpoints',
    );
  const progress = progressReporter(host, requestId, `Reading ${name}`);
  progress(0, file.size);
  const bundle = readBundle(new Uint8Array(await file.arrayBuffer()), name, (d, t) => progress(d, t, `Checking ${name}`));
  opened = { key, bundle };
  return bundle;
}

function datasetDetail(d: BundledDataset): string {
  const splits = d.versions.reduce((s, v) => s + v.splits.length, 0);
  const rows = d.versions[0].row.rowCount;
  return `${plural(d.versions.length, 'version')}, ${plural(rows, 'row')}${splits ? `, ${plural(splits, 'stored split')}` : ''}`;
}

function runDetail(r: BundledRun): string {
  const meta = r.row.config as RunMeta | null;
  const ckpts = `${r.checkpoints.length} of ${plural(r.storedCheckpoints.length, 'checkpoint')}`;
  return `${r.row.status}, ${plural(r.metricCount, 'metric record')}, ${ckpts}${meta?.datasetName ? `, on "${meta.datasetName}"` : ''}`;
}

/** The bundle's items and, for each, the stored items it conflicts with: a stored item of the same kind with its id (for
 *  a dataset: any of its versions' ids) or its name (a dataset: the original import's name). */
export async function bundleItems(db: StudioDb, m: BundleManifest): Promise<BundleItem[]> {
  const datasets = await db.datasets.toArray();
  const runs = await db.runs.toArray();
  const dsById = new Map(datasets.map((d) => [d.id, d]));
  const store = new DexieRunStore(db);
  const items: BundleItem[] = [];
  for (const d of m.datasets) {
    const found = new Map<string, BundleConflict['reason']>();
    for (const v of d.versions) {
      const s = dsById.get(v.row.id);
      if (s && !found.has(s.rootId)) found.set(s.rootId, 'same-id');
    }
    for (const s of datasets) if (s.id === s.rootId && s.name === d.name && !found.has(s.id)) found.set(s.id, 'same-name');
    const conflicts: BundleConflict[] = [];
    for (const [id, reason] of found) {
      const chunks = await db.rowChunks.where('datasetId').equals(id).sortBy('index');
      const identical = datasetContent(familyOf(datasets, id), chunks) === d.content;
      conflicts.push({ id, name: dsById.get(id)?.name ?? id, reason, identical });
    }
    items.push({ key: `dataset:${d.id}`, kind: 'dataset', id: d.id, name: d.name, detail: datasetDetail(d), conflicts });
  }
  for (const r of m.runs) {
    const conflicts: BundleConflict[] = [];
    for (const s of runs) {
      if (s.id !== r.row.id && s.name !== r.row.name) continue;
      const count = await db.metrics.where('runId').equals(s.id).count();
      const identical = runContent(s, count, await store.listCheckpoints(s.id)) === r.content;
      conflicts.push({ id: s.id, name: s.name, reason: s.id === r.row.id ? 'same-id' : 'same-name', identical });
    }
    items.push({ key: `run:${r.row.id}`, kind: 'run', id: r.row.id, name: r.row.name, detail: runDetail(r), conflicts });
  }
  return items;
}

export async function inspectBundle(host: SessionHost, cmd: Cmd<'bundle-inspect'>): Promise<void> {
  const bundle = await open(host, cmd.requestId, cmd.file, cmd.name, false);
  const m = bundle.manifest;
  const items = await bundleItems(sessionDb(), m);
  host.post({
    type: 'bundle-inspect-result',
    requestId: cmd.requestId,
    inspection: { fileName: cmd.name, bytes: bundle.bytes, createdAt: m.createdAt, version: m.version, items },
  });
}

export async function importBundle(host: SessionHost, cmd: Cmd<'bundle-import'>): Promise<void> {
  const db = sessionDb();
  const bundle = await open(host, cmd.requestId, cmd.file, cmd.name, true);
  // conflicts as the studio is now (it may have changed since the inspection)
  const items = await bundleItems(db, bundle.manifest);
  const plan = planImport(bundle.manifest, items, cmd.decisions, { datasets: await db.datasets.toArray(), runs: await db.runs.toArray() });
  const result = await importPlanned(db, bundle, plan, progressReporter(host, cmd.requestId, `Importing ${cmd.name}`));
  opened = null;
  host.post({ type: 'bundle-import-result', requestId: cmd.requestId, result });
}
