// Dataset operations for the Data screen: preview (parse + suggested mapping), import with progress (all or nothing),
// report with cleaning counts, cleaning into a derived version, delete. The split settings chosen at import are kept
// per dataset and used when a run starts.
import { applyCleanAll, describeAction, previewClean, type CleanAction } from '../data/clean';
import { applyMapping, suggestMapping } from '../data/mapping';
import { parseFile } from '../data/parse';
import { analyse } from '../data/report';
import { assignSplits, SPLIT_CODES, type SplitSettings as DataSplitSettings } from '../data/split';
import { usableRecords } from '../data/labeled';
import type { DataWarning, ParsedTable } from '../data/types';
import type { Command } from '../protocol';
import { UserError } from '../errors';
import { getSetting, setSetting, type StudioDb } from '../store/db';
import { deleteDataset, getDataset, loadVersion, renameDataset, saveImport, saveVersion } from '../store/db-datasets';
import { deriveVersion, versionRecords } from '../data/versions';
import { augmentExamples, previewAugmentation, vocabularyOf, type AugmentOptions, type AugmentTransform } from '../data/augment';
import { classWeights as inverseFrequencyWeights } from '../data/balance';
import { buildLabeledData, type BuildOptions } from '../data/labeled';
import type { LabeledData } from '../data/types';
import { progressReporter, type SessionHost } from './context';
import { currentTokenizer } from './models';
import { dataFacts } from '../run/facts';
import { foldSplit } from '../run/cross-validate';
import { sessionDb } from './state';
import type { DatasetSummary, SplitSettings, TrainingDataOptions, TrainingDataSummary } from './types';

export type { TrainingDataOptions, TrainingDataSummary };

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

const FORMAT_NAMES: Record<string, string> = { csv: 'CSV', tsv: 'TSV', jsonl: 'JSON Lines', json: 'JSON', conll: 'CoNLL' };
const DELIMS: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/** The parsed file of the last preview, so import does not parse twice. */
let parsed: { key: string; table: ParsedTable } | null = null;
const keyOf = (f: Blob, name: string) => `${name}\u0000${f.size}\u0000${(f as File).lastModified ?? 0}`;

export function describeWarning(w: DataWarning): string {
  const rows = w.rows.length
    ? ` (row${w.rows.length > 1 ? 's' : ''} ${w.rows.slice(0, 8).join(', ')}${w.count > 8 ? ` and ${w.count - 8} more` : ''})`
    : '';
  return `${w.message}${rows}`;
}

async function parse(host: SessionHost, requestId: string, file: Blob, name: string, hasHeader?: boolean): Promise<ParsedTable> {
  const key = keyOf(file, name);
  // the last preview's table serves when it was read with the first row as asked (or as detected, when not asked)
  if (parsed?.key === key && (hasHeader === undefined || parsed.table.hasHeader === hasHeader)) return parsed.table;
  const progress = progressReporter(host, requestId, `Reading ${name}`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const table = parseFile(bytes, {
    fileName: name,
    ...(hasHeader === undefined ? {} : { hasHeader }),
    onProgress: (d, t) => progress(d, t, `Parsing ${name}`),
  });
  parsed = { key, table };
  return table;
}

export async function preview(host: SessionHost, cmd: Cmd<'dataset-preview'>): Promise<void> {
  parsed = null;
  const table = await parse(host, cmd.requestId, cmd.file, cmd.name, cmd.hasHeader);
  const delim = table.delimiter && table.format === 'csv' ? ` (${DELIMS[table.delimiter] ?? JSON.stringify(table.delimiter)})` : '';
  host.post({
    type: 'dataset-preview-result',
    requestId: cmd.requestId,
    preview: {
      fileName: cmd.name,
      bytes: table.bytes,
      format: `${FORMAT_NAMES[table.format] ?? table.format}${delim}`,
      encoding: table.encoding.toUpperCase(),
      columns: table.columns,
      rows: table.rows.slice(0, 20),
      rowCount: table.rows.length,
      suggested: suggestMapping(table),
      warnings: table.warnings.map(describeWarning),
      hasHeader: table.hasHeader,
      headerChoice: table.format === 'csv' || table.format === 'tsv',
    },
  });
}

export function toDataSplit(s: SplitSettings): DataSplitSettings {
  if (s.useSplitColumn) return { mode: 'column', fallback: 'train' };
  return {
    mode: 'ratio',
    ratios: { train: Math.max(0, 1 - s.validation - s.test), validation: s.validation, test: s.test },
    seed: s.seed,
    stratify: true,
  };
}

export const DEFAULT_SPLIT: SplitSettings = { validation: 0.1, test: 0.1, seed: 42, useSplitColumn: false };

export async function splitSettingsOf(db: StudioDb, datasetId: string): Promise<SplitSettings> {
  const d = await getDataset(db, datasetId);
  return getSetting(db, `split:${d.id}`, await getSetting(db, `split:${d.rootId}`, DEFAULT_SPLIT));
}

export async function importDataset(host: SessionHost, cmd: Cmd<'dataset-import'>): Promise<void> {
  const db = sessionDb();
  const table = await parse(host, cmd.requestId, cmd.file, cmd.name, cmd.hasHeader);
  const progress = progressReporter(host, cmd.requestId, 'Checking rows');
  const mapped = applyMapping(table, cmd.mapping, { file: cmd.name });
  // a split that cannot be made is a problem now, not when training starts
  assignSplits(usableRecords(mapped.records), toDataSplit(cmd.split));
  const dataset = await saveImport(db, {
    name: cmd.name.replace(/\.[^.]+$/, ''),
    table,
    fileName: cmd.name,
    mapping: cmd.mapping,
    labels: mapped.labels,
    warnings: [...table.warnings, ...mapped.warnings],
    onProgress: (d, t) => progress(d, t, 'Storing rows'),
  });
  await setSetting(db, `split:${dataset.id}`, cmd.split);
  parsed = null;
  host.post({
    type: 'dataset-imported',
    requestId: cmd.requestId,
    datasetId: dataset.id,
    rows: dataset.rowCount,
    warnings: dataset.warnings.map(describeWarning),
  });
}

const CLEAN_ACTIONS: Record<string, CleanAction> = {
  'drop-duplicates': { type: 'drop-duplicates' },
  'drop-near-duplicates': { type: 'drop-duplicates', normalised: true },
  'drop-conflicts': { type: 'drop-conflicts', mode: 'drop-all' },
  'keep-majority': { type: 'drop-conflicts', mode: 'keep-majority' },
  'drop-empty': { type: 'drop-empty' },
  'drop-unlabeled': { type: 'drop-unlabeled' },
  trim: { type: 'trim' },
};

/** A stored version's records: what the store reads back, made into records by lib/data. */
async function loadRecords(db: StudioDb, datasetId: string) {
  const { dataset, table } = await loadVersion(db, datasetId);
  return { ...versionRecords(table, dataset), dataset, table };
}

export async function summarise(db: StudioDb, datasetId: string, maxLength: number): Promise<DatasetSummary> {
  const { records, labels, dataset } = await loadRecords(db, datasetId);
  const tok = currentTokenizer();
  // lengths before any cut, so the share over the max length is real
  const lengthOf = (t: string, p?: string) => tok?.countTokens?.(t, p) ?? tok!.encode(t, p).ids.length;
  const report = analyse(records, tok ? { lengthOf, maxLength } : {});
  const split = await splitSettingsOf(db, datasetId);
  const usable = usableRecords(records);
  const counts = { train: 0, validation: 0, test: 0 };
  try {
    for (const c of assignSplits(usable, toDataSplit(split))) counts[SPLIT_CODES[c]]++;
  } catch {
    counts.train = usable.length;
  }
  const h = report.lengths;
  return {
    datasetId,
    name: dataset.name,
    rows: records.length,
    task: dataset.mapping?.task ?? 'classification',
    labels: labels.map((l) => ({ label: l, count: report.labelDistribution.find((x) => x.label === l)?.count ?? 0 })),
    splits: counts,
    exactDuplicates: report.exactDuplicates.count,
    normalizedDuplicates: report.normalisedDuplicates.count,
    conflicts: report.conflicts.count,
    empty: report.emptyTexts.length,
    tokenLengths: h
      ? {
          bins: h.counts.map((count, i) => ({ from: Math.round(h.edges[i]), to: Math.round(h.edges[i + 1]), count })),
          maxLength: h.maxLength,
          truncatedShare: h.truncatedShare,
        }
      : undefined,
    ...(report.ner ? { ner: report.ner } : {}),
    cleaning: Object.entries(CLEAN_ACTIONS).map(([action, a]) => {
      const p = previewClean(records, a);
      return { action, label: describeAction(a), rows: p.removed + p.modified };
    }),
  };
}

/** The training split as the run will see it (the Data screen's balancing and augmentation applied), under the
 *  loaded model's tokenizer: what the presets' recipes are fitted to. */
export async function recipeFacts(host: SessionHost, cmd: Cmd<'recipe-facts'>): Promise<void> {
  const { data, options } = await trainingData(sessionDb(), cmd.datasetId);
  const facts = dataFacts(data.train, data.labels, data.task, currentTokenizer() ?? undefined, data.validation.length);
  host.post({ type: 'recipe-facts-result', requestId: cmd.requestId, facts, folds: options.folds });
}

export async function report(host: SessionHost, cmd: Cmd<'dataset-report'>): Promise<void> {
  host.post({
    type: 'dataset-report-result',
    requestId: cmd.requestId,
    report: await summarise(sessionDb(), cmd.datasetId, cmd.maxLength),
  });
}

export async function clean(host: SessionHost, cmd: Cmd<'dataset-clean'>): Promise<void> {
  const db = sessionDb();
  const actions = cmd.actions.map((a) => CLEAN_ACTIONS[a]).filter(Boolean);
  const { records, dataset, table } = await loadRecords(db, cmd.datasetId);
  const changes = actions.map((a, i) => {
    const p = previewClean(records, a);
    return { action: cmd.actions[i], rows: p.removed + p.modified };
  });
  let datasetId = cmd.datasetId;
  if (cmd.apply && actions.length) {
    applyCleanAll(records, actions); // throws before anything is stored if an action cannot apply
    const v = await saveVersion(db, dataset, deriveVersion(dataset, table, actions));
    await setSetting(db, `split:${v.id}`, await splitSettingsOf(db, cmd.datasetId));
    datasetId = v.id;
  }
  host.post({ type: 'dataset-clean-result', requestId: cmd.requestId, changes, datasetId });
}

/** Fixes marked on Evaluate as a new version of the dataset (relabelled rows, dropped rows); the original stays. */
export async function fix(host: SessionHost, cmd: Cmd<'dataset-fix'>): Promise<void> {
  const db = sessionDb();
  if (!cmd.fixes.length)
    throw new UserError('no fixes to save', { option: 'fixes' }, 'mark an example as "label is wrong" or "drop" first');
  const { labels, dataset: parent, table } = await loadRecords(db, cmd.datasetId);
  const byLabel = new Map<string, number[]>();
  const dropped: number[] = [];
  for (const f of cmd.fixes) {
    if (f.drop) dropped.push(f.row);
    else if (f.label !== undefined) {
      if (!labels.includes(f.label))
        throw new UserError(
          `"${f.label}" is not a label of this dataset`,
          { option: 'label', row: f.row },
          `choose one of ${labels.slice(0, 10).join(', ')}`,
        );
      byLabel.set(f.label, [...(byLabel.get(f.label) ?? []), f.row]);
    }
  }
  const actions: CleanAction[] = [
    ...[...byLabel].map(([label, rows]) => ({ type: 'relabel' as const, rows, label })),
    ...(dropped.length ? [{ type: 'drop-rows' as const, rows: dropped }] : []),
  ];
  const relabelled = cmd.fixes.length - dropped.length;
  const name = `${parent.name} (${[
    relabelled ? `${relabelled} label fix${relabelled === 1 ? '' : 'es'}` : '',
    dropped.length ? `${dropped.length} dropped` : '',
  ]
    .filter(Boolean)
    .join(', ')})`;
  const v = await saveVersion(db, parent, deriveVersion(parent, table, actions, name));
  await setSetting(db, `split:${v.id}`, await splitSettingsOf(db, cmd.datasetId));
  host.post({ type: 'dataset-fixed', requestId: cmd.requestId, datasetId: v.id, name, relabelled, dropped: dropped.length });
}

export async function remove(host: SessionHost, cmd: Cmd<'dataset-delete'>): Promise<void> {
  await deleteDataset(sessionDb(), cmd.datasetId);
  host.post({ type: 'ok', requestId: cmd.requestId });
}

export async function rename(host: SessionHost, cmd: Cmd<'dataset-rename'>): Promise<void> {
  await renameDataset(sessionDb(), cmd.datasetId, cmd.name);
  host.post({ type: 'ok', requestId: cmd.requestId });
}

// ---- training-data options: imbalance, augmentation, k-fold (kept per dataset, used when a run starts) ----

/** The transforms the Data screen offers (synonym replacement needs a loaded model's embeddings, so not here). */
export const UI_TRANSFORMS: AugmentTransform[] = ['swap', 'delete', 'insert'];

export const DEFAULT_TRAINING_DATA: TrainingDataOptions = {
  classWeights: false,
  smoothing: 0,
  balance: 'none',
  augment: { transforms: ['swap', 'delete', 'insert'], multiplier: 1, seed: 7 },
  folds: 0,
};

export async function trainingDataOf(db: StudioDb, datasetId: string): Promise<TrainingDataOptions> {
  const d = await getDataset(db, datasetId);
  const o = await getSetting<Partial<TrainingDataOptions>>(
    db,
    `train-data:${d.id}`,
    await getSetting(db, `train-data:${d.rootId}`, DEFAULT_TRAINING_DATA),
  );
  return { ...DEFAULT_TRAINING_DATA, ...o, augment: { ...DEFAULT_TRAINING_DATA.augment, ...o.augment } };
}

/** What buildLabeledData needs for these options and this dataset's training texts. */
export function buildOptionsFor(o: TrainingDataOptions, trainTexts: string[], seed: number): BuildOptions {
  const out: BuildOptions = { balance: o.balance, seed };
  if (o.augment.multiplier > 1) {
    const a: AugmentOptions = { transforms: o.augment.transforms, multiplier: o.augment.multiplier, seed: o.augment.seed };
    if (a.transforms.includes('insert')) a.vocabulary = vocabularyOf(trainTexts);
    out.augment = a;
  }
  return out;
}

function weightsFor(o: TrainingDataOptions, data: LabeledData): number[] | undefined {
  if (!o.classWeights || data.task !== 'classification' || !data.labels.length) return undefined;
  return inverseFrequencyWeights(data.train, data.labels, o.smoothing);
}

/** The dataset's labeled data with its stored split and training-data options applied, plus class weights for the loss. */
export async function trainingData(
  db: StudioDb,
  datasetId: string,
  fold?: { k: number; index: number },
): Promise<{ data: LabeledData; classWeights?: number[]; options: TrainingDataOptions }> {
  const options = await trainingDataOf(db, datasetId);
  const split = await splitSettingsOf(db, datasetId);
  const { records, labels, dataset } = await loadRecords(db, datasetId);
  const plain = buildLabeledData(records, dataset.mapping!, labels, toDataSplit(split));
  // cross-validation: the training and validation rows are folded (seeded by the split), the test rows stay apart;
  // balancing and augmentation do not apply (copies of a row would sit in several folds)
  if (fold)
    return {
      data: { ...plain, ...foldSplit([...plain.train, ...plain.validation], fold.k, fold.index, split.seed) },
      classWeights: weightsFor(options, plain),
      options,
    };
  // named entities: resampling and augmentation act on a row's label and text, not on its words and tags: off
  const data =
    (options.balance === 'none' && options.augment.multiplier <= 1) || plain.task === 'token-classification'
      ? plain
      : buildLabeledData(
          records,
          dataset.mapping!,
          labels,
          toDataSplit(split),
          buildOptionsFor(
            options,
            plain.train.map((e) => e.text),
            split.seed,
          ),
        );
  return { data, classWeights: weightsFor(options, plain), options };
}

function checkOptions(o: TrainingDataOptions): void {
  if (!(o.smoothing >= 0 && o.smoothing <= 1000))
    throw new UserError(
      `smoothing must be a number from 0 to 1000 (got ${o.smoothing})`,
      { option: 'smoothing' },
      'use 0 for plain inverse frequency, or 1 to soften the weights of rare classes',
    );
  if (o.folds !== 0 && !(Number.isInteger(o.folds) && o.folds >= 2 && o.folds <= 20))
    throw new UserError(
      `k-fold needs a whole k from 2 to 20 (got ${o.folds})`,
      { option: 'folds' },
      'choose k = 5, or 0 to turn k-fold off',
    );
  if (o.augment.transforms.some((t) => !UI_TRANSFORMS.includes(t)))
    throw new UserError('unknown augmentation transform', { option: 'transforms' }, `choose from ${UI_TRANSFORMS.join(', ')}`);
}

export async function summariseTrainingData(db: StudioDb, datasetId: string, options?: TrainingDataOptions): Promise<TrainingDataSummary> {
  const o = options ?? (await trainingDataOf(db, datasetId));
  checkOptions(o);
  const split = await splitSettingsOf(db, datasetId);
  const { records, labels, dataset } = await loadRecords(db, datasetId);
  const plain = buildLabeledData(records, dataset.mapping!, labels, toDataSplit(split));
  const texts = plain.train.map((e) => e.text);
  const ner = plain.task === 'token-classification';
  // as trainingData: no resampling or augmentation for named entities
  const build = ner ? {} : buildOptionsFor(o, texts, split.seed);
  let train = plain.train;
  if (ner) train = plain.train;
  else if (o.balance === 'oversample')
    train = buildLabeledData(records, dataset.mapping!, labels, toDataSplit(split), { balance: 'oversample', seed: split.seed }).train;
  else if (o.balance === 'undersample')
    train = buildLabeledData(records, dataset.mapping!, labels, toDataSplit(split), { balance: 'undersample', seed: split.seed }).train;
  const trainCount = build.augment ? train.length * build.augment.multiplier : train.length;
  const previewOpts: AugmentOptions = {
    transforms: o.augment.transforms,
    multiplier: Math.max(2, o.augment.multiplier),
    seed: o.augment.seed,
    vocabulary: vocabularyOf(texts),
  };
  const preview =
    o.augment.transforms.length && previewOpts.vocabulary!.length && !plain.train.some((e) => e.words)
      ? previewAugmentation(plain.train, previewOpts, 5).map((p) => ({
          ...p,
          label: Array.isArray(p.label) ? p.label.join(', ') : String(p.label),
        }))
      : [];
  if (build.augment) augmentExamples(train.slice(0, 1), build.augment); // the same checks training will make, now
  const w = weightsFor(o, plain);
  let folds: number[] | null = null;
  if (o.folds >= 2) {
    // the folds a cross-validation trains on: the training and validation rows (test rows stay apart)
    const rows = [...plain.train, ...plain.validation];
    folds = Array.from({ length: o.folds }, (_, f) => foldSplit(rows, o.folds, f, split.seed).validation.length);
  }
  return {
    options: o,
    task: plain.task,
    counts: { trainOriginal: plain.train.length, train: trainCount, validation: plain.validation.length, test: plain.test.length },
    classWeights: w ? plain.labels.map((label, i) => ({ label, weight: w[i] })) : null,
    preview,
    folds,
  };
}

export async function trainingDataCommand(host: SessionHost, cmd: Cmd<'dataset-training-data'>): Promise<void> {
  const db = sessionDb();
  const summary = await summariseTrainingData(db, cmd.datasetId, cmd.options);
  if (cmd.options && cmd.save) await setSetting(db, `train-data:${cmd.datasetId}`, cmd.options);
  host.post({ type: 'dataset-training-data-result', requestId: cmd.requestId, summary });
}
