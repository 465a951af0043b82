// Columns -> examples: suggestions for which column is the text, label(s), pair and split, and the validated mapping
// that turns a ParsedTable into DataRecords (labels trimmed and optionally case-folded; numbers kept as names).
import { isNumeric, isTokenTable } from './detect';
import { DataError, WarningSink, snippet } from './errors';
import { NER_TAG_COUNT, convertToBio, sortBioLabels, type TagScheme } from './ner';
import type { ColumnMapping, DataRecord, DataWarning, ParsedTable, SplitName } from './types';

const TEXT_NAMES = new RegExp(
  '^(text|texts|sentence|sentence1|text_a|review|content|message|body|utterance|question|tweet|sms|document|comment|' +
    'query|premise|title|subject|tokens)$',
  'i',
);
const PAIR_NAMES = /^(sentence2|text_b|text2|hypothesis|question2|pair|answer|context)$/i;
const LABEL_NAMES =
  /^(label|labels|category|categories|class|intent|sentiment|target|y|stars|rating|score|topic|emotion|spam|tags|ner_tags)$/i;
const SPLIT_NAMES = /^(split|set|subset|partition|fold|dataset)$/i;

export function normaliseSplit(v: string): SplitName | null {
  const s = v.trim().toLowerCase();
  if (s === 'train' || s === 'training' || s === 'trn') return 'train';
  if (s === 'validation' || s === 'valid' || s === 'val' || s === 'dev' || s === 'eval' || s === 'development') return 'validation';
  if (s === 'test' || s === 'testing' || s === 'tst') return 'test';
  return null;
}

interface ColumnStats {
  name: string;
  meanLength: number;
  distinct: number;
  numericShare: number;
  binaryShare: number;
  splitShare: number;
  hasSeparator: string | null;
}

function stats(table: ParsedTable): ColumnStats[] {
  const sample = table.rows.length > 2000 ? table.rows.filter((_, i) => i % Math.ceil(table.rows.length / 2000) === 0) : table.rows;
  return table.columns.map((name, j) => {
    const vals = sample.map((r) => r[j] ?? '');
    const nonEmpty = vals.filter((v) => v.trim() !== '');
    const n = Math.max(1, nonEmpty.length);
    let sep: string | null = null;
    for (const s of ['|', ';'])
      if (nonEmpty.length && nonEmpty.filter((v) => v.includes(s)).length >= n * 0.1 && nonEmpty.every((v) => v.length < 200)) sep = s;
    return {
      name,
      meanLength: vals.reduce((a, v) => a + v.length, 0) / Math.max(1, vals.length),
      distinct: new Set(nonEmpty.map((v) => v.trim())).size,
      numericShare: nonEmpty.filter(isNumeric).length / n,
      binaryShare: nonEmpty.filter((v) => v.trim() === '0' || v.trim() === '1').length / n,
      splitShare: nonEmpty.filter((v) => normaliseSplit(v) !== null).length / n,
      hasSeparator: sep,
    };
  });
}

/** Names of columns that hold a quantity (as a word: "age", "star_rating", not "message"): over 20 distinct integers
 *  there are a value to predict even when they run 0, 1, 2, … without a gap. */
const QUANTITY_NAMES =
  /(^|[^a-z])(scores?|ratings?|stars|grades?|values?|prices?|costs?|amounts?|counts?|ages?|years?|levels?|ranks?|points|votes)([^a-z]|$)/i;

/** Integer labels that number classes, as a dataset exported from the Hugging Face Hub stores them (Banking77's
 *  0–76): every id from 0 (or 1) to the largest present, each on two rows or more on average, under a name that is
 *  not a quantity's. Integers with gaps (ages, years, prices) are values to predict. */
function looksLikeClassIds(rows: string[][], col: number, name: string): boolean {
  if (QUANTITY_NAMES.test(name)) return false;
  const ids = new Set<number>();
  let n = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    const v = r[col]?.trim();
    if (!v) continue;
    const id = Number(v);
    ids.add(id);
    if (ids.size > 1000) return false;
    lo = Math.min(lo, id);
    hi = Math.max(hi, id);
    n++;
  }
  return (lo === 0 || lo === 1) && hi - lo + 1 === ids.size && n >= 2 * ids.size;
}

/** A best guess the UI pre-fills; the person can change every field. */
export function suggestMapping(table: ParsedTable): ColumnMapping {
  const st = stats(table);
  if (table.format === 'conll' || isTokenTable(table)) {
    const split = st.find((c) => SPLIT_NAMES.test(c.name) && c.splitShare >= 0.5);
    return { task: 'token-classification', text: 'tokens', tags: 'tags', ...(split ? { split: split.name } : {}) };
  }
  const rows = table.rows.length;
  const split = st.find((c) => SPLIT_NAMES.test(c.name) && c.splitShare >= 0.5) ?? st.find((c) => c.splitShare > 0.99 && c.distinct >= 2);
  const rest = st.filter((c) => c !== split);
  const text = rest.find((c) => TEXT_NAMES.test(c.name)) ?? [...rest].sort((a, b) => b.meanLength - a.meanLength)[0];
  const pair = rest.find((c) => c !== text && PAIR_NAMES.test(c.name));
  const others = rest.filter((c) => c !== text && c !== pair);
  const flags = others.filter((c) => c.binaryShare === 1 && !/^(id|idx|index)$/i.test(c.name));
  const mapping: ColumnMapping = { task: 'classification', text: text.name };
  if (pair) mapping.textPair = pair.name;
  if (split) mapping.split = split.name;
  if (flags.length >= 2 && !others.some((c) => LABEL_NAMES.test(c.name) && c.binaryShare < 1)) {
    return { ...mapping, task: 'multilabel', label: flags.map((c) => c.name), labelColumnsAreFlags: true };
  }
  const label =
    others.find((c) => LABEL_NAMES.test(c.name)) ??
    [...others].filter((c) => c.distinct <= Math.max(2, rows * 0.5)).sort((a, b) => a.distinct - b.distinct)[0] ??
    others[0];
  if (!label) return mapping;
  mapping.label = [label.name];
  const col = table.columns.indexOf(label.name);
  const integerish = table.rows.slice(0, 2000).every((r) => !r[col] || /^\s*-?\d+\s*$/.test(r[col]));
  if (label.numericShare > 0.98 && (!integerish || (label.distinct > 20 && !looksLikeClassIds(table.rows, col, label.name))))
    mapping.task = 'regression';
  else if (
    label.hasSeparator ||
    ((table.format === 'json' || table.format === 'jsonl') && table.rows.some((r) => r[table.columns.indexOf(label.name)].includes('|')))
  ) {
    mapping.task = 'multilabel';
    mapping.labelSeparator = label.hasSeparator ?? '|';
  }
  return mapping;
}

export interface MappedData {
  records: DataRecord[];
  /** label names in id order (sorted, numbers numerically); empty for regression */
  labels: string[];
  warnings: DataWarning[];
}

export interface MapOptions {
  file?: string;
}

function col(table: ParsedTable, name: string | undefined, option: string, file?: string): number {
  if (name === undefined) return -1;
  const j = table.columns.indexOf(name);
  if (j < 0) {
    throw new DataError(
      'unknown-column',
      `There is no column "${name}"`,
      { file, option, column: name },
      `Choose one of: ${table.columns.map((c) => JSON.stringify(c)).join(', ')}.`,
    );
  }
  return j;
}

export const labelCollator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** A label with fewer examples than this, beside one with at least four times as many, is named in a warning: it can
 *  hardly be learned, and may not reach validation. */
export const RARE_LABEL_EXAMPLES = 5;

const quoted = (xs: string[], most = 3) =>
  xs
    .slice(0, most)
    .map((x) => JSON.stringify(x))
    .join(', ') + (xs.length > most ? ` and ${xs.length - most} more` : '');

/** Labels that differ only in case (separate classes unless case is ignored), and labels with very few examples. */
/** Labeled rows from which a file whose labels nearly all occur once is warned about (a few-row file is a toy). */
const UNIQUE_LABELS_MIN_ROWS = 10;

function labelWarnings(records: DataRecord[], counts: Map<string, number>, m: ColumnMapping, w: WarningSink): void {
  const column = m.label?.join(', ');
  /** one warning over the rows holding any of `labels` */
  const warn = (code: DataWarning['code'], message: string, labels: Set<string>, example: string) => {
    for (const r of records) {
      const ls = r.label === null ? [] : Array.isArray(r.label) ? r.label : [r.label];
      if (ls.some((l) => labels.has(String(l)))) w.add(code, message, r.row, { column, snippet: example });
    }
  };
  const byFolded = new Map<string, string[]>();
  for (const l of counts.keys()) byFolded.set(l.toLowerCase(), [...(byFolded.get(l.toLowerCase()) ?? []), l]);
  const clashes = [...byFolded.values()].filter((ls) => ls.length > 1);
  if (clashes.length) {
    const pairs = clashes.map((ls) => ls.map((l) => JSON.stringify(l)).join(' and '));
    // the rows of the less common spellings
    const minor = new Set(clashes.flatMap((ls) => [...ls].sort((a, b) => counts.get(b)! - counts.get(a)!).slice(1)));
    warn(
      'label-case',
      `Some labels differ only in case (${pairs.slice(0, 3).join('; ')}${pairs.length > 3 ? '; …' : ''}); ` +
        'they are separate classes unless label case is ignored',
      minor,
      clashes[0].join(' / '),
    );
  }
  // a label per row (an id, a free-text or a score column picked as the label): nothing to learn a label from
  const labeled = records.filter((r) => r.label !== null).length;
  const once = [...counts.values()].filter((n) => n === 1).length;
  if (labeled >= UNIQUE_LABELS_MIN_ROWS && once >= 0.9 * labeled) {
    warn(
      'unique-labels',
      `${once === labeled ? 'Every label occurs once' : 'Nearly every label occurs once'} (${counts.size.toLocaleString('en')} ` +
        `labels in ${labeled.toLocaleString('en')} rows): a classifier learns each label from several examples, and a ` +
        `label held out for validation is never trained on. Is "${column}" an id, a free-text or a number column?`,
      new Set([...counts].filter(([, n]) => n === 1).map(([l]) => l)),
      [...counts.keys()].slice(0, 3).join(' / '),
    );
    return;
  }
  // only beside a label with many: in a file of a few rows every label is small, and that is the file's own warning
  const most = Math.max(...counts.values());
  const rare = most >= 4 * RARE_LABEL_EXAMPLES ? [...counts].filter(([, n]) => n < RARE_LABEL_EXAMPLES).map(([l]) => l) : [];
  if (rare.length) {
    const one = rare.length === 1;
    warn(
      'rare-label',
      `${one ? 'Label' : 'Labels'} ${quoted(rare)} ${one ? 'has' : 'have'} fewer than ${RARE_LABEL_EXAMPLES} examples: ` +
        `too few to learn, and ${one ? 'it' : 'they'} may be missing from the validation split`,
      new Set(rare),
      rare.slice(0, 3).join(' / '),
    );
  }
}

/** Validates a mapping against the table and builds the records. Throws DataError on a mapping that cannot train. */
export function applyMapping(table: ParsedTable, m: ColumnMapping, opts: MapOptions = {}): MappedData {
  const file = opts.file;
  const w = new WarningSink();
  const jt = col(table, m.text, 'text', file);
  const jp = col(table, m.textPair, 'textPair', file);
  const js = col(table, m.split, 'split', file);
  const jtags = m.task === 'token-classification' ? col(table, m.tags ?? 'tags', 'tags', file) : -1;
  const jl = (m.label ?? []).map((l) => col(table, l, 'label', file));
  if (m.task !== 'token-classification' && jl.length === 0) {
    throw new DataError('no-labels', 'No label column was chosen', { file, option: 'label' }, 'Pick the column that holds the labels.');
  }
  if ((m.task === 'classification' || m.task === 'regression') && jl.length > 1) {
    throw new DataError(
      'bad-option',
      `A ${m.task} task takes one label column, ${jl.length} were chosen`,
      { file, option: 'label' },
      'Choose one column, or switch to multi-label.',
    );
  }
  const fold = (s: string) => (m.caseFoldLabels ? s.trim().toLowerCase() : s.trim());
  const records: DataRecord[] = new Array(table.rows.length);
  const counts = new Map<string, number>();
  let nonEmpty = 0;
  for (let i = 0; i < table.rows.length; i++) {
    const r = table.rows[i];
    const row = table.rowNumbers[i];
    const text = r[jt] ?? '';
    const rec: DataRecord = { row, text, label: null };
    if (text.trim() === '') w.add('empty-text', 'Some rows have an empty text; they are left out of training', row, { column: m.text });
    else nonEmpty++;
    if (jp >= 0) {
      rec.textPair = r[jp] ?? '';
      if (rec.textPair.trim() === '') w.add('empty-text', 'Some rows have an empty text', row, { column: m.textPair });
    }
    if (js >= 0) {
      const s = normaliseSplit(r[js] ?? '');
      if (s) rec.split = s;
      else
        w.add(
          'bad-split-value',
          'Some split values are not train/validation/test (or dev/val/test); those rows go to the split you choose',
          row,
          { column: m.split, snippet: snippet(r[js] ?? '') },
        );
    }
    if (m.task === 'token-classification') {
      rec.words = text.split(' ').filter((x) => x !== '');
      rec.tags = (r[jtags] ?? '').split(' ').filter((x) => x !== '');
      // tags are counted (and converted to BIO) after the loop, over the whole file: the scheme is the file's
      if (rec.words.length !== rec.tags.length)
        w.add(NER_TAG_COUNT, 'Some rows do not have one tag per word; they are left out of training', row, {
          column: m.tags ?? 'tags',
          snippet: snippet(`${rec.words.length} words, ${rec.tags.length} tags`),
        });
      else if (rec.tags.length > 0) rec.label = rec.tags;
    } else if (m.task === 'regression') {
      const v = (r[jl[0]] ?? '').trim();
      if (v === '') w.add('missing-label', 'Some rows have no label; they are left out of training', row, { column: m.label![0] });
      else if (!isNumeric(v))
        w.add('non-numeric-label', 'Some regression labels are not numbers; those rows are left out', row, {
          column: m.label![0],
          snippet: snippet(v),
        });
      else rec.label = Number(v);
    } else if (m.task === 'multilabel') {
      let names: string[];
      if (m.labelColumnsAreFlags)
        names = jl
          .filter((j) => {
            const v = (r[j] ?? '').trim().toLowerCase();
            return v === '1' || v === 'true' || v === 'yes';
          })
          .map((j) => table.columns[j]);
      else {
        const sep = m.labelSeparator;
        names = jl
          .flatMap((j) => (sep ? (r[j] ?? '').split(sep) : [r[j] ?? '']))
          .map(fold)
          .filter((x) => x !== '');
      }
      // an empty cell (a JSON record's empty list or missing key, a CSV row short of the cell) names no label: the row
      // is an example of none of them, as an all-zero row of flag columns is; dropping such rows would teach the model
      // that every text has a label
      if (!m.labelColumnsAreFlags && names.length === 0)
        w.add(
          'no-label-applies',
          'Some rows have an empty label cell; in a multi-label file they train as texts none of the labels applies to ' +
            '(remove rows that are only unlabeled)',
          row,
          { column: m.label!.join(', ') },
        );
      rec.label = [...new Set(names)];
      for (const n of rec.label) counts.set(n, (counts.get(n) ?? 0) + 1);
    } else {
      const v = fold(r[jl[0]] ?? '');
      if (v === '') w.add('missing-label', 'Some rows have no label; they are left out of training', row, { column: m.label![0] });
      else {
        rec.label = v;
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
    }
    records[i] = rec;
  }
  if (nonEmpty === 0)
    throw new DataError(
      'all-text-empty',
      `Every row's text is empty in column "${m.text}"`,
      { file, column: m.text, option: 'text' },
      'Choose the column that holds the text.',
    );
  let labels: string[] = [];
  const bio = m.task === 'token-classification' ? toBioRecords(records) : null;
  if (m.task !== 'regression') {
    if (bio) for (const r of records) for (const t of r.label ? r.tags! : []) counts.set(t, (counts.get(t) ?? 0) + 1);
    labels = bio?.scheme ? sortBioLabels(counts.keys()) : [...counts.keys()].sort(labelCollator.compare);
    if (m.labelColumnsAreFlags) labels = (m.label ?? []).filter((l) => counts.has(l));
    if (labels.length === 0) {
      throw new DataError(
        'no-labels',
        `The label column${jl.length > 1 ? 's have' : ' has'} no values`,
        { file, column: m.label?.join(', '), option: 'label' },
        'Choose the column that holds the labels.',
      );
    }
    if (labels.length === 1 && m.task !== 'token-classification') {
      throw new DataError(
        'one-class',
        `The label column has only one class ("${labels[0]}"); a classifier needs at least two`,
        { file, column: m.label?.join(', '), option: 'label', snippet: labels[0] },
        'Choose another label column, or add examples of other classes.',
      );
    }
    if (!bio) labelWarnings(records, counts, m, w);
  } else if (!records.some((r) => typeof r.label === 'number')) {
    throw new DataError(
      'no-labels',
      'No regression label is a number',
      { file, column: m.label?.[0], option: 'label' },
      'Choose a numeric column, or switch to classification.',
    );
  }
  return { records, labels, warnings: [...w.list(), ...(bio?.warnings ?? [])] };
}

/** Token classification: every record's tags in BIO, converted once from the file's scheme (lib/data/ner.ts). */
function toBioRecords(records: DataRecord[]): { scheme: TagScheme | null; warnings: DataWarning[] } {
  // rows left out (no tags, or not one per word) take part as empty sentences, so sentence numbers stay the file's
  const bio = convertToBio(records.map((r) => ({ tags: r.label !== null ? r.tags! : [], row: r.row })));
  records.forEach((r, i) => {
    if (r.label !== null) r.tags = r.label = bio.tags[i];
  });
  return { scheme: bio.scheme, warnings: bio.warnings };
}

/** Key for counting and comparing labels of any task. */
export function labelKey(label: DataRecord['label']): string {
  if (label === null) return '';
  if (Array.isArray(label)) return [...label].sort().join('|');
  return String(label);
}
