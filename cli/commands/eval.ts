// finetune eval: a trained model folder + a labeled file -> one JSON line of metrics (the engine's EvalResult).
import { UserError } from '../../lib/errors';
import { toExample, usableRecords } from '../../lib/data/labeled';
import type { Example } from '../../lib/data/types';
import type { TaskModel } from '../../lib/models/types';
import { encodeExamples } from '../../lib/train/encode';
import { evaluateModel } from '../../lib/train/evaluate';
import type { EvalResult } from '../../lib/train/events';
import type { FeatureExtractor } from '../../lib/train/features';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { headerHintFrom, columnFlags, loadTable, mapTable, mappingFor, tokenFieldsFrom } from '../data';
import { loadTrained, pairColumnFor, trainedRun } from '../models';
import { threadsPort, withFeaturePool } from '../threads';

/** loss, accuracy, macroF1, ... as "name value" pairs for a log line. */
export function scalarsLine(r: Pick<EvalResult, 'scalars'>): string {
  return Object.entries(r.scalars)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(', ');
}

/** An evaluation as the CLI prints it: the scalars and, for NER, `perType` (precision, recall, F1 and support per entity
 *  type); the full report (confusion and all) is --report's. */
export function metricsOf(r: Pick<EvalResult, 'scalars' | 'ner'>): Record<string, unknown> {
  if (!r.ner) return r.scalars;
  const perType = Object.fromEntries(
    r.ner.perType.map((t) => [t.type, { precision: t.precision, recall: t.recall, f1: t.f1, support: t.support }]),
  );
  return { ...r.scalars, perType };
}

/** Evaluates `model` on a labeled file, with the columns named in `opts`. With `extract` (head-only mode's feature
 *  pool), the frozen encoder's features come from it and only the head runs here. */
/** `pairColumn`: the second-text column the model was trained with, read when --text-pair-column is not given. */
export async function evaluateOn(
  model: TaskModel,
  path: string,
  option: string,
  opts: ParsedOptions,
  cli: Cli,
  read: { maxLength: number; windows: number },
  batchSize = 64,
  extract?: FeatureExtractor,
  threshold = 0.5,
  pairColumn?: string,
  /** told the file's examples as read (train --test: the word-count baseline scores the same rows) */
  onExamples?: (examples: Example[]) => void,
): Promise<EvalResult> {
  const ner = model.task === 'token-classification';
  const t = await loadTable(path, option, ner ? tokenFieldsFrom({ ...opts, task: 'ner' }) : undefined, headerHintFrom(opts));
  const textPair = pairColumnFor(t.table.columns, str(opts, 'text-pair-column'), pairColumn, path, cli.log);
  // the model's task decides how the file is read
  const { mapping, guessed } = mappingFor(t, { ...columnFlags(opts), textPair, task: model.task }, true);
  if (guessed.length) cli.log(`${path}: using ${guessed.join(' ')}`);
  const mapped = mapTable(t, mapping);
  const examples = usableRecords(mapped.records).map(toExample);
  onExamples?.(examples);
  let enc;
  try {
    const maxLength = Math.min(read.maxLength, model.tokenizer.modelMaxLength);
    enc = encodeExamples(model.tokenizer, examples, model.labels, maxLength, model.task, { windows: read.windows });
  } catch (e) {
    if (e instanceof UserError) (e.where as { file?: string }).file = path;
    throw e;
  }
  const onProgress = (done: number, total: number) => cli.progress.update({ label: `evaluate ${path}`, done, total });
  return (await evaluateModel(model, enc, { batchSize, extract, onProgress, threshold })).result;
}

export async function run(opts: ParsedOptions, cli: Cli): Promise<void> {
  const threads = threadsPort(num(opts, 'threads')).threads;
  const model = await loadTrained(str(opts, 'model')!);
  try {
    const dir = str(opts, 'model')!;
    const trained = await trainedRun(dir);
    const r = await withFeaturePool(model, threads, cli, 'encoder features', (extract) =>
      evaluateOn(
        model,
        str(opts, 'data')!,
        '--data',
        opts,
        cli,
        { maxLength: num(opts, 'max-length') ?? trained.maxLength ?? 128, windows: num(opts, 'windows') ?? trained.textWindows ?? 1 },
        num(opts, 'batch-size') ?? 64,
        extract,
        0.5,
        trained.pairColumn,
      ),
    );
    cli.out(JSON.stringify(opts.report ? r : { count: r.count, ...metricsOf(r) }));
  } finally {
    model.dispose();
  }
}
