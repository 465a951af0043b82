// finetune train's inputs: the options checked before anything loads, the data files as a run's examples (--data,
// and --eval or a held-out share), and the pre-trained model with its tokenizer.
import { UserError } from '../../lib/errors';
import { buildLabeledData, toExample, usableRecords } from '../../lib/data/labeled';
import type { ColumnMapping } from '../../lib/data/types';
import type { Encoder, TextTokenizer } from '../../lib/models/types';
import type { RunData, SavedHead, ThreadsPort } from '../../lib/run/train-run';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { headerHintFrom, columnFlags, loadTable, mapTable, mappingFor, tokenFieldsFrom, withFlags, type TaskFlag } from '../data';
import { loadBase } from '../models';
import { hubEndpointFrom, parseMode } from '../options';
import { threadsPort } from '../threads';

type TaskName = TaskFlag;

async function loadExamples(path: string, option: string, opts: ParsedOptions, cli: Cli, fixedTask?: TaskName) {
  const t = await loadTable(path, option, tokenFieldsFrom(opts), headerHintFrom(opts));
  const { mapping, guessed } = mappingFor(t, columnFlags(opts, fixedTask), true);
  if (guessed.length) cli.log(`${path}: using ${guessed.join(' ')}`);
  const mapped = mapTable(t, mapping);
  for (const w of mapped.warnings)
    cli.log(
      `${path}: warning: ${w.message} (${w.count} row${w.count === 1 ? '' : 's'}` +
        `${w.rows.length ? `, e.g. row ${w.rows.slice(0, 5).join(', ')}` : ''})` +
        (w.code === 'label-case' ? '; --ignore-label-case makes them one' : ''),
    );
  return { table: t, mapping, mapped };
}

/** What finetune train's options say beyond the data, checked in this order before anything loads: the model, the
 *  Hub, the mode, the threads, k-fold and the validation share. */
export function trainArgs(opts: ParsedOptions): {
  modelSpec: string;
  hubEndpoint: string | undefined;
  threads: ThreadsPort;
  folds: number | undefined;
  valSplit: number;
} {
  const modelSpec = str(opts, 'model') ?? 'use-lite';
  const hubEndpoint = hubEndpointFrom(opts);
  if (str(opts, 'mode') !== undefined) parseMode(str(opts, 'mode')!, opts); // a bad --mode fails before any loading
  const threads = threadsPort(num(opts, 'threads'));
  const folds = num(opts, 'folds');
  if (folds !== undefined) {
    for (const o of ['eval', 'test', 'dry-run'])
      if (opts[o] !== undefined)
        throw new UserError(
          `--folds validates on each fold in turn, so --${o} does not apply`,
          { option: `--${o}` },
          `leave out --${o}, or train without --folds`,
        );
  }
  const valSplit = num(opts, 'val-split') ?? 0.1;
  if (valSplit >= 1)
    throw new UserError(`--val-split ${valSplit} leaves nothing to train on`, { option: '--val-split' }, 'use a share below 1, e.g. 0.1');
  return { modelSpec, hubEndpoint, threads, folds, valSplit };
}

/** The pre-trained model with download progress on stderr; one without tokenizer files cannot train. */
export async function openBase(
  spec: string,
  opts: ParsedOptions,
  hubEndpoint: string | undefined,
  cli: Cli,
): Promise<{ encoder: Encoder; tokenizer: TextTokenizer; source: string; head?: SavedHead }> {
  cli.log(`loading model ${spec}`);
  const onProgress = (file: string, loaded: number, total: number) =>
    cli.progress.update({ label: `download ${file}`, done: loaded, total });
  const base = await loadBase(spec, { dropout: num(opts, 'dropout') ?? 0.1, hubEndpoint, revision: str(opts, 'revision'), onProgress });
  if (!base.tokenizer) {
    base.encoder.dispose();
    throw new UserError(
      'the model has no tokenizer files',
      { file: spec, option: '--model' },
      'use a model folder with tokenizer.json (or vocab.txt + tokenizer_config.json)',
    );
  }
  const head = base.headParams.size ? { params: base.headParams, labels: base.labels, task: base.task } : undefined;
  return { encoder: base.encoder, tokenizer: base.tokenizer, source: base.source, head };
}

/** The model once more (a fold of cross-validation starts from the pre-trained weights). */
export async function loadTokenized(
  spec: string,
  opts: ParsedOptions,
  hubEndpoint: string | undefined,
): Promise<{ encoder: Encoder; tokenizer: TextTokenizer }> {
  const m = await loadBase(spec, { dropout: num(opts, 'dropout') ?? 0.1, hubEndpoint, revision: str(opts, 'revision') });
  return { encoder: m.encoder, tokenizer: m.tokenizer! };
}

/** The default held-out share keeps at most this many rows (or 20 a label where that is more): on big data 10 % is
 *  a validation pass of minutes (12,000 rows of 120,000: about 3 minutes on 2 threads), and 5,000 rows measure
 *  accuracy to about ± 0.6 points. A --val-split given is kept as it is. */
export const HELD_OUT_CAP = 5000;

/** The share of --data held out: --val-split, or its default capped at HELD_OUT_CAP rows (null: not capped). */
export function heldOutShare(rows: number, labels: number, valSplit: number, given: boolean): { share: number; cap: number | null } {
  const cap = Math.max(HELD_OUT_CAP, 20 * labels);
  return !given && rows * valSplit > cap ? { share: cap / rows, cap } : { share: valSplit, cap: null };
}

/** The training and validation examples: --data, and --eval or a stratified --val-split share of --data. */
export async function loadRunData(
  opts: ParsedOptions,
  cli: Cli,
  seed: number,
  valSplit: number,
): Promise<RunData & { mapping: ColumnMapping }> {
  const dataPath = str(opts, 'data')!;
  const trainData = await loadExamples(dataPath, '--data', opts, cli);
  const task = trainData.mapping.task as TaskName;
  const evalPath = str(opts, 'eval');
  const labels = trainData.mapped.labels;
  if (evalPath) {
    const ev = await loadExamples(evalPath, '--eval', opts, cli, task);
    const unknown = ev.mapped.labels.filter((l) => !labels.includes(l));
    if (task !== 'regression' && unknown.length) {
      const ner = task === 'token-classification';
      throw new UserError(
        `${ner ? 'tag' : 'label'}${unknown.length > 1 ? 's' : ''} ${unknown
          .slice(0, 5)
          .map((l) => JSON.stringify(l))
          .join(', ')} of the validation file never occur in the training file`,
        { file: evalPath, column: ner ? trainData.mapping.tags : trainData.mapping.label?.join(',') },
        ner
          ? 'a model learns only the tags of its training file: add sentences with them to it, or drop those entities'
          : 'train and validation files must use the same label names',
      );
    }
    const train = usableRecords(trainData.mapped.records).map(toExample);
    const validation = usableRecords(ev.mapped.records).map(toExample);
    return {
      train,
      validation,
      labels: task === 'regression' ? [] : labels,
      task,
      mapping: trainData.mapping,
      source: { train: dataPath, validation: evalPath },
    };
  }
  const held = heldOutShare(usableRecords(trainData.mapped.records).length, labels.length, valSplit, num(opts, 'val-split') !== undefined);
  const split = trainData.mapping.split
    ? { mode: 'column' as const }
    : { mode: 'ratio' as const, ratios: { train: 1 - held.share, validation: held.share, test: 0 }, seed, stratify: true };
  const ld = withFlags(() => buildLabeledData(trainData.mapped.records, trainData.mapping, labels, split, { seed }));
  cli.log(
    `held out ${ld.validation.length} of ${ld.train.length + ld.validation.length} rows of ${dataPath} ` +
      `for validation (--val-split ${valSplit}` +
      `${held.cap ? `, at most ${held.cap.toLocaleString('en')} rows unless given` : ''}, seed ${seed})`,
  );
  return {
    train: ld.train,
    validation: ld.validation,
    labels: task === 'regression' ? [] : ld.labels,
    task,
    mapping: trainData.mapping,
    source: { train: dataPath, validation: `${dataPath} (held out)` },
  };
}

/** The rows of a --test file as examples, mapped as the training file was (the recipe writes them as data/test.csv). */
export async function loadTestExamples(path: string, opts: ParsedOptions, cli: Cli, task: TaskName) {
  const t = await loadExamples(path, '--test', opts, cli, task);
  return usableRecords(t.mapped.records).map(toExample);
}
