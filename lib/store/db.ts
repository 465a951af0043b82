// The studio's one IndexedDB database (dexie 4): datasets (metadata, mapping, derived versions), their rows in
// chunks, splits; training runs, metric records, checkpoints; settings. Schema changes go through a new version()
// with an upgrade(), so a database written by an older build opens and reads correctly in a newer one.
import Dexie, { type Table } from 'dexie';
import type { CleanAction } from '@/lib/data/clean';
import type { SplitSettings } from '@/lib/data/split';
import type { ColumnMapping, DataFormat, DataWarning, LineEnding, TextEncodingName } from '@/lib/data/types';
import type { Checkpoint, CheckpointMeta } from './types';

export const DB_NAME = 'finetune-studio';
/** rows per stored chunk: small enough for one structured clone to stay cheap, large enough to keep rows few */
export const ROWS_PER_CHUNK = 5000;

export interface DatasetSource {
  fileName: string;
  bytes: number;
  format: DataFormat;
  encoding: TextEncodingName;
  delimiter?: string;
  quoting?: boolean;
  hasHeader: boolean;
  lineEnding: LineEnding;
}

/** A dataset version. The original import has parentId null and owns the row chunks; a derived version (cleaned)
 *  references its root and stores only the cleaning actions that lead to it from the root's rows. */
export interface DatasetRow {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  rootId: string;
  parentId: string | null;
  ops: CleanAction[];
  source: DatasetSource;
  columns: string[];
  mapping: ColumnMapping | null;
  labels: string[];
  rowCount: number;
  chunkCount: number;
  warnings: DataWarning[];
}

export interface RowChunk {
  datasetId: string;
  index: number;
  /** the chunk's rows as UTF-8 JSON (string[][]): one byte array clones into IndexedDB many times faster than
   *  15,000 small strings, and takes half the space of a UTF-16 string */
  packed: Uint8Array;
  rowNumbers: Int32Array;
}

/** v1 chunks stored rows as arrays; the v2 upgrade packs them. */
interface RowChunkV1 {
  datasetId: string;
  index: number;
  rows?: string[][];
  rowNumbers: number[] | Int32Array;
  packed?: Uint8Array;
}

export function packRows(rows: string[][]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(rows));
}

export function chunkRows(c: RowChunk): string[][] {
  return JSON.parse(new TextDecoder().decode(c.packed)) as string[][];
}

export interface SplitRow {
  id: string;
  datasetId: string;
  createdAt: number;
  settings: SplitSettings;
  /** 0 train, 1 validation, 2 test per usable record (see usableRecords) */
  codes: Uint8Array;
  counts: { train: number; validation: number; test: number };
}

export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'aborted';

export interface RunRow {
  id: string;
  name: string;
  datasetId: string | null;
  config: unknown;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
}

export interface MetricRow {
  seq?: number;
  runId: string;
  step: number;
  record: object;
}

export type CheckpointMetaRow = CheckpointMeta;

export interface CheckpointBlobRow {
  runId: string;
  id: string;
  checkpoint: Checkpoint;
}

export interface SettingRow {
  key: string;
  value: unknown;
}

/** Version 1, as first shipped: datasets and their rows and splits (v1 datasets had no versions; splits stored
 *  codes as plain number arrays). Kept so the upgrade path stays tested. */
export function declareV1(db: Dexie): void {
  db.version(1).stores({
    datasets: 'id, name, createdAt',
    rowChunks: '[datasetId+index], datasetId',
    splits: 'id, datasetId',
  });
}

/** Version 2: dataset versions (rootId/parentId/ops), packed row chunks, typed split codes, runs, metrics, checkpoints, settings. */
export function declareV2(db: Dexie): void {
  db.version(2)
    .stores({
      datasets: 'id, name, createdAt, rootId, parentId',
      rowChunks: '[datasetId+index], datasetId',
      splits: 'id, datasetId, createdAt',
      runs: 'id, status, createdAt, datasetId',
      metrics: '++seq, runId, [runId+step]',
      checkpoints: '[runId+id], runId, [runId+step]',
      checkpointBlobs: '[runId+id], runId',
      settings: 'key',
    })
    .upgrade(async (tx) => {
      await tx
        .table('datasets')
        .toCollection()
        .modify((d: Record<string, unknown>) => {
          d.rootId ??= d.id;
          d.parentId ??= null;
          d.ops ??= [];
          d.updatedAt ??= d.createdAt;
          d.labels ??= [];
          d.warnings ??= [];
          d.mapping ??= null;
        });
      await tx
        .table('rowChunks')
        .toCollection()
        .modify((c: RowChunkV1) => {
          if (c.rows) {
            c.packed = packRows(c.rows);
            delete c.rows;
          }
          if (Array.isArray(c.rowNumbers)) c.rowNumbers = Int32Array.from(c.rowNumbers);
        });
      await tx
        .table('splits')
        .toCollection()
        .modify((s: Record<string, unknown>) => {
          if (Array.isArray(s.codes)) s.codes = Uint8Array.from(s.codes as number[]);
          s.createdAt ??= Date.now();
          if (!s.counts) {
            const c = { train: 0, validation: 0, test: 0 };
            for (const x of s.codes as Uint8Array) c[(['train', 'validation', 'test'] as const)[x]]++;
            s.counts = c;
          }
        });
    });
}

export interface OpenOptions {
  name?: string;
  /** fake-indexeddb in Node tests */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

export class StudioDb extends Dexie {
  datasets!: Table<DatasetRow, string>;
  rowChunks!: Table<RowChunk, [string, number]>;
  splits!: Table<SplitRow, string>;
  runs!: Table<RunRow, string>;
  metrics!: Table<MetricRow, number>;
  checkpoints!: Table<CheckpointMetaRow, [string, string]>;
  checkpointBlobs!: Table<CheckpointBlobRow, [string, string]>;
  settings!: Table<SettingRow, string>;

  constructor(opts: OpenOptions = {}) {
    super(opts.name ?? DB_NAME, opts.indexedDB ? { indexedDB: opts.indexedDB, IDBKeyRange: opts.IDBKeyRange } : undefined);
    declareV1(this);
    declareV2(this);
  }
}

export function openStudioDb(opts: OpenOptions = {}): StudioDb {
  return new StudioDb(opts);
}

export function newId(prefix: string): string {
  const r = globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `${prefix}-${r}`;
}

export async function getSetting<T>(db: StudioDb, key: string, fallback: T): Promise<T> {
  const row = await db.settings.get(key);
  return row ? (row.value as T) : fallback;
}

export async function setSetting(db: StudioDb, key: string, value: unknown): Promise<void> {
  await db.settings.put({ key, value });
}

// ---- storage use ----

export interface StorageInfo {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

interface StorageManagerLike {
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
  persist?: () => Promise<boolean>;
  persisted?: () => Promise<boolean>;
}

function storageManager(): StorageManagerLike | undefined {
  return (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator?.storage;
}

/** Usage and quota where the browser tells them (null elsewhere, e.g. Node). */
export async function storageEstimate(): Promise<StorageInfo> {
  const sm = storageManager();
  const est = sm?.estimate ? await sm.estimate().catch(() => ({}) as { usage?: number; quota?: number }) : {};
  const persisted = sm?.persisted ? await sm.persisted().catch(() => null) : null;
  return { usage: est.usage ?? null, quota: est.quota ?? null, persisted };
}

/** Asks the browser not to evict the studio's data under storage pressure; false where refused or unsupported. */
export async function requestPersist(): Promise<boolean> {
  const sm = storageManager();
  if (!sm?.persist) return false;
  return sm.persist().catch(() => false);
}
