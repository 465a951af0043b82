// Evaluation: run a model over examples in length-sorted batches (no gradient), bring the logits back as plain
// numbers per example, and compute the task's loss and metrics from them.
import * as tf from '@tensorflow/tfjs';
import type { Task, TaskModel } from '@/lib/models/types';
import type { EncodedExample } from './encode';
import type { EvalResult } from './events';
import { makeTensorBatch, padOptionsFor, planEval } from './batching';
import { FeatureCache, type FeatureExtractor } from './features';
import { argmax, classificationReport, multilabelReport, regressionReport, sigmoid, softmaxRow } from './metrics';
import { nerReport } from './ner-metrics';
import { sentencesOf } from './ner-windows';
import { mergeParts } from './text-windows';

/** Per example: logits [C] (sequence tasks, regression: [1]) or [tokens][C] (token classification). */
export type ExampleOutput = number[] | number[][];

/** Runs `forward` (which returns [B, C] or [B, T, C] logits for the given example indices) over every example. */
export async function collectOutputs(
  examples: EncodedExample[],
  batchSize: number,
  forward: (idx: number[]) => tf.Tensor,
): Promise<ExampleOutput[]> {
  const out: ExampleOutput[] = new Array(examples.length);
  for (const idx of evalBatches(examples, batchSize)) placeOutputs(examples, idx, await batchLogits(() => forward(idx)), out);
  return out;
}

/** The evaluation batches of `collectOutputs`: length-sorted, in a fixed order. */
export function evalBatches(examples: EncodedExample[], batchSize: number): number[][] {
  return planEval(
    examples.map((e) => e.ids.length),
    batchSize,
  );
}

/** One batch's logits as plain numbers with their shape ([B, C] or [B, T, C]). */
export interface BatchLogits {
  data: Float32Array;
  shape: number[];
}

export async function batchLogits(forward: () => tf.Tensor): Promise<BatchLogits> {
  const logits = tf.tidy(forward);
  const data = (await logits.data()) as Float32Array;
  const shape = logits.shape;
  logits.dispose();
  return { data, shape };
}

/** Puts a batch's logits into `out` at its examples' places (token classification: each example's own tokens). */
export function placeOutputs(examples: EncodedExample[], idx: number[], { data, shape }: BatchLogits, out: ExampleOutput[]): void {
  if (shape.length === 2) {
    const c = shape[1];
    idx.forEach((ex, r) => (out[ex] = Array.from(data.subarray(r * c, (r + 1) * c))));
  } else {
    const [, t, c] = shape as [number, number, number];
    idx.forEach((ex, r) => {
      const rows: number[][] = [];
      for (let k = 0; k < examples[ex].ids.length; k++) rows.push(Array.from(data.subarray((r * t + k) * c, (r * t + k + 1) * c)));
      out[ex] = rows;
    });
  }
}

function logSoftmaxAt(logits: number[], k: number): number {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let s = 0;
  for (const x of logits) s += Math.exp(x - max);
  return logits[k] - max - Math.log(s);
}

/** Loss (plain: no class weights, no label smoothing) and metrics from per-example outputs. */
export function evalFromOutputs(
  task: Task,
  outputs: ExampleOutput[],
  examples: EncodedExample[],
  labels: string[],
  threshold = 0.5,
): EvalResult {
  // a long text's windows are scored as one text: their outputs averaged
  if (task !== 'token-classification') ({ outputs, examples } = mergeParts(outputs, examples));
  const n = examples.length;
  if (task === 'regression') {
    const yTrue = examples.map((e) => e.label as number);
    const yPred = outputs.map((o) => (o as number[])[0]);
    const regression = regressionReport(yTrue, yPred);
    return { task, count: n, loss: regression.mse, scalars: { loss: regression.mse, ...numericFields(regression) }, regression };
  }
  if (task === 'multilabel') {
    const k = labels.length;
    let loss = 0;
    const yTrue: number[][] = [],
      yPred: number[][] = [];
    examples.forEach((e, i) => {
      const row = outputs[i] as number[];
      const hot = new Array<number>(k).fill(0);
      for (const c of e.label as number[]) hot[c] = 1;
      for (let c = 0; c < k; c++) {
        const x = row[c];
        loss += Math.max(x, 0) - x * hot[c] + Math.log1p(Math.exp(-Math.abs(x)));
      }
      yTrue.push(hot);
      yPred.push(row.map((x) => (sigmoid(x) >= threshold ? 1 : 0)));
    });
    loss /= Math.max(1, n * k);
    const multilabel = multilabelReport(yTrue, yPred, labels);
    return { task, count: n, loss, scalars: { loss, ...numericFields(multilabel) }, multilabel };
  }
  if (task === 'token-classification') return tokenEval(outputs, examples, labels);
  const yTrue: number[] = [],
    yPred: number[] = [];
  let loss = 0;
  examples.forEach((e, i) => {
    const row = outputs[i] as number[];
    loss -= logSoftmaxAt(row, e.label as number);
    yTrue.push(e.label as number);
    yPred.push(argmax(row));
  });
  loss /= Math.max(1, yTrue.length);
  const classification = classificationReport(yTrue, yPred, labels);
  return { task, count: n, loss, scalars: { loss, ...numericFields(classification) }, classification };
}

/** Token classification, per word (the first piece's tag): each word of a sentence once, a long sentence's words
 *  from the window where they are most central; loss and the per-tag report over those words, and the entity-level
 *  report (lib/train/ner-metrics.ts) over the sentences. */
function tokenEval(outputs: ExampleOutput[], examples: EncodedExample[], labels: string[]): EvalResult {
  const yTrue: number[] = [],
    yPred: number[] = [];
  const trueTags: string[][] = [],
    predTags: string[][] = [];
  let loss = 0;
  const sentences = sentencesOf(examples);
  for (const words of sentences) {
    const t: string[] = [],
      p: string[] = [];
    for (const { example, token } of words) {
      const tag = examples[example].tags?.[token] ?? -1;
      const row = (outputs[example] as number[][])[token];
      if (tag < 0 || !row) continue;
      const pred = argmax(row);
      loss -= logSoftmaxAt(row, tag);
      yTrue.push(tag);
      yPred.push(pred);
      t.push(labels[tag]);
      p.push(labels[pred]);
    }
    trueTags.push(t);
    predTags.push(p);
  }
  loss /= Math.max(1, yTrue.length);
  const classification = classificationReport(yTrue, yPred, labels);
  const ner = nerReport(trueTags, predTags);
  const scalars = {
    loss,
    ...numericFields(classification),
    entityF1: ner.microF1,
    entityPrecision: ner.microPrecision,
    entityRecall: ner.microRecall,
    entityMacroF1: ner.macroF1,
    tokenAccuracy: ner.tokenAccuracy,
  };
  return { task: 'token-classification', count: sentences.length, loss, scalars, classification, ner };
}

function numericFields(o: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
  return out;
}

export interface EvaluateOptions {
  batchSize?: number;
  /** multi-label: probability above which a label is predicted (the run's TrainConfig.multilabelThreshold) */
  threshold?: number;
  /** head-only models: the frozen encoder's features from this extractor (a thread pool), the head runs here */
  extract?: FeatureExtractor;
  onProgress?: (done: number, total: number) => void;
}

/** The one evaluator (studio Evaluate, CLI eval/--test; the training loop's validation uses the same two steps):
 *  the model's outputs for every example, then the task's loss and report from them. `outputs`, `probabilities` and
 *  `examples` are per text (a long text's windows merged, ./text-windows.ts); `probabilities`:
 *  softmax (classification), sigmoid (multi-label), the value (regression), softmax per token (token tasks). */
export async function evaluateModel(
  model: TaskModel,
  examples: EncodedExample[],
  opts: EvaluateOptions = {},
): Promise<{ result: EvalResult; outputs: ExampleOutput[]; probabilities: ExampleOutput[]; examples: EncodedExample[] }> {
  const batchSize = opts.batchSize ?? 64;
  const pad = padOptionsFor(model);
  const cache = opts.extract ? await FeatureCache.build(model, [examples], batchSize, pad, undefined, opts.extract) : null;
  let done = 0;
  try {
    const outputs = await collectOutputs(examples, batchSize, (idx) => {
      done += idx.length;
      opts.onProgress?.(done, examples.length);
      if (cache) return model.headForward(cache.batch(0, idx, pad).features, { training: false });
      return model.forward(makeTensorBatch(examples, idx, pad), { training: false });
    });
    // one output per text (a long text's windows averaged; NER: per window, as the callers map them)
    const merged = model.task === 'token-classification' ? { outputs, examples } : mergeParts(outputs, examples);
    const result = evalFromOutputs(model.task, merged.outputs, merged.examples, model.labels, opts.threshold ?? 0.5);
    return { result, ...merged, probabilities: merged.outputs.map((o) => probabilitiesOf(model.task, o)) };
  } finally {
    cache?.dispose();
  }
}

export function probabilitiesOf(task: Task, o: ExampleOutput): ExampleOutput {
  if (task === 'regression') return o as number[];
  if (task === 'multilabel') return (o as number[]).map(sigmoid);
  if (task === 'token-classification') return (o as number[][]).map((row) => softmaxRow(row));
  return softmaxRow(o as number[]);
}
