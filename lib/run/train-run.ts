// One training run, the same for the studio's worker and the CLI: examples -> tokens -> TaskModel in the run's mode ->
// (head-only: the encoder's features on a pool of threads) -> fineTune() events. What differs between the two lives in
// ports: where checkpoints go, how threads start, how progress is shown. lib/session (studio) and cli/commands/train.ts
// only read their inputs and forward the events.
import { fitWordBaseline, labeledTextOf, scoreWordBaseline, type WordBaseline } from '../baseline/tfidf';
import type { Example } from '../data/types';
import { UserError } from '../errors';
import { createTaskModel } from '../models/task-model';
import type { Encoder, Task, TaskModel, TextTokenizer } from '../models/types';
import { stratifiedSample } from '../data/split';
import { encodeExamples } from '../train/encode';
import { textCount } from '../train/text-windows';
import type { FeaturePool } from '../train/feature-pool';
import type { FeatureExtractor } from '../train/features';
import { fineTune } from '../train/fine-tune';
import type { TrainPool } from '../train/train-pool';
import { startTrainPool } from './train-threads';
import { contrastiveRoundsOf, headFirstEpochsOf, type RunConfig } from './config';
import { modeOf, trainConfigOf } from './engine-config';
import { fewRowsWhy, selectsOnValidation } from '../train/config';
import { checkFingerprint, fingerprintOf } from './fingerprint';
import { featureExtractorFor, trainHeadFirst } from './head-first';
import { checkPairTask, pairTuneFirst } from './pair-tune';
import { assignVariables } from '../train/state';
import type { PreparedRun, RunData, RunEvent, RunPorts } from './run-types';

export type { FeatureMemo, PairMemo, PreparedRun, RunData, RunEvent, RunPorts, ThreadsPort, WordBaselineResult } from './run-types';

/** The task the model is built for: the data's mapping decides, not the form. */
export function taskOf(c: RunConfig, dataTask: Task): Task {
  return dataTask === 'token-classification' ? 'token-classification' : c.task === dataTask ? c.task : dataTask;
}

/** Tokens and the TaskModel for a run. Disposes the encoder if it fails. */
/** A trained head the opened files carry (a trained folder, an imported run), with the labels it was trained on. */
export interface SavedHead {
  params: Map<string, Float32Array>;
  labels: string[];
  task?: Task;
}

/** Whether a saved head fits this run: the same task and the same labels in the same order. */
export function headFits(head: SavedHead | undefined, task: Task, labels: string[]): head is SavedHead {
  if (!head || !head.params.size || (head.task && head.task !== task)) return false;
  return task === 'regression' || (head.labels.length === labels.length && head.labels.every((l, i) => l === labels[i]));
}

/** What starting from a trained model means, said where the run starts (studio status, CLI log). */
export function freshStartNote(headReused: boolean): string {
  return (
    `Starting from the trained model's weights${headReused ? ', its head included (same labels)' : ' with a new head (other labels)'}, ` +
    'with a fresh optimizer: step 0 and a new learning-rate schedule'
  );
}

export function prepareRun(
  c: RunConfig,
  data: RunData,
  opened: { encoder: Encoder; tokenizer: TextTokenizer; head?: SavedHead },
): PreparedRun {
  try {
    const maxLength = Math.min(c.maxLength, opened.tokenizer.modelMaxLength);
    const task = taskOf(c, data.task);
    const labels = task === 'regression' ? [] : data.labels;
    const encode = (ex: Example[], file?: string) => {
      try {
        return encodeExamples(opened.tokenizer, ex, labels, maxLength, task, {
          allSubwords: c.labelAllSubwords,
          windows: c.textWindows ?? 1,
        });
      } catch (e) {
        if (e instanceof UserError && file) (e.where as { file?: string }).file = file;
        throw e;
      }
    };
    // big data (the head-only recipe): a sample of the training rows, each label in its share
    const cap = c.maxTrainRows;
    const train = cap && cap < data.train.length ? stratifiedSample(data.train, cap, c.seed) : data.train;
    const encoded = { train: encode(train, data.source?.train), validation: encode(data.validation, data.source?.validation) };
    const model = createTaskModel({
      encoder: opened.encoder,
      tokenizer: opened.tokenizer,
      task,
      labels,
      mode: modeOf(c),
      seed: c.seed,
      classifierDropout: c.dropout,
      // a trained model's head goes on training where its labels are this data's; the optimizer always starts fresh
      ...(headFits(opened.head, task, labels)
        ? { headParams: new Map([...opened.head.params].filter(([n]) => !n.includes('lora_'))) }
        : {}),
    });
    return {
      model,
      data: encoded,
      labels,
      maxLength,
      headReused: headFits(opened.head, task, labels),
      ...(train !== data.train ? { sampledFrom: data.train.length } : {}),
      ...(task === 'classification' && labels.length > 1
        ? { baselineInput: baselineInput(train, data.validation, labels.length, c.seed) }
        : {}),
    };
  } catch (e) {
    opened.encoder.dispose();
    throw e;
  }
}

/** The run config with the task the model was built for (the dataset's mapping decides it, not the form). */
export function withModelTask(c: RunConfig, model: Pick<TaskModel, 'task'>): RunConfig {
  return model.task === 'token-classification' || model.task === c.task ? c : { ...c, task: model.task };
}

/** Trains a prepared run and yields its events; the feature threads are closed when it ends. */
export async function* trainRun(c: RunConfig, p: PreparedRun, ports: RunPorts = {}): AsyncGenerator<RunEvent> {
  const fingerprint = fingerprintOf(p);
  if (ports.resumeFrom) checkFingerprint(ports.resumeFrom.fingerprint, fingerprint);
  if (contrastiveRoundsOf(c) > 0) {
    checkPairTask(c, p);
    // a run stopped during its pairs phase saved the encoder as it was before it at step 0: start it again
    if (ports.resumeFrom?.step === 0) ports = { ...ports, resumeFrom: undefined };
  }
  let pool: FeaturePool | null = null;
  let trainPool: TrainPool | null = null;
  try {
    // first, so the threads' and features' lines (the studio shows the latest) come after it
    if (c.maxLength > p.maxLength)
      yield {
        type: 'status',
        message: `max length ${c.maxLength} is over the model's limit of ${p.maxLength} tokens: texts are cut at ${p.maxLength}`,
      };
    if (p.sampledFrom)
      yield {
        type: 'status',
        message:
          `training on ${textCount(p.data.train).toLocaleString('en')} of the ${p.sampledFrom.toLocaleString('en')} training rows ` +
          '(a sample with each label in its share; max training rows)',
      };
    const texts = { train: textCount(p.data.train), validation: textCount(p.data.validation) };
    if (texts.train < p.data.train.length || texts.validation < p.data.validation.length) {
      const f = (n: number) => n.toLocaleString('en');
      yield {
        type: 'status',
        message:
          `long texts: ${f(texts.train)} training texts read as ${f(p.data.train.length)} windows of at most ${p.maxLength} tokens` +
          (texts.validation < p.data.validation.length
            ? `, ${f(texts.validation)} validation texts as ${f(p.data.validation.length)}`
            : '') +
          " (each window trains with its text's label; a text is scored on its windows' average)",
      };
    }
    const held = texts.validation;
    if (held > 0 && !selectsOnValidation(held))
      yield {
        type: 'status',
        message:
          `${held} validation row${held === 1 ? ' is' : 's are'} too few to stop early or pick the best evaluation by ` +
          `${fewRowsWhy(held)}: the run trains its whole length and keeps its last weights`,
      };
    if (ports.wordBaseline && !ports.resumeFrom && p.baselineInput?.validation.length) yield* wordBaseline(p);
    let featureExtractor: FeatureExtractor | undefined;
    // head first (full, freeze): before the replicas copy the model, so they start from the trained head; a resumed
    // run's checkpoint already holds it, and an imported model's kept head is trained
    if (headFirstEpochsOf(c) > 0 && !ports.resumeFrom && !p.headReused) {
      if (!(yield* trainHeadFirst(c, p, ports))) return;
    }
    // contrastive pairs (head only): the tuned encoder computes the features; a resumed run's checkpoint holds it,
    // set before the feature threads copy the model
    if (contrastiveRoundsOf(c) > 0) {
      if (ports.resumeFrom) assignVariables(p.model.variables(), ports.resumeFrom.weights);
      else yield* pairTuneFirst(c, p, ports);
    }
    if (c.mode !== 'head') trainPool = yield* startTrainPool(p, ports, 'training');
    if (c.mode === 'head') {
      const f = yield* featureExtractorFor(p.model, p.data, ports);
      pool = f.pool;
      featureExtractor = f.extract;
    }
    const config = {
      ...trainConfigOf(withModelTask(c, p.model), { train: p.data.train.length, validation: texts.validation }, p.model.task),
      ...(ports.classWeights ? { classWeights: ports.classWeights } : {}),
    };
    yield* fineTune(p.model, p.data, config, {
      signal: ports.signal,
      store: ports.store,
      runId: ports.runId,
      controls: ports.controls,
      resumeFrom: ports.resumeFrom,
      featureExtractor,
      fingerprint,
      pool: trainPool ?? undefined,
    });
  } finally {
    await pool?.close();
    await trainPool?.close();
  }
}

/** Training rows × labels the word-count baseline fits on at most (its time grows with both: Banking77's 10,003 × 77
 *  take 6.7 s here); past it, a sample with each label in its share. */
const BASELINE_BUDGET = 1_000_000;

/** The rows the word-count baseline fits and scores: the training rows, or a sample of them within `budget`. */
export function baselineInput(
  train: Example[],
  validation: Example[],
  labels: number,
  seed: number,
  budget = BASELINE_BUDGET,
): NonNullable<PreparedRun['baselineInput']> {
  const cap = Math.floor(budget / labels);
  const rows = train.length > cap ? stratifiedSample(train, cap, seed) : train;
  return {
    train: rows.map(labeledTextOf),
    validation: validation.map(labeledTextOf),
    ...(rows !== train ? { sampledFrom: train.length } : {}),
  };
}

const fittedBaselines = new WeakMap<object, WordBaseline>();

/** The word-count baseline of a prepared run (single-label classification), fitted once on its training rows: the
 *  run's validation line and the CLI's test line share it. */
export function wordBaselineOf(p: PreparedRun): WordBaseline | undefined {
  const input = p.baselineInput;
  if (!input) return undefined;
  let model = fittedBaselines.get(input);
  if (!model) {
    model = fitWordBaseline(input.train, p.labels);
    fittedBaselines.set(input, model);
  }
  return model;
}

/** The word-count baseline's line: TF-IDF + logistic regression at scikit-learn's defaults, fitted on the training
 *  split and scored on the validation split the run selects on. */
async function* wordBaseline(p: PreparedRun): AsyncGenerator<RunEvent> {
  const input = p.baselineInput!;
  yield { type: 'status', message: 'fitting a word-count baseline (TF-IDF + logistic regression) to compare the run with' };
  const t0 = performance.now();
  const b = { ...scoreWordBaseline(wordBaselineOf(p)!, input.validation), seconds: (performance.now() - t0) / 1000 };
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const n = (x: number) => x.toLocaleString('en');
  const sample = input.sampledFrom ? ` on ${n(input.train.length)} of the ${n(input.sampledFrom)} training rows` : '';
  yield {
    type: 'status',
    message:
      `word-count baseline (TF-IDF + logistic regression, fitted in ${b.seconds.toFixed(1)} s${sample}): ` +
      `${pct(b.accuracy)} validation accuracy, macro-F1 ${b.macroF1.toFixed(3)}, the line to beat`,
    baseline: { accuracy: b.accuracy, macroF1: b.macroF1, seconds: b.seconds },
  };
}
