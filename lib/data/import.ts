// The import pipeline in one call: bytes -> parsed table -> (suggested or given) mapping -> validated records.
import { applyMapping, suggestMapping, type MappedData } from './mapping';
import { parseFile } from './parse';
import type { ParseOptions } from './types';
import type { ColumnMapping, DataWarning, ParsedTable } from './types';

export interface ImportOptions extends ParseOptions {
  /** the mapping to apply; omitted: the suggestion */
  mapping?: ColumnMapping;
}

export interface ImportResult {
  table: ParsedTable;
  mapping: ColumnMapping;
  data: MappedData;
  /** parse and mapping warnings together */
  warnings: DataWarning[];
}

export function importData(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const table = parseFile(bytes, opts);
  const mapping = opts.mapping ?? suggestMapping(table);
  const data = applyMapping(table, mapping, { file: opts.fileName });
  return { table, mapping, data, warnings: [...table.warnings, ...data.warnings] };
}
