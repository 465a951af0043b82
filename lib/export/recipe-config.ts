// A run's settings as a recipe's CONFIG (lib/export/recipe.ts): resolved as the engine resolves them for training
// (lib/run/engine-config.ts, lib/train/config.ts) and named after Trainer's arguments, plus the Python literal of it.
import { UserError } from '../errors';
import type { LoraTarget } from '../models/types';
import { PAIR_BATCH, PAIR_CAP, PAIR_LEARNING_RATE } from '../train/pair-plan';
import { contrastiveRoundsOf, headFirstEpochsOf, type ModeName, type RunConfig, type ScheduleName } from '../run/config';
import { modeOf, trainConfigOf } from '../run/engine-config';
import { metricMode, resolveConfig } from '../train/config';

/** One example as the run saw it: label a name (classification), names (multi-label) or a number (regression). */
export interface RecipeRow {
  text: string;
  pair?: string;
  label: string | string[] | number;
}

export interface RecipeInput {
  /** the run's settings; the recipe resolves them as the engine does (task-dependent defaults included) */
  config: RunConfig;
  /** label names in id order, as the run's model has them (empty for regression) */
  labels: string[];
  /** the rows the run trained, validated and tested on, in order (data/<split>.csv) */
  rows: { train: RecipeRow[]; validation: RecipeRow[]; test?: RecipeRow[] };
  /** the CSVs' column names, e.g. the dataset's mapped columns (default text, text_pair, label) */
  columns?: { text?: string; pair?: string; label?: string };
  /** the model train.py loads instead of the one config.model names: a Hub id or a folder next to train.py */
  model?: string;
  /** the encoder's architecture, when known: 'use-lite' marks a model that transformers cannot load */
  arch?: string;
  /** per-class loss weights the run was given besides its config (the Data screen's); else config.classWeights */
  classWeights?: number[];
}

/** What train.py's CONFIG holds: the run's hyperparameters under Trainer-like names (README.md maps each one). */
export interface RecipeConfig {
  run_name: string;
  model: string;
  model_revision: string | null;
  hub_endpoint: string | null;
  /** the model the run used when `model` only stands in for it (USE-Lite) */
  substitute_for: string | null;
  task: 'classification' | 'multilabel' | 'regression';
  labels: string[];
  text_column: string;
  pair_column: string | null;
  label_column: string;
  /** multi-label: the separator between a row's labels in the label column */
  label_separator: string | null;
  mode: ModeName;
  freeze_layers: number;
  lora_r: number | null;
  lora_alpha: number | null;
  lora_dropout: number | null;
  lora_targets: LoraTarget[] | null;
  epochs: number;
  batch_size: number;
  gradient_accumulation: number;
  learning_rate: number;
  head_lr_multiplier: number;
  /** full / freeze: epochs the head trains alone before everything trains (LP-FT; 0 = off) */
  head_first_epochs: number;
  /** head only: rounds of contrastive pairs the encoder is tuned on before the head (SetFit; 0 = off) */
  contrastive_rounds: number;
  /** that phase's fixed settings (lib/train/pair-plan.ts) */
  pair_learning_rate: number;
  pair_batch_size: number;
  pair_cap: number;
  optimizer: 'adamw' | 'adam';
  weight_decay: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  schedule: ScheduleName;
  lr_scheduler_type: 'linear' | 'cosine' | 'constant_with_warmup';
  warmup_ratio: number | null;
  warmup_steps: number | null;
  max_grad_norm: number;
  label_smoothing: number;
  dropout: number;
  max_length: number;
  seed: number;
  class_weights: 'balanced' | number[] | null;
  eval_every_steps: number;
  eval_batch_size: number;
  metric: string;
  greater_is_better: boolean;
  early_stopping_patience: number;
  early_stopping_min_delta: number;
  /** keep the best evaluation's weights at the end (off under 50 validation rows, as the engine) */
  load_best_model: boolean;
  max_steps: number | null;
  multilabel_threshold: number;
  ema_decay: number;
  output_dir: string;
}

/** The transformers model that stands in for USE-Lite (a small BERT-architecture sentence encoder). */
export const USE_LITE_SUBSTITUTE = 'sentence-transformers/all-MiniLM-L6-v2';

const SEPARATORS = ['|', ';', ',', '/', '+', '#', '~', '^'];

/** Whether the run's model is USE-Lite, which transformers has no architecture for. */
export function isUseLite(input: Pick<RecipeInput, 'config' | 'arch'>): boolean {
  return input.arch === 'use-lite' || input.config.model.kind === 'bundled';
}

function modelName(input: RecipeInput): string {
  if (input.model) return input.model;
  if (isUseLite(input)) return USE_LITE_SUBSTITUTE;
  const m = input.config.model;
  if (m.kind === 'hub') return m.id;
  if (m.kind === 'folder') return m.name;
  return 'model'; // a studio run's checkpoint: exported as a Hugging Face folder next to train.py
}

function columnsOf(input: RecipeInput): { text: string; pair: string | null; label: string } {
  const hasPair = [...input.rows.train, ...input.rows.validation, ...(input.rows.test ?? [])].some((r) => r.pair !== undefined);
  const text = input.columns?.text || 'text';
  let pair = hasPair ? input.columns?.pair || 'text_pair' : null;
  let label = input.columns?.label || 'label';
  const taken = new Set([text]);
  const free = (name: string) => {
    let n = name;
    for (let i = 2; taken.has(n); i++) n = `${name}_${i}`;
    taken.add(n);
    return n;
  };
  if (pair !== null) pair = free(pair);
  label = free(label);
  return { text, pair, label };
}

function labelSeparator(labels: string[]): string {
  const sep = SEPARATORS.find((s) => labels.every((l) => !l.includes(s)));
  if (!sep)
    throw new UserError(
      `Every separator (${SEPARATORS.join(' ')}) occurs in some label name, so a row's labels cannot be written in one column.`,
      { option: 'labels' },
      'Rename the labels that contain these characters.',
    );
  return sep;
}

/** train.py's CONFIG for a run: its settings resolved as the engine resolves them for training. */
export function recipeConfig(input: RecipeInput): RecipeConfig {
  const c = input.config;
  const task = c.task;
  if ((task as string) === 'token-classification')
    throw new UserError('The Trainer recipe covers sequence tasks only.', { option: 'task' }, 'Export a classification or regression run.');
  const tc = trainConfigOf(c, { train: input.rows.train.length, validation: input.rows.validation.length });
  const r = resolveConfig(tc, { hasValidation: input.rows.validation.length > 0 });
  const mode = modeOf(c);
  const cols = columnsOf(input);
  const metric = r.bestMetric;
  const weights = task === 'regression' ? null : (input.classWeights ?? r.classWeights ?? null);
  return {
    run_name: c.name,
    model: modelName(input),
    model_revision: !input.model && c.model.kind === 'hub' && c.model.revision ? c.model.revision : null,
    hub_endpoint: !input.model && c.model.kind === 'hub' && c.model.endpoint ? c.model.endpoint : null,
    substitute_for: !input.model && isUseLite(input) ? 'USE-Lite' : null,
    task,
    labels: task === 'regression' ? [] : [...input.labels],
    text_column: cols.text,
    pair_column: cols.pair,
    label_column: cols.label,
    label_separator: task === 'multilabel' ? labelSeparator(input.labels) : null,
    mode: c.mode,
    freeze_layers: mode.kind === 'freeze' ? mode.layers : 0,
    lora_r: mode.kind === 'lora' ? mode.rank : null,
    lora_alpha: mode.kind === 'lora' ? mode.alpha : null,
    lora_dropout: mode.kind === 'lora' ? mode.dropout : null,
    lora_targets: mode.kind === 'lora' ? [...mode.targets] : null,
    epochs: r.epochs,
    batch_size: r.batchSize,
    gradient_accumulation: r.gradAccumSteps,
    learning_rate: r.learningRate,
    head_lr_multiplier: r.headLrMultiplier,
    head_first_epochs: headFirstEpochsOf(c),
    contrastive_rounds: contrastiveRoundsOf(c),
    pair_learning_rate: PAIR_LEARNING_RATE,
    pair_batch_size: PAIR_BATCH,
    pair_cap: PAIR_CAP,
    optimizer: r.optimizer,
    weight_decay: r.weightDecay,
    adam_beta1: r.beta1,
    adam_beta2: r.beta2,
    adam_epsilon: r.epsilon,
    schedule: r.schedule,
    lr_scheduler_type: r.schedule === 'constant' ? 'constant_with_warmup' : r.schedule,
    warmup_ratio: r.warmupSteps === undefined ? (r.warmupRatio ?? 0) : null,
    warmup_steps: r.warmupSteps !== undefined ? Math.round(r.warmupSteps) : null,
    max_grad_norm: r.maxGradNorm,
    label_smoothing: r.labelSmoothing,
    dropout: c.dropout,
    max_length: c.maxLength,
    seed: r.seed,
    class_weights: Array.isArray(weights) ? [...weights] : weights,
    eval_every_steps: r.evalEverySteps ?? 0,
    eval_batch_size: r.evalBatchSize,
    metric,
    greater_is_better: metricMode(metric, r.earlyStopping?.mode) === 'max',
    early_stopping_patience: r.earlyStopping?.patience ?? 0,
    early_stopping_min_delta: r.earlyStopping?.minDelta ?? 0,
    load_best_model: r.restoreBest,
    max_steps: r.maxSteps ?? null,
    multilabel_threshold: r.multilabelThreshold,
    ema_decay: r.emaDecay,
    output_dir: 'output',
  };
}

/** A JSON-compatible value as a Python literal (True/False/None; strings as JSON strings, which Python reads alike). */
export function pyLiteral(v: unknown, indent = ''): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  const inner = indent + '    ';
  if (Array.isArray(v)) {
    const items = v.map((x) => pyLiteral(x, inner));
    const flat = `[${items.join(', ')}]`;
    return flat.length <= 100 && !flat.includes('\n') ? flat : `[\n${items.map((x) => `${inner}${x},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pyLiteral(x, inner)},`);
  return `{\n${entries.join('\n')}\n${indent}}`;
}
