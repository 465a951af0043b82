// The project bundle file: one zip holding bundle.json (format, version, what it holds) and the binary parts (row
// chunks, split codes, metric logs, checkpoints as safetensors plus JSON state) as entries of their own, each with its
// size and CRC-32 in bundle.json so a damaged entry is named on read. Pure: runs in Node and in workers (the store's
// shapes are imported as types only); lib/session/bundle.ts reads and writes the database.
import { unzipSync, Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { UserError } from '../errors';
import { concatBytes } from '../io/bytes';
import type { DatasetRow, RunRow, SplitRow } from '../store/db';
import type { CheckpointMeta } from '../store/types';
import { crc32, fromJson, toJson, utf8 } from './bundle-parts';

export const BUNDLE_FORMAT = 'finetune-studio-bundle';
/** Bump on any change a reader of the previous version would misread; readers refuse versions above theirs. */
export const BUNDLE_VERSION = 1;
export const MANIFEST = 'bundle.json';

export interface BundledSplit {
  id: string;
  createdAt: number;
  settings: SplitRow['settings'];
  counts: SplitRow['counts'];
  /** part: one code per usable record (0 train, 1 validation, 2 test) */
  codes: string;
}

export interface BundledVersion {
  /** the stored row as it is (DatasetRow) */
  row: DatasetRow;
  /** the root's rows, chunk by chunk (parts: UTF-8 JSON string[][], little-endian int32 row numbers); none for a derived version */
  chunks: { rows: string; rowNumbers: string }[];
  splits: BundledSplit[];
  /** the studio's settings for this version ("split:*", "train-data:*": the key with its id as "*") */
  settings: Record<string, unknown>;
}

/** A dataset as one item: its original import (first) and every version derived from it, parents before children. */
export interface BundledDataset {
  id: string;
  name: string;
  /** contentKey of the versions and rows: equal content, equal key */
  content: string;
  versions: BundledVersion[];
}

export interface BundledCheckpoint {
  meta: CheckpointMeta;
  /** part: the checkpoint without its tensors (JSON) */
  state: string;
  /** part: weights, optimizer moments and weight average as "weights.NAME", "optimizer.m.NAME", ... (safetensors) */
  tensors: string;
}

export interface BundledRun {
  /** the stored row as it is (RunRow; config is the studio's RunMeta) */
  row: RunRow;
  /** part: the metric records, one JSON object a line */
  metrics: string;
  metricCount: number;
  /** the checkpoints included (the chosen one, or all) */
  checkpoints: BundledCheckpoint[];
  /** every checkpoint the run had when exported */
  storedCheckpoints: CheckpointMeta[];
  /** settings for this run ("evaluation:*:test", ...) */
  settings: Record<string, unknown>;
  /** an imported model's files (file name -> part) */
  modelFiles?: Record<string, string>;
  content: string;
}

export interface PartInfo {
  bytes: number;
  crc32: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  createdAt: string;
  datasets: BundledDataset[];
  runs: BundledRun[];
  /** every binary entry with its size and checksum */
  parts: Record<string, PartInfo>;
}

// ---- what the studio shows and sends about a bundle (lib/protocol.ts) ----

/** 'skip': leave the stored item, import nothing; 'keep-both': import under new ids and a name like "name (2)";
 *  'replace': delete the stored item(s) it conflicts with, then import. */
export type BundleDecision = 'skip' | 'keep-both' | 'replace';
export const BUNDLE_DECISIONS: BundleDecision[] = ['skip', 'keep-both', 'replace'];

export interface BundleConflict {
  /** the stored item (for a dataset: its original import) */
  id: string;
  name: string;
  reason: 'same-id' | 'same-name';
  /** the stored item has the same content (rows and versions; a run's settings, metrics and checkpoints) */
  identical: boolean;
}

export interface BundleItem {
  /** what a decision is keyed by */
  key: string;
  kind: 'dataset' | 'run';
  id: string;
  name: string;
  /** in words: "2 versions, 300 rows, 1 split" / "done, 45 metric records, 1 of 3 checkpoints" */
  detail: string;
  conflicts: BundleConflict[];
}

export interface BundleInspection {
  fileName: string;
  bytes: number;
  createdAt: string;
  version: number;
  items: BundleItem[];
}

export interface BundleImportResult {
  items: { key: string; kind: 'dataset' | 'run'; name: string; id: string; action: 'added' | 'copied' | 'replaced' | 'skipped' }[];
}

// ---- writing ----

export interface BundlePart {
  path: string;
  bytes: Uint8Array;
  /** deflate it (text); binary floats are stored as they are */
  compress: boolean;
}

const CHUNK = 1 << 20;

/** The zip: bundle.json (with every part's size and checksum) first, then the parts; progress in input bytes. */
export function writeBundle(
  manifest: Omit<BundleManifest, 'parts'>,
  parts: BundlePart[],
  onProgress?: (done: number, total: number) => void,
): Uint8Array {
  const infos: Record<string, PartInfo> = {};
  for (const p of parts) {
    if (infos[p.path] || p.path === MANIFEST) throw new Error(`bundle part ${p.path} written twice`);
    infos[p.path] = { bytes: p.bytes.length, crc32: crc32(p.bytes) };
  }
  const files: BundlePart[] = [{ path: MANIFEST, bytes: utf8(toJson({ ...manifest, parts: infos }, 1)), compress: true }, ...parts];
  const total = files.reduce((s, f) => s + f.bytes.length, 0);
  const out: Uint8Array[] = [];
  let failed: Error | null = null;
  let ended = false;
  const zip = new Zip((err, chunk, final) => {
    if (err) failed = err;
    else out.push(chunk);
    if (final) ended = true;
  });
  let done = 0;
  for (const f of files) {
    const entry = f.compress ? new ZipDeflate(f.path, { level: 6 }) : new ZipPassThrough(f.path);
    zip.add(entry);
    if (!f.bytes.length) entry.push(new Uint8Array(0), true);
    for (let i = 0; i < f.bytes.length; i += CHUNK) {
      const piece = f.bytes.subarray(i, i + CHUNK);
      entry.push(piece, i + CHUNK >= f.bytes.length);
      done += piece.length;
      onProgress?.(done, total);
    }
  }
  zip.end();
  if (failed) throw failed;
  if (!ended) throw new Error('the bundle zip did not finish');
  return concatBytes(out);
}

// ---- reading ----

export interface OpenedBundle {
  name: string;
  bytes: number;
  manifest: BundleManifest;
  /** a part's bytes (checked against bundle.json when the bundle was opened) */
  part(path: string): Uint8Array;
}

const AGAIN = 'export the bundle again from the studio it came from';

/** Unzips and checks a bundle: a readable zip, a bundle.json of a known format and version, and every entry it names
 *  present and intact. Every failure is a UserError naming the file or the entry. */
export function readBundle(bytes: Uint8Array, name: string, onProgress?: (done: number, total: number) => void): OpenedBundle {
  const entries = unzip(bytes, name);
  const mf = `${name}/${MANIFEST}`;
  if (!entries[MANIFEST])
    throw new UserError(
      `the zip has no ${MANIFEST}, so it is not a project bundle`,
      { file: mf },
      'choose a file made with "Export project bundle"; a model zip goes under "Import a zip"',
    );
  let manifest: BundleManifest;
  try {
    manifest = fromJson(new TextDecoder().decode(entries[MANIFEST])) as BundleManifest;
  } catch (e) {
    throw new UserError(`${MANIFEST} is not valid JSON (${(e as Error).message})`, { file: mf }, AGAIN);
  }
  checkManifest(manifest, mf);
  const paths = Object.entries(manifest.parts);
  const total = paths.reduce((s, [, p]) => s + p.bytes, 0);
  let done = 0;
  for (const [path, info] of paths) {
    const b = entries[path];
    if (!b) throw new UserError(`the bundle has no entry "${path}"`, { file: `${name}/${path}` }, `the file is incomplete: ${AGAIN}`);
    if (b.length !== info.bytes || crc32(b) !== info.crc32)
      throw new UserError(
        `entry "${path}" is damaged (its ${b.length !== info.bytes ? 'size' : 'checksum'} does not match ${MANIFEST})`,
        { file: `${name}/${path}` },
        `download or copy the file again, or ${AGAIN}`,
      );
    done += b.length;
    onProgress?.(done, total);
  }
  return {
    name,
    bytes: bytes.length,
    manifest,
    part: (path) => {
      const b = manifest.parts[path] ? entries[path] : undefined;
      if (!b) throw new UserError(`the bundle has no entry "${path}"`, { file: `${name}/${path}` }, AGAIN);
      return b;
    },
  };
}

function unzip(bytes: Uint8Array, name: string): Record<string, Uint8Array> {
  let current = '';
  try {
    return unzipSync(bytes, {
      filter: (f) => {
        current = f.name;
        return true;
      },
    });
  } catch (e) {
    // the directory read fine up to an entry whose data does not: name it
    let listed = false;
    try {
      unzipSync(bytes, { filter: () => false });
      listed = true;
    } catch {
      listed = false;
    }
    const entry = listed && current ? current : '';
    throw new UserError(
      entry ? `entry "${entry}" cannot be unpacked (${(e as Error).message})` : `this is not a readable zip file (${(e as Error).message})`,
      { file: entry ? `${name}/${entry}` : name },
      `the file is damaged or not a project bundle: download it again, or ${AGAIN}`,
    );
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** The shape bundle.json must have: the format and version first (an unknown version says so, not "bad field"). */
function checkManifest(m: BundleManifest, file: string): void {
  if (!isObj(m) || m.format !== BUNDLE_FORMAT)
    throw new UserError(
      `${MANIFEST} does not describe a Finetune Studio project bundle`,
      { file },
      'choose a file made with "Export project bundle"',
    );
  if (!Number.isInteger(m.version) || m.version < 1 || m.version > BUNDLE_VERSION)
    throw new UserError(
      `the bundle is format version ${JSON.stringify(m.version)}; ` +
        `this studio reads version${BUNDLE_VERSION > 1 ? 's 1 to' : ''} ${BUNDLE_VERSION}`,
      { file },
      'update the studio to the version that exported it, or export the bundle again from this version',
    );
  const bad = (what: string): never => {
    throw new UserError(`${MANIFEST} is malformed: ${what}`, { file }, AGAIN);
  };
  if (!isObj(m.parts)) bad('"parts" is missing');
  for (const [p, info] of Object.entries(m.parts))
    if (!isObj(info) || !Number.isInteger(info.bytes) || !Number.isInteger(info.crc32)) bad(`part "${p}" has no size or checksum`);
  const part = (p: unknown, what: string) => {
    if (!isStr(p) || !m.parts[p]) bad(`${what} names no listed entry`);
  };
  if (!Array.isArray(m.datasets) || !Array.isArray(m.runs)) bad('"datasets" or "runs" is missing');
  m.datasets.forEach((d, i) => {
    const at = `dataset ${i + 1}`;
    if (!isObj(d) || !isStr(d.id) || !isStr(d.name) || !Array.isArray(d.versions) || !d.versions.length) bad(`${at} is incomplete`);
    for (const v of d.versions) {
      if (!isObj(v) || !isObj(v.row) || !isStr(v.row.id) || !isStr(v.row.name) || !Array.isArray(v.chunks) || !Array.isArray(v.splits))
        bad(`a version of ${at} is incomplete`);
      if (v.row.rootId !== d.id) bad(`a version of ${at} belongs to another dataset`);
      for (const c of v.chunks) {
        part(c?.rows, `${at}'s rows`);
        part(c?.rowNumbers, `${at}'s row numbers`);
      }
      for (const s of v.splits) {
        if (!isObj(s) || !isStr(s.id)) bad(`a split of ${at} is incomplete`);
        part(s.codes, `a split of ${at}`);
      }
    }
  });
  m.runs.forEach((r, i) => {
    const at = `run ${i + 1}`;
    if (!isObj(r) || !isObj(r.row) || !isStr(r.row.id) || !isStr(r.row.name) || !Array.isArray(r.checkpoints)) bad(`${at} is incomplete`);
    part(r.metrics, `${at}'s metrics`);
    for (const c of r.checkpoints) {
      if (!isObj(c) || !isObj(c.meta) || !isStr(c.meta.id)) bad(`a checkpoint of ${at} is incomplete`);
      part(c.state, `a checkpoint of ${at}`);
      part(c.tensors, `a checkpoint of ${at}`);
    }
    for (const p of Object.values(r.modelFiles ?? {})) part(p, `a model file of ${at}`);
  });
}
