// Datasets in the studio database: store an import (all or nothing, in one transaction), read rows back, derive
// cleaned versions (they store actions, not rows), splits, and LabeledData for training. Rename and delete too.
import { applyCleanAll, type CleanAction } from '@/lib/data/clean';
import { DataError } from '@/lib/data/errors';
import { buildLabeledData, usableRecords, type BuildOptions } from '@/lib/data/labeled';
import { importData, type ImportOptions, type ImportResult } from '@/lib/data/import';
import { applyMapping, type MappedData } from '@/lib/data/mapping';
import { assignSplits, SPLIT_CODES, type SplitSettings } from '@/lib/data/split';
import type { ColumnMapping, DataRecord, DataWarning, LabeledData, ParsedTable, ProgressCallback } from '@/lib/data/types';
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

/** The stored rows of a dataset version (its root's rows), as a table again. */
export async function loadTable(db: StudioDb, id: string): Promise<ParsedTable> {
  const d = await getDataset(db, id);
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

/** Records of a version: root rows -> the version's mapping -> its cleaning actions replayed. */
export async function loadRecords(db: StudioDb, id: string, mapping?: ColumnMapping): Promise<MappedData & { dataset: DatasetRow }> {
  const d = await getDataset(db, id);
  const m = mapping ?? d.mapping;
  if (!m)
    throw new DataError(
      'bad-option',
      `Dataset "${d.name}" has no column mapping yet`,
      { option: 'mapping' },
      'Choose the text and label columns first.',
    );
  const mapped = applyMapping(await loadTable(db, id), m, { file: d.source.fileName });
  return { ...mapped, records: applyCleanAll(mapped.records, d.ops).records, dataset: d };
}

export async function setMapping(db: StudioDb, id: string, mapping: ColumnMapping): Promise<DatasetRow> {
  const d = await getDataset(db, id);
  const mapped = applyMapping(await loadTable(db, id), mapping, { file: d.source.fileName });
  await db.datasets.update(id, { mapping, labels: mapped.labels, updatedAt: Date.now() });
  return { ...d, mapping, labels: mapped.labels };
}

/** A new version = parent's actions + these. Rows are not copied; the root stays as imported. */
export async function deriveVersion(db: StudioDb, parentId: string, actions: CleanAction[], name?: string): Promise<DatasetRow> {
  const p = await getDataset(db, parentId);
  const now = Date.now();
  const ops = [...p.ops, ...actions];
  let rowCount = p.rowCount;
  let labels = p.labels;
  if (p.mapping) {
    const mapped = applyMapping(await loadTable(db, parentId), p.mapping, { file: p.source.fileName });
    const cleaned = applyCleanAll(mapped.records, ops).records;
    rowCount = cleaned.length;
    const present = new Set(
      cleaned.flatMap((r: DataRecord) => (Array.isArray(r.label) ? r.label : r.label === null ? [] : [String(r.label)])),
    );
    labels = mapped.labels.filter((l) => present.has(l));
  }
  const v: DatasetRow = {
    ...p,
    id: newId('ds'),
    name: name ?? `${p.name} (cleaned)`,
    createdAt: now,
    updatedAt: now,
    parentId: p.id,
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

export async function saveSplit(db: StudioDb, datasetId: string, settings: SplitSettings): Promise<SplitRow> {
  const { records } = await loadRecords(db, datasetId);
  const codes = assignSplits(usableRecords(records), settings);
  const counts = { train: 0, validation: 0, test: 0 };
  for (const c of codes) counts[SPLIT_CODES[c]]++;
  const row: SplitRow = { id: newId('split'), datasetId, createdAt: Date.now(), settings, codes, counts };
  await db.splits.add(row);
  return row;
}

export async function listSplits(db: StudioDb, datasetId: string): Promise<SplitRow[]> {
  return db.splits.where('datasetId').equals(datasetId).sortBy('createdAt');
}

/** What training takes: a stored dataset version + its mapping + a stored split (id) or split settings. */
export async function loadLabeledData(
  db: StudioDb,
  datasetId: string,
  split: string | SplitSettings,
  opts: BuildOptions = {},
): Promise<LabeledData> {
  const { records, labels, dataset } = await loadRecords(db, datasetId);
  let s: SplitSettings | Uint8Array;
  if (typeof split === 'string') {
    const row = await db.splits.get(split);
    if (!row) throw new DataError('bad-option', `There is no split "${split}"`, { option: 'split' }, 'Make a split first.');
    s = row.codes;
  } else s = split;
  return buildLabeledData(records, dataset.mapping!, labels, s, opts);
}

/** The whole import in one call: parse -> map -> store (all or nothing). Throws DataError before writing anything. */
export async function importDataset(
  db: StudioDb,
  bytes: Uint8Array,
  opts: ImportOptions & { name?: string },
): Promise<{ dataset: DatasetRow; result: ImportResult }> {
  const result = importData(bytes, opts);
  const fileName = opts.fileName ?? 'data';
  const dataset = await saveImport(db, {
    name: opts.name ?? fileName.replace(/\.[^.]+$/, ''),
    table: result.table,
    fileName,
    mapping: result.mapping,
    labels: result.data.labels,
    warnings: result.warnings,
  });
  return { dataset, result };
}
