// A stored dataset version as the engine uses it: the store reads rows and settings (lib/store/db-datasets.ts),
// lib/data turns them into records and training data (lib/data/versions.ts). The studio's commands and tests read
// datasets through these two.
import type { BuildOptions } from '../data/labeled';
import type { MappedData } from '../data/mapping';
import type { SplitSettings } from '../data/split';
import type { ColumnMapping, LabeledData } from '../data/types';
import { versionLabeledData, versionRecords } from '../data/versions';
import type { DatasetRow, StudioDb } from '../store/db';
import { getSplit, loadVersion, saveImport } from '../store/db-datasets';
import { importData, type ImportOptions } from '../data/import';

/** Records of a stored version: its root's rows -> the version's (or the given) mapping -> its cleaning replayed. */
export async function loadRecords(db: StudioDb, id: string, mapping?: ColumnMapping): Promise<MappedData & { dataset: DatasetRow }> {
  const { dataset, table } = await loadVersion(db, id);
  return { ...versionRecords(table, dataset, mapping), dataset };
}

/** What training takes: a stored dataset version + its mapping + a stored split (id) or split settings. */
export async function loadLabeledData(
  db: StudioDb,
  datasetId: string,
  split: string | SplitSettings,
  opts: BuildOptions = {},
): Promise<LabeledData> {
  const { dataset, table } = await loadVersion(db, datasetId);
  const s = typeof split === 'string' ? (await getSplit(db, split)).codes : split;
  return versionLabeledData(table, dataset, s, opts);
}

/** A file into the database as one import: parse and map it (lib/data), then store it (lib/store), all or nothing. */
export async function importAndStore(db: StudioDb, bytes: Uint8Array, opts: ImportOptions) {
  const result = importData(bytes, opts);
  const fileName = opts.fileName ?? 'data';
  const dataset = await saveImport(db, {
    name: fileName.replace(/\.[^.]+$/, ''),
    table: result.table,
    fileName,
    mapping: result.mapping,
    labels: result.data.labels,
    warnings: result.warnings,
  });
  return { dataset, result };
}
