// Files named on the command line -> the engine's data pipeline (lib/data: detection, parsing, column mapping).
// The only thing added here is the translation between engine option names and the command's own flags.
import { basename } from 'node:path';
import { UserError } from '../lib/errors';
import { isTokenTable } from '../lib/data/detect';
import { applyMapping, suggestMapping, type MappedData } from '../lib/data/mapping';
import { parseFile } from '../lib/data/parse';
import type { ColumnMapping, DataWarning, Example, ParsedTable } from '../lib/data/types';
import { str, type ParsedOptions } from './args';
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

/** What the flags say about a delimited file's first row: --header, and the column names given (a first row holding
 *  them all is the header). */
export interface HeaderHint {
  hasHeader?: boolean;
  expectColumns: string[];
}

export function headerHintFrom(opts: ParsedOptions): HeaderHint {
  const h = str(opts, 'header');
  const named = ['text-column', 'text-pair-column', 'label-column', 'tags-column'].map((n) => str(opts, n));
  return {
    ...(h === undefined ? {} : { hasHeader: h === 'yes' }),
    expectColumns: named.filter((n): n is string => n !== undefined),
  };
}

export async function loadTable(path: string, option: string, tokenFields?: TokenFields, header?: HeaderHint): Promise<LoadedTable> {
  const bytes = await readUserFile(path, option);
  const parsed = withFlags(() =>
    parseFile(bytes, {
      fileName: path,
      ...(tokenFields ? { tokenFields } : {}),
      ...(header?.hasHeader !== undefined ? { hasHeader: header.hasHeader } : {}),
      ...(header?.expectColumns.length ? { expectColumns: header.expectColumns } : {}),
    }),
  );
  const rowWarnings = parsed.warnings.filter((w) => ROW_WARNINGS.includes(w.code));
  if (rowWarnings.length === 0) return { path, table: parsed };
  return { path, table: { ...parsed, warnings: parsed.warnings.filter((w) => !ROW_WARNINGS.includes(w.code)) }, rowWarnings };
}

export type TaskFlag = 'classification' | 'multilabel' | 'regression' | 'token-classification';

/** JSON token data: the keys of the word and tag lists (lib/data/parse.ts ParseOptions.tokenFields). */
export type TokenFields = { tokens?: string; tags?: string };

/** --task, with ner read as token-classification (the engine's name). */
export function taskFlag(opts: ParsedOptions): TaskFlag | undefined {
  const t = str(opts, 'task');
  return t === 'ner' ? 'token-classification' : (t as TaskFlag | undefined);
}

/** The keys a JSON file's word and tag lists are under, where the flags name NER data (--task ner or --tags-column);
 *  else undefined, and a JSON file is read as the usual table (or as token data under the usual keys). */
export function tokenFieldsFrom(opts: ParsedOptions): TokenFields | undefined {
  const tags = str(opts, 'tags-column');
  if (taskFlag(opts) !== 'token-classification' && tags === undefined) return undefined;
  const tokens = str(opts, 'text-column');
  return tokens === undefined && tags === undefined ? undefined : { ...(tokens ? { tokens } : {}), ...(tags ? { tags } : {}) };
}

export interface ColumnFlags {
  text?: string;
  textPair?: string;
  label?: string;
  labelSeparator?: string;
  /** labels that differ only in case are one (lower-cased) */
  caseFoldLabels?: boolean;
  /** NER in a delimited file: the column of space-separated tags, one per word of the text column */
  tags?: string;
  task?: TaskFlag;
}

/** The column flags of `opts` (train, eval, inspect); `fixedTask` where the task is known (the training file's, the
 *  model's) and --task is not given. */
export function columnFlags(opts: ParsedOptions, fixedTask?: TaskFlag): ColumnFlags {
  return {
    text: str(opts, 'text-column'),
    textPair: str(opts, 'text-pair-column'),
    label: str(opts, 'label-column'),
    labelSeparator: str(opts, 'label-separator'),
    ...(opts['ignore-label-case'] === true ? { caseFoldLabels: true } : {}),
    tags: str(opts, 'tags-column'),
    task: taskFlag(opts) ?? fixedTask,
  };
}

/** Token classification: CoNLL and token JSON come as the tokens/tags table (JSON keys named on the command line were
 *  read by the parse); any other table names its word and tag columns (space-separated, one tag per word). */
function tokenMapping(t: LoadedTable, flags: ColumnFlags, s: ColumnMapping): { mapping: ColumnMapping; guessed: string[] } {
  const { table } = t;
  const parsedAsTokens = (table.format === 'json' || table.format === 'jsonl') && isTokenTable(table);
  const text = parsedAsTokens ? 'tokens' : (flags.text ?? s.text);
  const tags = parsedAsTokens ? 'tags' : (flags.tags ?? s.tags ?? 'tags');
  const mapping: ColumnMapping = { task: 'token-classification', text, tags, ...(s.split ? { split: s.split } : {}) };
  return { mapping, guessed: flags.task ? [] : ['--task ner'] };
}

/** The mapping from flags; what is not given comes from the engine's suggestion for this table. */
export function mappingFor(t: LoadedTable, flags: ColumnFlags, needLabel: boolean): { mapping: ColumnMapping; guessed: string[] } {
  const s = suggestMapping(t.table);
  if (flags.task === 'token-classification' || (!flags.task && s.task === 'token-classification')) return tokenMapping(t, flags, s);
  const guessed: string[] = [];
  const text = flags.text ?? s.text;
  if (!flags.text) guessed.push(`--text-column ${JSON.stringify(text)}`);
  const mapping: ColumnMapping = { task: flags.task ?? s.task, text };
  if (flags.textPair) mapping.textPair = flags.textPair;
  if (flags.caseFoldLabels) mapping.caseFoldLabels = true;
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
