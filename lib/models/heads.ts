// Task heads under Hugging Face's own parameter names, per architecture, so an exported checkpoint loads as
// <Arch>ForSequenceClassification / <Arch>ForTokenClassification in transformers.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { rowDropoutMask } from '../rng';
import { matMulWt } from './layers';
import type { Architecture, Encoder, EncoderOutput, ForwardOptions, Task } from './types';

/**
 * Where a head reads the encoder and what it computes:
 * - 'linear': dropout → classifier (BERT / USE-Lite sequence heads on the pooled output; every token head)
 * - 'distilbert': pre_classifier → ReLU → dropout → classifier on the first token (DistilBertForSequenceClassification)
 * - 'roberta': dropout → classifier.dense → tanh → dropout → classifier.out_proj on the first token
 *   (RobertaClassificationHead)
 */
export type HeadKind = 'linear' | 'distilbert' | 'roberta';

export interface HeadSpec {
  arch: Architecture;
  task: Task;
  kind: HeadKind;
  /** encoder output the head reads: pooled [B, P], the first token's state [B, H], or every token [B, T, H] */
  input: 'pooled' | 'first-token' | 'sequence';
  numLabels: number;
  featureSize: number;
  dropout: number;
  /** parameter name → shape, Hugging Face names ([out, in] for Linear weights) */
  shapes: Map<string, number[]>;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** transformers' default head dropout per architecture, from config.json keys. */
function defaultDropout(arch: Architecture, task: Task, config: Record<string, unknown>): number {
  if (arch === 'distilbert')
    return (
      num(task === 'token-classification' ? config.dropout : config.seq_classif_dropout) ?? (task === 'token-classification' ? 0.1 : 0.2)
    );
  return num(config.classifier_dropout) ?? num(config.hidden_dropout_prob) ?? 0.1;
}

/** How many outputs a task needs from its labels (regression: 1). Throws a UserError for an impossible label set. */
export function numLabelsFor(task: Task, labels: string[]): number {
  if (task === 'regression') return 1;
  const min = task === 'classification' ? 2 : 1;
  if (labels.length < min) {
    throw new UserError(
      `a ${task} task needs at least ${min} label${min > 1 ? 's' : ''}, got ${labels.length}`,
      { option: 'labels' },
      'check the label column of the dataset',
    );
  }
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l))
      throw new UserError(`label "${l}" appears twice in the label list`, { option: 'labels' }, 'give each label a distinct name');
    seen.add(l);
  }
  return labels.length;
}

export function headSpec(encoder: Encoder, task: Task, numLabels: number, classifierDropout?: number): HeadSpec {
  const arch = encoder.arch;
  const dropout = classifierDropout ?? defaultDropout(arch, task, encoder.config);
  if (!(dropout >= 0 && dropout < 1)) {
    throw new UserError(`classifier dropout must be in [0, 1), got ${dropout}`, { option: 'classifierDropout' }, 'use a value such as 0.1');
  }
  const shapes = new Map<string, number[]>();
  const H = encoder.hiddenSize;
  if (task === 'token-classification') {
    shapes.set('classifier.weight', [numLabels, H]);
    shapes.set('classifier.bias', [numLabels]);
    return { arch, task, kind: 'linear', input: 'sequence', numLabels, featureSize: H, dropout, shapes };
  }
  if (arch === 'distilbert') {
    shapes.set('pre_classifier.weight', [H, H]);
    shapes.set('pre_classifier.bias', [H]);
    shapes.set('classifier.weight', [numLabels, H]);
    shapes.set('classifier.bias', [numLabels]);
    return { arch, task, kind: 'distilbert', input: 'first-token', numLabels, featureSize: H, dropout, shapes };
  }
  if (arch === 'roberta') {
    shapes.set('classifier.dense.weight', [H, H]);
    shapes.set('classifier.dense.bias', [H]);
    shapes.set('classifier.out_proj.weight', [numLabels, H]);
    shapes.set('classifier.out_proj.bias', [numLabels]);
    return { arch, task, kind: 'roberta', input: 'first-token', numLabels, featureSize: H, dropout, shapes };
  }
  const P = encoder.pooledSize;
  shapes.set('classifier.weight', [numLabels, P]);
  shapes.set('classifier.bias', [numLabels]);
  return { arch, task, kind: 'linear', input: 'pooled', numLabels, featureSize: P, dropout, shapes };
}

/** Head parameter names never clash with encoder names: they live under these top-level modules. */
export function isHeadParamName(name: string): boolean {
  return name.startsWith('classifier.') || name.startsWith('pre_classifier.');
}

/** transformers' class name for an exported checkpoint's config.json "architectures" (none for USE-Lite). */
export function hfArchitectureName(arch: Architecture, task: Task): string | null {
  const base = { bert: 'Bert', distilbert: 'DistilBert', roberta: 'Roberta', 'use-lite': null }[arch];
  if (!base) return null;
  return `${base}${task === 'token-classification' ? 'ForTokenClassification' : 'ForSequenceClassification'}`;
}

/** Hugging Face's _init_weights for Linear: weight ~ N(0, initializer_range), bias 0. Seeded. */
export function initHeadParams(spec: HeadSpec, std: number, seed: number): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  let i = 0;
  for (const [name, shape] of spec.shapes) {
    i++;
    const init = tf.tidy(() => (name.endsWith('.bias') ? tf.zeros(shape) : tf.randomNormal(shape, 0, std, 'float32', seed * 104729 + i)));
    out.set(name, tf.variable(init, true));
    init.dispose();
  }
  return out;
}

/** The encoder output the head reads (not in a tidy: the caller owns it and may need gradients through it). */
export function headFeatures(spec: HeadSpec, out: EncoderOutput): tf.Tensor {
  if (spec.input === 'pooled') return out.pooled;
  if (spec.input === 'sequence') return out.sequence;
  const [b, , h] = out.sequence.shape;
  return out.sequence.slice([0, 0, 0], [b, 1, h]).reshape([b, h]);
}

function lin(params: Map<string, tf.Variable>, prefix: string, x: tf.Tensor): tf.Tensor {
  const w = params.get(`${prefix}.weight`);
  const b = params.get(`${prefix}.bias`);
  if (!w || !b) throw new Error(`missing head parameter "${prefix}"`);
  const shape = x.shape;
  const y = matMulWt(x.reshape([-1, shape[shape.length - 1]]), w).add(b);
  return y.reshape([...shape.slice(0, -1), w.shape[0]]);
}

/**
 * The head on features: logits [B, numLabels] or [B, T, numLabels]. Dropout masks are seeded from opts.seed with
 * their own stream, so they neither repeat nor shift the encoder's masks.
 */
export function applyHead(spec: HeadSpec, params: Map<string, tf.Variable>, features: tf.Tensor, opts: ForwardOptions): tf.Tensor {
  let k = 0;
  const drop = (x: tf.Tensor): tf.Tensor => {
    k++;
    if (!opts.training || spec.dropout <= 0) return x;
    const seed = opts.seed === undefined ? undefined : opts.seed * 7717 + 90001 + k;
    if (seed !== undefined && opts.rows) return x.mul(tf.tensor(rowDropoutMask(x.size, opts.rows, spec.dropout, seed), x.shape, 'float32'));
    return tf.dropout(x, spec.dropout, undefined, seed);
  };
  const f = features;
  if (f.shape[f.shape.length - 1] !== spec.featureSize) {
    throw new Error(`head expects features of width ${spec.featureSize}, got [${f.shape.join(', ')}]`);
  }
  switch (spec.kind) {
    case 'linear':
      return lin(params, 'classifier', drop(f));
    case 'distilbert':
      return lin(params, 'classifier', drop(tf.relu(lin(params, 'pre_classifier', f))));
    case 'roberta':
      return lin(params, 'classifier.out_proj', drop(tf.tanh(lin(params, 'classifier.dense', drop(f)))));
  }
}
