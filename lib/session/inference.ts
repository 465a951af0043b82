// Using a trained model: live prediction (top-k), batch CSV prediction, and test-split evaluation per task
// (single-label: confusion matrix, per-class scores, misclassified examples; multi-label: per-label scores, micro/macro
// F1, examples with any wrong label; regression: MSE/MAE/R²/Pearson and the largest errors; NER: entity-level scores
// and the sentences with wrong entities) with the head-only baseline. Trained models come from ./trained.ts.
import { evaluationReportOf } from '../run/report';
import { UserError } from '../errors';
import { parseFile } from '../data/parse';
import type { TaskModel } from '../models/types';
import { tfidfBaseline } from '../baseline/tfidf';
import type { Command, EvaluationReport } from '../protocol';
import { setSetting, type StudioDb } from '../store/db';
import { loadLabeledData } from './stored-data';
import { encodeExamples } from '../train/encode';
import { argmax } from '../train/metrics';
import { evaluateModel } from '../train/evaluate';
import type { FeatureExtractor } from '../train/features';
import { withFeatureThreads } from './feature-threads';
import { predict as predictProbs } from '../train/predict';
import type { Example } from '../data/types';
import type { RunConfig } from '../run/config';
import { progressReporter, yieldToMessages, type SessionHost } from './context';
import { toCsv } from './csv';
import { splitSettingsOf, toDataSplit } from './datasets';
import { recipeSettings } from '../run/config';
import { baselineInput, trainRun } from '../run/train-run';
import { recipeFor } from '../train/recipes';
import { prepare, type RunMeta } from './runs';
import { sessionDb } from './state';
import type { Prediction } from './types';
import { wrongSentences } from './ner';
import { readingOf, readingOfRun, runModel, type TextReading } from './trained';
import { encodeInputs } from '../train/text-windows';

export { runModel };

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

async function probabilities(
  model: TaskModel,
  inputs: { text: string; pair?: string }[],
  read: TextReading,
  extract?: FeatureExtractor,
): Promise<number[][]> {
  const enc = encodeInputs(model.tokenizer, inputs, Math.min(read.maxLength, model.tokenizer.modelMaxLength), read.windows);
  return (await predictProbs(model, enc, { extract })) as number[][];
}

function toPrediction(model: TaskModel, p: number[], topK: number): Prediction {
  if (model.task === 'regression') return { label: p[0].toPrecision(4), top: [{ label: 'value', p: p[0] }] };
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const top = order.slice(0, topK).map(([v, i]) => ({ label: model.labels[i], p: v }));
  const label = model.task === 'multilabel' ? model.labels.filter((_, i) => p[i] >= 0.5).join(', ') || '(none)' : top[0].label;
  return { label, top };
}

/** A model that predicts one label (set, value) per text: a token-classification run answers 'predict-entities'. */
function notNer(model: TaskModel): TaskModel {
  if (model.task === 'token-classification')
    throw new UserError('this run tags named entities, word by word', { option: 'run' }, 'use the entity view of the Playground');
  return model;
}

export async function predict(host: SessionHost, cmd: Cmd<'predict'>): Promise<void> {
  const db = sessionDb();
  const model = notNer(await runModel(db, cmd.runId));
  const probs = await probabilities(model, cmd.inputs, await readingOf(db, cmd.runId));
  host.post({ type: 'predictions', requestId: cmd.requestId, predictions: probs.map((p) => toPrediction(model, p, cmd.topK)) });
}

export async function predictCsv(host: SessionHost, cmd: Cmd<'predict-csv'>): Promise<void> {
  const db = sessionDb();
  const name = (cmd.file as File).name ?? 'data.csv';
  const table = parseFile(new Uint8Array(await cmd.file.arrayBuffer()), { fileName: name });
  const col = table.columns.indexOf(cmd.textColumn);
  if (col < 0)
    throw new UserError(
      `there is no column "${cmd.textColumn}"`,
      { file: name, option: 'text column' },
      `use one of: ${table.columns.join(', ')}`,
    );
  const pairCol = cmd.pairColumn ? table.columns.indexOf(cmd.pairColumn) : -1;
  const model = notNer(await runModel(db, cmd.runId));
  const read = await readingOf(db, cmd.runId);
  const progress = progressReporter(host, cmd.requestId, 'Predicting');
  const out: (string | number)[][] = [];
  // in chunks, with progress after each; on the host's threads from THREADED_ROWS rows (bigger chunks: a round trip each)
  await withFeatureThreads(host, model, table.rows.length, async (extract) => {
    const chunk = extract ? 256 : 64;
    for (let i = 0; i < table.rows.length; i += chunk) {
      const rows = table.rows.slice(i, i + chunk);
      const probs = await probabilities(
        model,
        rows.map((r) => ({ text: r[col] ?? '', pair: pairCol >= 0 ? r[pairCol] : undefined })),
        read,
        extract,
      );
      rows.forEach((r, j) => out.push([...r, toPrediction(model, probs[j], 1).label, ...probs[j].map((v) => Number(v.toFixed(6)))]));
      progress(Math.min(table.rows.length, i + chunk), table.rows.length);
      await yieldToMessages();
    }
  });
  const probCols = model.task === 'regression' ? ['value'] : model.labels.map((l) => `p_${l}`);
  host.post({
    type: 'predict-csv-result',
    requestId: cmd.requestId,
    csv: toCsv([...table.columns, 'predicted_label', ...probCols], out),
    rows: out.length,
  });
}

/** The run's model on examples with the one evaluator (lib/train/evaluate.ts): the report, the labels as ids and the
 *  per-example probabilities (classification: softmax, multi-label: sigmoid, regression: the value; `outputs` as
 *  returned, per token for NER, one example per window of a long sentence). */
async function score(
  model: TaskModel,
  examples: Example[],
  read: TextReading,
  threshold: number,
  onProgress?: (done: number, total: number) => void,
  extract?: FeatureExtractor,
) {
  const maxLength = Math.min(read.maxLength, model.tokenizer.modelMaxLength);
  const encoded = encodeExamples(model.tokenizer, examples, model.labels, maxLength, model.task, { windows: read.windows });
  // per text: a long text's windows are merged (NER: per window, as wrongSentences reads them)
  const { result, probabilities, examples: enc } = await evaluateModel(model, encoded, { threshold, onProgress, extract });
  return { result, enc, probs: probabilities as number[][], outputs: probabilities };
}

const MAX_ROWS = 200;

type Baseline = NonNullable<EvaluationReport['baseline']>;

/** The scores a baseline row shows, per task. */
async function baselineScores(model: TaskModel, test: Example[], read: TextReading, threshold: number): Promise<Baseline> {
  const { result } = await score(model, test, read, threshold);
  if (result.ner) return { microF1: result.ner.microF1, macroF1: result.ner.macroF1 };
  if (result.multilabel) return { microF1: result.multilabel.microF1, macroF1: result.multilabel.macroF1 };
  if (result.regression)
    return { mse: result.regression.mse, mae: result.regression.mae, r2: result.regression.r2, pearson: result.regression.pearson };
  return { accuracy: result.classification!.accuracy, macroF1: result.classification!.macroF1 };
}

/** A head-only model trained on the frozen pre-trained encoder: what fine-tuning is measured against. */
async function baseline(db: StudioDb, run: RunConfig, task: TaskModel['task'], labels: string[], test: Example[]): Promise<Baseline> {
  // the Quick recipe (head only) for this task, at the run's max length and seed
  const c: RunConfig = {
    ...run,
    ...recipeSettings(recipeFor({ task, labelCounts: labels.map(() => 1) }, 'quick')),
    maxLength: run.maxLength,
  };
  const p = await prepare(db, c, () => undefined, labels);
  try {
    for await (const ev of trainRun(c, p)) if (ev.type === 'error') throw new UserError(`the baseline failed: ${ev.error.message}`);
    return await baselineScores(p.model, test, readingOfRun(c), run.multilabelThreshold ?? 0.5);
  } finally {
    p.model.dispose();
  }
}

/** The fine-tuned model's report on `examples`, for the model's task. */
async function report(
  model: TaskModel,
  runId: string,
  split: 'test' | 'validation',
  examples: Example[],
  read: TextReading,
  threshold: number,
  extract?: FeatureExtractor,
): Promise<EvaluationReport> {
  const { result, enc, probs, outputs } = await score(model, examples, read, threshold, undefined, extract);
  const base = evaluationReportOf(result, { runId, split, labels: model.labels, threshold });
  if (base.task === 'token-classification')
    return { ...base, wrongSentences: wrongSentences(model, examples, enc, outputs, read.maxLength) };
  if (base.task === 'multilabel') {
    const hot = (ids: number[]) => model.labels.map((_, c) => (ids.includes(c) ? 1 : 0));
    const yTrue = enc.map((e) => hot(e.label as number[]));
    const yPred = probs.map((p) => p.map((v) => (v >= threshold ? 1 : 0)));
    const names = (row: number[]) => model.labels.filter((_, c) => row[c] > 0);
    return {
      ...base,
      misclassified: examples
        .map((e, i) => ({
          text: e.text,
          pair: e.textPair,
          trueLabels: names(yTrue[i]),
          predicted: names(yPred[i]),
          wrong: yTrue[i].filter((t, c) => t !== yPred[i][c]).length,
        }))
        .filter((m) => m.wrong > 0)
        .sort((a, b) => b.wrong - a.wrong),
    };
  }
  if (base.task === 'regression') {
    const yTrue = enc.map((e) => e.label as number);
    const yPred = probs.map((o) => o[0]);
    return {
      ...base,
      largestErrors: examples
        .map((e, i) => ({ text: e.text, pair: e.textPair, trueValue: yTrue[i], predicted: yPred[i], error: Math.abs(yPred[i] - yTrue[i]) }))
        .sort((a, b) => b.error - a.error)
        .slice(0, MAX_ROWS),
    };
  }
  const yTrue = enc.map((e) => e.label as number);
  const yPred = probs.map((p) => argmax(p));
  return {
    ...base,
    misclassified: examples
      .map((e, i) => ({ e, i }))
      .filter(({ i }) => yPred[i] !== yTrue[i])
      .map(({ e, i }) => ({
        row: e.row,
        text: e.text,
        pair: e.textPair,
        trueLabel: model.labels[yTrue[i]],
        predicted: model.labels[yPred[i]],
        confidence: probs[i][yPred[i]],
      }))
      .sort((a, b) => b.confidence - a.confidence),
  };
}

/** The training rows whose given label the trained model finds least likely (highest loss), for a label review: the
 *  run's training split as stored (no balancing or augmentation copies). Single-label classification only. */
export async function suspiciousRows(host: SessionHost, cmd: Cmd<'suspicious-rows'>): Promise<void> {
  const db = sessionDb();
  const row = await db.runs.get(cmd.runId);
  if (!row) throw new UserError(`there is no run "${cmd.runId}"`, { option: 'run' }, 'it may have been deleted');
  const meta = row.config as RunMeta;
  const model = await runModel(db, cmd.runId);
  if (model.task !== 'classification')
    throw new UserError(
      'suspicious rows are ranked for single-label classification',
      { option: 'task' },
      'use the per-label tables on Evaluate',
    );
  const data = await loadLabeledData(db, meta.run.datasetId, toDataSplit(await splitSettingsOf(db, meta.run.datasetId)));
  const progress = progressReporter(host, cmd.requestId, 'Scoring the training rows');
  const { enc, probs } = await withFeatureThreads(host, model, data.train.length, (extract) =>
    score(model, data.train, readingOfRun(meta.run), meta.run.multilabelThreshold ?? 0.5, progress, extract),
  );
  const ranked = enc
    .map((e, i) => ({ i, loss: -Math.log(Math.max(probs[i][e.label as number], 1e-12)) }))
    .sort((a, b) => b.loss - a.loss)
    .slice(0, Math.max(1, Math.min(500, cmd.limit)));
  const rows = ranked.map(({ i }) => {
    const p = probs[i];
    const predicted = argmax(p);
    const e = data.train[i];
    return {
      row: e.row,
      text: e.text,
      pair: e.textPair,
      trueLabel: String(e.label),
      predicted: model.labels[predicted],
      confidence: p[predicted],
    };
  });
  host.post({ type: 'suspicious-rows-result', requestId: cmd.requestId, rows, scored: enc.length });
}

/** Where a run's latest evaluation on a split is kept. */
export const evaluationKey = (runId: string, split: 'test' | 'validation') => `evaluation:${runId}:${split}`;

/** Scores a run on its dataset's test (or validation) split: classification, multi-label, regression or NER report. */
export async function evaluate(host: SessionHost, cmd: Cmd<'evaluate'>): Promise<void> {
  const db = sessionDb();
  const row = await db.runs.get(cmd.runId);
  if (!row) throw new UserError(`there is no run "${cmd.runId}"`, { option: 'run' }, 'it may have been deleted');
  const meta = row.config as RunMeta;
  if (!meta.run.datasetId)
    throw new UserError('this run has no dataset to test on', { option: 'dataset' }, 'train a run on a stored dataset');
  const progress = progressReporter(host, cmd.requestId, 'Evaluating');
  progress(0, 3, 'Reading the test split');
  const data = await loadLabeledData(db, meta.run.datasetId, toDataSplit(await splitSettingsOf(db, meta.run.datasetId)));
  const examples = cmd.split === 'test' ? data.test : data.validation;
  if (!examples.length)
    throw new UserError(
      `the ${cmd.split} split is empty`,
      { option: 'split' },
      'give the test split a share on the Data screen and re-import',
    );
  progress(1, 3, 'Scoring the fine-tuned model');
  const model = await runModel(db, cmd.runId);
  const result = await withFeatureThreads(host, model, examples.length, (extract) =>
    report(model, cmd.runId, cmd.split, examples, readingOfRun(meta.run), meta.run.multilabelThreshold ?? 0.5, extract),
  );
  if (result.task === 'classification' && data.train.length) {
    // the line a person would draw without any encoder: words counted, on the same training rows (a sample of them
    // where rows × labels are over the baseline's budget, as a run's own baseline fits on)
    progress(2, 3, 'Fitting the word-count baseline');
    const rows = baselineInput(data.train, examples, model.labels.length, meta.run.seed);
    const b = tfidfBaseline(rows.train, rows.validation, model.labels);
    result.wordBaseline = { accuracy: b.accuracy, macroF1: b.macroF1 };
  }
  if (cmd.baseline && meta.run.mode !== 'head') {
    progress(2, 3, 'Training the head-only baseline');
    result.baseline = await baseline(db, meta.run, model.task, model.labels, examples);
  }
  // a head-only run is itself the baseline: no row that repeats its numbers
  progress(3, 3);
  // kept with the run: the Export zip carries it (evaluation.json, and the scores in run.json)
  await setSetting(db, evaluationKey(cmd.runId, cmd.split), result);
  host.post({ type: 'evaluation', requestId: cmd.requestId, result });
}
