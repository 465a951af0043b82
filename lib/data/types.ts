// Plain data shapes that cross from datasets to training. No tensors here.

/** One labeled example after column mapping. */
export interface Example {
  /** the row of the file it came from (to fix its label in a new dataset version) */
  row?: number;
  text: string;
  textPair?: string;
  /** classification: a label name; multilabel: names; regression: a number */
  label: string | string[] | number;
  /** token classification (NER): words and one tag per word */
  words?: string[];
  tags?: string[];
}

export type SplitName = 'train' | 'validation' | 'test';

export interface LabeledData {
  task: 'classification' | 'multilabel' | 'regression' | 'token-classification';
  /** label names in id order (empty for regression) */
  labels: string[];
  train: Example[];
  validation: Example[];
  test: Example[];
}

// ---- import, mapping, cleaning, splits (lib/data/*) ----

export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'conll';
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1';
export type LineEnding = 'lf' | 'crlf' | 'cr' | 'none';

/** A soft problem: the import goes on; `rows` lists affected rows (1-based, header counted as a spreadsheet shows). */
export interface DataWarning {
  code:
    | 'latin1-fallback'
    | 'ragged-row'
    | 'empty-text'
    | 'missing-label'
    | 'no-label-applies'
    | 'invalid-quotes'
    | 'control-chars'
    | 'mixed-line-endings'
    | 'bad-json-line'
    | 'conll-bad-line'
    | 'duplicate-header'
    | 'non-numeric-label'
    | 'bad-split-value'
    | 'literal-quotes'
    | 'extra-fields'
    | 'ner-invalid-sequence'
    | 'ner-scheme-converted'
    | 'ner-tag-count'
    | 'label-case'
    | 'rare-label'
    | 'unique-labels';
  message: string;
  /** affected rows (at most the first 1,000 are listed; `count` has the total) */
  rows: number[];
  count: number;
  column?: string | number;
  snippet?: string;
}

/** Error codes of hard import problems (a DataError, subclass of UserError). */
export type DataErrorCode =
  | 'empty-file'
  | 'binary-content'
  | 'unbalanced-quotes'
  | 'field-too-large'
  | 'file-too-large'
  | 'bad-json'
  | 'no-rows'
  | 'no-text-column'
  | 'unknown-column'
  | 'one-class'
  | 'no-labels'
  | 'all-text-empty'
  | 'quota-exceeded'
  | 'bad-option'
  | 'conll-empty'
  | 'too-many-columns'
  | 'too-many-fields';

/** The parsed file: every cell a string. CoNLL files become one row per sentence, columns tokens/tags
 *  (space-joined). */
export interface ParsedTable {
  format: DataFormat;
  encoding: TextEncodingName;
  delimiter?: string;
  /** false when " was read as an ordinary character */
  quoting?: boolean;
  lineEnding: LineEnding;
  hasHeader: boolean;
  columns: string[];
  rows: string[][];
  /** 1-based spreadsheet row of rows[i] (header counted), for messages */
  rowNumbers: number[];
  warnings: DataWarning[];
  bytes: number;
}

export interface ColumnMapping {
  task: LabeledData['task'];
  text: string;
  textPair?: string;
  /** classification/regression: one column; multilabel: one or more columns (with `labelSeparator` for one) */
  label?: string[];
  /** multilabel in one column, e.g. "|" or ";" */
  labelSeparator?: string;
  /** multilabel over several 0/1 columns: each column name is a label */
  labelColumnsAreFlags?: boolean;
  /** column with train/validation/test (also dev/val/valid/eval) */
  split?: string;
  /** token-classification (CoNLL): words and tags columns */
  tags?: string;
  caseFoldLabels?: boolean;
}

/** One mapped row. `label` null = missing. `row` is the source's spreadsheet row. */
export interface DataRecord {
  row: number;
  text: string;
  textPair?: string;
  label: string | string[] | number | null;
  split?: SplitName;
  words?: string[];
  tags?: string[];
}

export type ProgressCallback = (done: number, total: number) => void;

/** How to read a file (lib/data/parse.ts): every field is detected when left out. */
export interface ParseOptions {
  fileName?: string;
  format?: DataFormat;
  encoding?: TextEncodingName;
  delimiter?: string;
  /** whether the first row names the columns (delimited files; default: detected) */
  hasHeader?: boolean;
  /** column names the caller was given (the command line's --text-column …): a first row that holds every one of
   *  them is the header, whatever the detection says */
  expectColumns?: string[];
  /** longest allowed cell, in characters (default 100,000): longer usually means a broken quote */
  maxFieldChars?: number;
  /** largest accepted file (default 512 MiB); the store also checks the browser quota before writing */
  maxBytes?: number;
  /** papaparse chunk size in characters (default 1 MiB) */
  chunkSize?: number;
  /** treat " as a quote character (default: yes, except TSV files that only parse cleanly without) */
  quoting?: boolean;
  /** JSON token data under other keys than tokens/words and ner_tags/tags/labels/ner: the keys of the word list and
   *  the tag list (either may be left to the guess). A named key without a list in the first record is an error. */
  tokenFields?: { tokens?: string; tags?: string };
  onProgress?: ProgressCallback;
}
