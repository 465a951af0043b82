// Datasets in the studio database: store an import (all or nothing, in one transaction), read a version and its
// root's rows back, store derived versions (actions, not rows) and splits, rename and delete. Turning rows into
// records, counts and LabeledData is lib/data's (versions.ts): this file reads and writes what it is given
// (lib/session/stored-data.ts puts the two together).
import { DataError } from '@/lib/data/errors';
import type { SplitSettings } from '@/lib/data/split';
import type { ColumnMapping, DataWarning, ParsedTable, ProgressCallback } from '@/lib/data/types';
import type { DerivedVersion } from '@/lib/data/versions';
import { chunkRows, newId, packRows, ROWS_PER_CHUNK, storageEstimate, type DatasetRow, type SplitRow, type StudioDb } from './db';

/** Rough bytes a stored table takes in IndexedDB (UTF-16 strings plus structure). */
function storedSizeEstimate(table: ParsedTable): number {
  return table.bytes * 1.2 + table.rows.length * 16;
}

function isQuotaError(e: unknown): boolean {
  for (let x = e as { name?: string; inner?: unknown } | undefined; x; x = x.inner as typeof x) {
    if (x.name === 'QuotaExceededError') return true;
  }
  return false;
}

function quotaError(file: string | undefined, need?: number, free?: number): DataError {
  const detail =
    need !== undefined && free !== undefined ? ` (needs about ${(need / 1e6).toFixed(1)} MB, ${(free / 1e6).toFixed(1)} MB free)` : '';
  return new DataError(
    'quota-exceeded',
    `The browser's storage for this site is full${detail}; nothing was stored`,
    { file },
    'Delete old datasets, runs or checkpoints in the studio, or import a smaller file.',
  );
}

export interface SaveImportInput {
  name: string;
  table: ParsedTable;
  fileName: string;
  mapping?: ColumnMapping | null;
  labels?: string[];
  warnings?: DataWarning[];
  onProgress?: ProgressCallback;
}

/** Writes the dataset and all its row chunks in one transaction: a failure (quota or other) stores nothing. */
export async function saveImport(db: StudioDb, input: SaveImportInput): Promise<DatasetRow> {
  const { table } = input;
  const need = storedSizeEstimate(table);
  const est = await storageEstimate();
  if (est.quota !== null && est.usage !== null && need > est.quota - est.usage)
    throw quotaError(input.fileName, need, est.quota - est.usage);
  const id = newId('ds');
  const now = Date.now();
  const chunkCount = Math.ceil(table.rows.length / ROWS_PER_CHUNK);
  const row: DatasetRow = {
    id,
    name: input.name,
    createdAt: now,
    updatedAt: now,
    rootId: id,
    parentId: null,
    ops: [],
    source: {
      fileName: input.fileName,
      bytes: table.bytes,
      format: table.format,
      encoding: table.encoding,
      delimiter: table.delimiter,
      quoting: table.quoting,
      hasHeader: table.hasHeader,
      lineEnding: table.lineEnding,
    },
    columns: table.columns,
    mapping: input.mapping ?? null,
    labels: input.labels ?? [],
    rowCount: table.rows.length,
    chunkCount,
    warnings: input.warnings ?? table.warnings,
  };
  try {
    await db.transaction('rw', db.datasets, db.rowChunks, async () => {
      await db.datasets.add(row);
      for (let c = 0; c < chunkCount; c++) {
        const a = c * ROWS_PER_CHUNK;
        const b = Math.min(table.rows.length, a + ROWS_PER_CHUNK);
        await db.rowChunks.add({
          datasetId: id,
          index: c,
          packed: packRows(table.rows.slice(a, b)),
          rowNumbers: Int32Array.from(table.rowNumbers.slice(a, b)),
        });
        input.onProgress?.(b, table.rows.length);
      }
    });
  } catch (e) {
    if (isQuotaError(e)) throw quotaError(input.fileName);
    throw e;
  }
  return row;
}

export async function getDataset(db: StudioDb, id: string): Promise<DatasetRow> {
  const d = await db.datasets.get(id);
  if (!d)
    throw new DataError('bad-option', `There is no dataset "${id}"`, { option: 'dataset' }, 'It may have been deleted; choose another.');
  return d;
}

export async function listDatasets(db: StudioDb): Promise<DatasetRow[]> {
  return db.datasets.orderBy('createdAt').toArray();
}

/** A dataset version and its root's stored rows, as a table again: what lib/data/versions.ts makes records of. */
export async function loadVersion(db: StudioDb, id: string): Promise<{ dataset: DatasetRow; table: ParsedTable }> {
  const d = await getDataset(db, id);
  return { dataset: d, table: await rootTable(db, d) };
}

/** The stored rows of a dataset version (its root's rows), as a table again. */
export async function loadTable(db: StudioDb, id: string): Promise<ParsedTable> {
  return rootTable(db, await getDataset(db, id));
}

async function rootTable(db: StudioDb, d: DatasetRow): Promise<ParsedTable> {
  const root = d.rootId === d.id ? d : await getDataset(db, d.rootId);
  const chunks = await db.rowChunks.where('datasetId').equals(root.id).sortBy('index');
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (const c of chunks) {
    for (const r of chunkRows(c)) rows.push(r);
    for (const n of c.rowNumbers) rowNumbers.push(n);
  }
  const s = root.source;
  return {
    format: s.format,
    encoding: s.encoding,
    delimiter: s.delimiter,
    quoting: s.quoting,
    lineEnding: s.lineEnding,
    hasHeader: s.hasHeader,
    columns: root.columns,
    rows,
    rowNumbers,
    warnings: root.warnings,
    bytes: s.bytes,
  };
}

/** A version's new mapping and the labels it gives (applyMapping's, over the root's rows). */
export async function setMapping(db: StudioDb, id: string, mapping: ColumnMapping, labels: string[]): Promise<DatasetRow> {
  const d = await getDataset(db, id);
  await db.datasets.update(id, { mapping, labels, updatedAt: Date.now() });
  return { ...d, mapping, labels };
}

/** Stores a version derived from `parent` (lib/data's deriveVersion says what it is). Rows are not copied; the root
 *  stays as imported. */
export async function saveVersion(db: StudioDb, parent: DatasetRow, derived: DerivedVersion): Promise<DatasetRow> {
  const now = Date.now();
  const { name, ops, rowCount, labels } = derived;
  const v: DatasetRow = {
    ...parent,
    id: newId('ds'),
    name,
    createdAt: now,
    updatedAt: now,
    parentId: parent.id,
    ops,
    rowCount,
    labels,
    chunkCount: 0,
  };
  await db.datasets.add(v);
  return v;
}

export async function renameDataset(db: StudioDb, id: string, name: string): Promise<void> {
  const n = name.trim();
  if (!n) throw new DataError('bad-option', 'A dataset needs a name', { option: 'name' }, 'Type a name.');
  const changed = await db.datasets.update(id, { name: n, updatedAt: Date.now() });
  if (!changed) await getDataset(db, id);
}

/** Deletes a version, every version derived from it, their splits and (for an original) its rows. */
export async function deleteDataset(db: StudioDb, id: string): Promise<number> {
  return db.transaction('rw', db.datasets, db.rowChunks, db.splits, async () => {
    const doomed = [id];
    for (let i = 0; i < doomed.length; i++) {
      const kids = await db.datasets.where('parentId').equals(doomed[i]).primaryKeys();
      doomed.push(...kids);
    }
    for (const d of doomed) {
      await db.rowChunks.where('datasetId').equals(d).delete();
      await db.splits.where('datasetId').equals(d).delete();
    }
    await db.datasets.bulkDelete(doomed);
    return doomed.length;
  });
}

/** Stores a split of a version: its settings and the codes and counts lib/data's splitToStore made of them. */
export async function saveSplit(
  db: StudioDb,
  datasetId: string,
  settings: SplitSettings,
  split: Pick<SplitRow, 'codes' | 'counts'>,
): Promise<SplitRow> {
  const row: SplitRow = { id: newId('split'), datasetId, createdAt: Date.now(), settings, codes: split.codes, counts: split.counts };
  await db.splits.add(row);
  return row;
}

export async function listSplits(db: StudioDb, datasetId: string): Promise<SplitRow[]> {
  return db.splits.where('datasetId').equals(datasetId).sortBy('createdAt');
}

export async function getSplit(db: StudioDb, id: string): Promise<SplitRow> {
  const row = await db.splits.get(id);
  if (!row) throw new DataError('bad-option', `There is no split "${id}"`, { option: 'split' }, 'Make a split first.');
  return row;
}

// Reading and making in one call, for callers that hold only the database (Evaluate's rebuild of a run's data): what
// is read comes from above, what is made of it from lib/data/versions.ts.
