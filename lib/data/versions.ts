// A dataset version as lib/store keeps it: the root's rows, a column mapping and the cleaning actions that lead from
// those rows to this version (rows are never copied). This turns what the store reads back into records, the counts
// of a derived version, a split to store, and the LabeledData training takes; the store itself only reads and writes.
import { applyCleanAll, type CleanAction } from './clean';
import { DataError } from './errors';
import { buildLabeledData, usableRecords, type BuildOptions } from './labeled';
import { applyMapping, type MappedData } from './mapping';
import { assignSplits, SPLIT_CODES, type SplitSettings } from './split';
import type { ColumnMapping, DataRecord, LabeledData, ParsedTable, SplitName } from './types';

/** What a stored version says about itself (lib/store's DatasetRow has these fields and more). */
export interface DatasetVersion {
  name: string;
  mapping: ColumnMapping | null;
  labels: string[];
  rowCount: number;
  ops: CleanAction[];
  source: { fileName: string };
}

/** What a derived version stores besides its parent's fields: no rows, only the actions and what they leave. */
export interface DerivedVersion {
  name: string;
  ops: CleanAction[];
  rowCount: number;
  labels: string[];
}

/** Records of a version: its root's rows -> the version's mapping (or `mapping`) -> its cleaning actions replayed. */
export function versionRecords(table: ParsedTable, version: DatasetVersion, mapping?: ColumnMapping): MappedData {
  const m = mapping ?? version.mapping;
  if (!m)
    throw new DataError(
      'bad-option',
      `Dataset "${version.name}" has no column mapping yet`,
      { option: 'mapping' },
      'Choose the text and label columns first.',
    );
  const mapped = applyMapping(table, m, { file: version.source.fileName });
  return { ...mapped, records: applyCleanAll(mapped.records, version.ops).records };
}

/** A new version = the parent's actions + these. Its row count and labels are what the replay leaves (labels in the
 *  mapping's order); a parent without a mapping has no records to replay, so it passes its own on. */
export function deriveVersion(parent: DatasetVersion, table: ParsedTable, actions: CleanAction[], name?: string): DerivedVersion {
  const ops = [...parent.ops, ...actions];
  let rowCount = parent.rowCount;
  let labels = parent.labels;
  if (parent.mapping) {
    const mapped = applyMapping(table, parent.mapping, { file: parent.source.fileName });
    const cleaned = applyCleanAll(mapped.records, ops).records;
    rowCount = cleaned.length;
    const present = new Set(
      cleaned.flatMap((r: DataRecord) => (Array.isArray(r.label) ? r.label : r.label === null ? [] : [String(r.label)])),
    );
    labels = mapped.labels.filter((l) => present.has(l));
  }
  return { name: name ?? `${parent.name} (cleaned)`, ops, rowCount, labels };
}

/** A split as it is stored: one code per usable record (see usableRecords), and how many rows each part got. */
export function splitToStore(records: DataRecord[], settings: SplitSettings): { codes: Uint8Array; counts: Record<SplitName, number> } {
  const codes = assignSplits(usableRecords(records), settings);
  const counts = { train: 0, validation: 0, test: 0 };
  for (const c of codes) counts[SPLIT_CODES[c]]++;
  return { codes, counts };
}

/** What training takes from a stored version: its records under its own mapping, split by settings or stored codes. */
export function versionLabeledData(
  table: ParsedTable,
  version: DatasetVersion,
  split: SplitSettings | Uint8Array,
  opts: BuildOptions = {},
): LabeledData {
  const { records, labels } = versionRecords(table, version);
  return buildLabeledData(records, version.mapping!, labels, split, opts);
}
