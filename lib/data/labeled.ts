// Records + split settings + balancing/augmentation -> LabeledData, the shape training consumes. Unlabeled rows and
// rows with empty text are left out here (the report shows them); sampling and augmentation touch train only.
import { augmentExamples, type AugmentOptions } from './augment';
import { oversample, undersample } from './balance';
import { DataError } from './errors';
import { assignSplits, SPLIT_CODES, type SplitSettings } from './split';
import type { ColumnMapping, DataRecord, Example, LabeledData } from './types';

export interface BuildOptions {
  balance?: 'none' | 'oversample' | 'undersample';
  /** seed for balancing (augmentation has its own) */
  seed?: number;
  augment?: AugmentOptions;
}

export function toExample(r: DataRecord): Example {
  const e: Example = { row: r.row, text: r.text, label: r.label as Example['label'] };
  if (r.textPair !== undefined) e.textPair = r.textPair;
  if (r.words) {
    e.words = r.words;
    e.tags = r.tags;
  }
  return e;
}

/** The rows training can use: a text and a label (and, for NER, one tag per word). Splits index into this list. */
export function usableRecords(records: DataRecord[]): DataRecord[] {
  return records.filter((r) => r.label !== null && r.text.trim() !== '' && (!r.words || r.words.length === r.tags?.length));
}

/** `split`: settings, or stored codes aligned with usableRecords(records). */
export function buildLabeledData(
  records: DataRecord[],
  mapping: ColumnMapping,
  labels: string[],
  split: SplitSettings | Uint8Array,
  opts: BuildOptions = {},
): LabeledData {
  const usable = usableRecords(records);
  if (usable.length === 0)
    throw new DataError('no-rows', 'No row has both a text and a label', { option: 'mapping' }, 'Check the column mapping.');
  const codes = split instanceof Uint8Array ? split : assignSplits(usable, split);
  if (codes.length !== usable.length) {
    throw new DataError(
      'bad-option',
      `The stored split has ${codes.length} rows but the dataset has ${usable.length} usable rows`,
      { option: 'split' },
      'Make a new split for this dataset version.',
    );
  }
  const out: LabeledData = { task: mapping.task, labels: mapping.task === 'regression' ? [] : labels, train: [], validation: [], test: [] };
  usable.forEach((r, i) => out[SPLIT_CODES[codes[i]]].push(toExample(r)));
  if (out.train.length === 0)
    throw new DataError('no-rows', 'The training split is empty', { option: 'ratios' }, 'Give the training split a larger share.');
  const seed = opts.seed ?? 0;
  if (opts.balance === 'oversample') out.train = oversample(out.train, seed);
  else if (opts.balance === 'undersample') out.train = undersample(out.train, seed);
  if (opts.augment) out.train = augmentExamples(out.train, opts.augment);
  return out;
}
