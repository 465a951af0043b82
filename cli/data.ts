// Files named on the command line -> the engine's data pipeline (lib/data: detection, parsing, column mapping).
// The only thing added here is the translation between engine option names and the command's own flags.
import { basename } from 'node:path';
import { UserError } from '../lib/errors';
import { applyMapping, suggestMapping, type MappedData } from '../lib/data/mapping';
import { parseFile } from '../lib/data/parse';
import type { ColumnMapping, DataWarning, Example, ParsedTable } from '../lib/data/types';
import { readUserFile } from './context';

/** engine option name (applyMapping's ErrorLocation.option) -> command-line flag */
const FLAG_OF: Record<string, string> = {
  text: '--text-column',
  textPair: '--text-pair-column',
  label: '--label-column',
  split: '--split-column',
  tags: '--tags-column',
};

/** Re-labels a UserError's option with the flag the person typed. */
export function withFlags<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UserError && e.where.option && FLAG_OF[e.where.option]) {
      (e.where as { option?: string }).option = FLAG_OF[e.where.option];
    }
    throw e;
  }
}

export interface LoadedTable {
  path: string;
  table: ParsedTable;
  /** the parse's warnings about rows left out or read short, moved out of `table.warnings`: `mapTable` reports them
   *  with the mapping's own (the ones `train` prints), so no row is dropped without a word */
  rowWarnings?: DataWarning[];
}

const ROW_WARNINGS: DataWarning['code'][] = ['extra-fields', 'ragged-row'];

export async function loadTable(path: string, option: string): Promise<LoadedTable> {
  const bytes = await readUserFile(path, option);
  const parsed = withFlags(() => parseFile(bytes, { fileName: path }));
  const rowWarnings = parsed.warnings.filter((w) => ROW_WARNINGS.includes(w.code));
  if (rowWarnings.length === 0) return { path, table: parsed };
  return { path, table: { ...parsed, warnings: parsed.warnings.filter((w) => !ROW_WARNINGS.includes(w.code)) }, rowWarnings };
}

export interface ColumnFlags {
  text?: string;
  textPair?: string;
  label?: string;
  labelSeparator?: string;
  task?: 'classification' | 'multilabel' | 'regression';
}

/** The mapping from flags; what is not given comes from the engine's suggestion for this table. */
export function mappingFor(t: LoadedTable, flags: ColumnFlags, needLabel: boolean): { mapping: ColumnMapping; guessed: string[] } {
  const s = suggestMapping(t.table);
  const guessed: string[] = [];
  const text = flags.text ?? s.text;
  if (!flags.text) guessed.push(`--text-column ${JSON.stringify(text)}`);
  const mapping: ColumnMapping = { task: flags.task ?? (s.task === 'token-classification' ? 'classification' : s.task), text };
  if (flags.textPair) mapping.textPair = flags.textPair;
  if (needLabel) {
    const label = flags.label ? [flags.label] : s.label;
    if (!label?.length) {
      throw new UserError(
        'no label column was given and none could be guessed',
        { file: t.path, option: '--label-column' },
        `name it with --label-column (columns: ${t.table.columns.join(', ')})`,
      );
    }
    if (!flags.label) guessed.push(`--label-column ${JSON.stringify(label.join(','))}`);
    mapping.label = label;
    if (!flags.task && !flags.label && s.labelColumnsAreFlags) mapping.labelColumnsAreFlags = true;
    if (mapping.task === 'multilabel' && !mapping.labelColumnsAreFlags)
      mapping.labelSeparator = flags.labelSeparator ?? s.labelSeparator ?? '|';
    if (!flags.task && mapping.task !== 'classification') guessed.push(`--task ${mapping.task}`);
  }
  return { mapping, guessed };
}

export function mapTable(t: LoadedTable, mapping: ColumnMapping): MappedData {
  const mapped = withFlags(() => applyMapping(t.table, mapping, { file: t.path }));
  return t.rowWarnings?.length ? { ...mapped, warnings: [...t.rowWarnings, ...mapped.warnings] } : mapped;
}

/** Rows with a label (or all rows when labels are not needed) as engine examples, with their spreadsheet rows. */
export function toExamples(data: MappedData, needLabel: boolean): { examples: Example[]; rows: number[]; skipped: number } {
  const examples: Example[] = [];
  const rows: number[] = [];
  let skipped = 0;
  for (const r of data.records) {
    if (needLabel && r.label === null) {
      skipped++;
      continue;
    }
    const ex: Example = { text: r.text, label: r.label ?? '' };
    if (r.textPair !== undefined) ex.textPair = r.textPair;
    examples.push(ex);
    rows.push(r.row);
  }
  return { examples, rows, skipped };
}

export function shortName(path: string): string {
  return basename(path);
}
