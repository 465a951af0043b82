// Training options (plain data: stored in checkpoints and run.json) and their defaults and checks. Every bad value
// throws a UserError naming the option.
import { UserError } from '@/lib/errors';
import type { ScheduleKind } from './schedule';

/** Adam with decoupled weight decay (PyTorch's AdamW) or with L2 added to the gradient (lib/train/optimizer.ts). Kept
 *  here, below the optimizer, so that the stored checkpoint format (lib/store/types.ts) needs nothing above it. */
export type OptimizerKind = 'adamw' | 'adam';

export interface EarlyStoppingConfig {
  /** a scalar metric name from the eval event, e.g. "loss", "accuracy", "macroF1", "mse" */
  metric: string;
  patience: number;
  minDelta?: number;
  /** default: "min" for loss/mse/mae/hammingLoss, else "max" */
  mode?: 'min' | 'max';
}

/** Where a run ends before its planned length (whichever comes first): after this many epochs or optimizer steps. */
export interface StopAfter {
  epochs?: number;
  steps?: number;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** the classifier head's learning rate ÷ the encoder's when the encoder trains too (full, freeze, LoRA); a freshly
   *  initialised head often wants a larger rate than pre-trained weights (default 1; ignored in head-only mode) */
  headLrMultiplier?: number;
  optimizer?: OptimizerKind; // adamw
  /** keep an exponential moving average of the weights with this decay (e.g. 0.999) and evaluate, keep and export
   *  the average (lib/train/ema.ts); 0 = off (default) */
  emaDecay?: number;
  weightDecay?: number; // 0.01
  beta1?: number; // 0.9
  beta2?: number; // 0.999
  epsilon?: number; // 1e-8
  schedule?: ScheduleKind; // linear
  /** warmup in optimizer steps; or warmupRatio of the total */
  warmupSteps?: number;
  warmupRatio?: number;
  /** clip gradients to this global norm; 0 turns clipping off (default 1) */
  maxGradNorm?: number;
  /** micro-batches per optimizer step (default 1) */
  gradAccumSteps?: number;
  /** 0..1 (classification only) */
  labelSmoothing?: number;
  /** per-class loss weights, or "balanced" (n / (classes · count)) from the training split */
  classWeights?: number[] | 'balanced';
  seed?: number; // 42
  /** the run's length in optimizer steps instead of `epochs` (its schedule spans these steps) */
  maxSteps?: number;
  /** end the run early here with its schedule unchanged: a tune's trial, continued later from its final checkpoint */
  stopAfter?: StopAfter;
  /** also evaluate every N optimizer steps (besides each epoch's end) */
  evalEverySteps?: number;
  evalBatchSize?: number;
  earlyStopping?: EarlyStoppingConfig;
  /** metric that picks the best checkpoint when there is no early stopping (default "loss") */
  bestMetric?: string;
  /** restore the best weights at the end (default true when there is validation data) */
  restoreBest?: boolean;
  /** write the best evaluation's checkpoint to the store (default true); off where the evaluation cannot pick one */
  keepBest?: boolean;
  /** write a best checkpoint at most every this many seconds (default 0: at each improvement); an improvement in
   *  between waits in memory and is written before any other checkpoint, at the end, or at the first evaluation once
   *  the interval has passed (a crash loses at most that much of the best's progress) */
  bestCheckpointEverySec?: number;
  checkpointEverySteps?: number;
  /** save a checkpoint at the end of each epoch (default true when a store is given) */
  checkpointEveryEpoch?: boolean;
  /** periodic/epoch checkpoints to keep besides the best (default 2) */
  keepCheckpoints?: number;
  /** padded lengths are rounded up to this multiple to bound the number of distinct shapes (default: 16 on the GPU
   *  backends, which compile a shader per shape; 1 on wasm and cpu, where a shape costs nothing and padding is waste) */
  padMultiple?: number;
  /** batches are formed from length-sorted windows of this many batches (default 50; 1 = no bucketing) */
  bucketWindow?: number;
  /** sigmoid threshold for multi-label predictions (default 0.5) */
  multilabelThreshold?: number;
}

export type ResolvedConfig = Required<
  Omit<
    TrainConfig,
    | 'warmupSteps'
    | 'warmupRatio'
    | 'classWeights'
    | 'maxSteps'
    | 'stopAfter'
    | 'evalEverySteps'
    | 'earlyStopping'
    | 'checkpointEverySteps'
    | 'padMultiple'
  >
> &
  Pick<
    TrainConfig,
    | 'warmupSteps'
    | 'warmupRatio'
    | 'classWeights'
    | 'maxSteps'
    | 'stopAfter'
    | 'evalEverySteps'
    | 'earlyStopping'
    | 'checkpointEverySteps'
    | 'padMultiple'
  >;

const MIN_METRICS = new Set(['loss', 'mse', 'mae', 'rmse', 'hammingLoss']);
export function metricMode(metric: string, explicit?: 'min' | 'max'): 'min' | 'max' {
  return explicit ?? (MIN_METRICS.has(metric) ? 'min' : 'max');
}

/** Below this many validation rows a run neither stops early nor keeps its best evaluation's weights: one row moves
 *  accuracy by over 2 %, so the best of a few evaluations is mostly noise. 32 SST-2 rows, 3 of them held out: the
 *  head was restored to its first step's weights (55.5 % on SST-2 dev); its whole run gives 66.1 %. */
export const MIN_SELECTION_ROWS = 50;

/** Whether a run of this many validation rows selects on them (early stopping, the best evaluation's weights). */
export const selectsOnValidation = (validationExamples: number) => validationExamples >= MIN_SELECTION_ROWS;

/** Why so few validation rows select nothing, for the run's status line and the recipe's reason:
 *  "(under 50; each row is 10 % of them)". */
export const fewRowsWhy = (held: number) =>
  `(under ${MIN_SELECTION_ROWS}; each row is ${(100 / held).toFixed(held > 20 ? 1 : 0)} % of them)`;

function check(cond: boolean, option: string, what: string, fix: string): void {
  if (!cond) throw new UserError(what, { option }, fix);
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function resolveConfig(c: TrainConfig, opts: { hasStore?: boolean; hasValidation?: boolean } = {}): ResolvedConfig {
  check(isInt(c.epochs) && c.epochs >= 1, 'epochs', `epochs must be a whole number ≥ 1 (got ${c.epochs})`, 'set epochs to 1 or more');
  check(isInt(c.batchSize) && c.batchSize >= 1, 'batchSize', `batch size must be a whole number ≥ 1 (got ${c.batchSize})`, 'try 16 or 32');
  check(
    isNum(c.learningRate) && c.learningRate > 0,
    'learningRate',
    `learning rate must be a positive number (got ${c.learningRate})`,
    'try 2e-5 for full fine-tuning or 1e-3 for head-only',
  );
  const r: ResolvedConfig = {
    epochs: c.epochs,
    batchSize: c.batchSize,
    learningRate: c.learningRate,
    headLrMultiplier: c.headLrMultiplier ?? 1,
    optimizer: c.optimizer ?? 'adamw',
    emaDecay: c.emaDecay ?? 0,
    weightDecay: c.weightDecay ?? 0.01,
    beta1: c.beta1 ?? 0.9,
    beta2: c.beta2 ?? 0.999,
    epsilon: c.epsilon ?? 1e-8,
    schedule: c.schedule ?? 'linear',
    warmupSteps: c.warmupSteps,
    warmupRatio: c.warmupRatio,
    maxGradNorm: c.maxGradNorm ?? 1,
    gradAccumSteps: c.gradAccumSteps ?? 1,
    labelSmoothing: c.labelSmoothing ?? 0,
    classWeights: c.classWeights,
    seed: c.seed ?? 42,
    maxSteps: c.maxSteps,
    stopAfter: c.stopAfter,
    evalEverySteps: c.evalEverySteps,
    evalBatchSize: c.evalBatchSize ?? Math.max(c.batchSize, 32),
    earlyStopping: c.earlyStopping,
    bestMetric: c.bestMetric ?? c.earlyStopping?.metric ?? 'loss',
    restoreBest: c.restoreBest ?? Boolean(opts.hasValidation),
    keepBest: c.keepBest ?? true,
    bestCheckpointEverySec: c.bestCheckpointEverySec ?? 0,
    checkpointEverySteps: c.checkpointEverySteps,
    checkpointEveryEpoch: c.checkpointEveryEpoch ?? Boolean(opts.hasStore),
    keepCheckpoints: c.keepCheckpoints ?? 2,
    padMultiple: c.padMultiple,
    bucketWindow: c.bucketWindow ?? 50,
    multilabelThreshold: c.multilabelThreshold ?? 0.5,
  };
  check(r.optimizer === 'adamw' || r.optimizer === 'adam', 'optimizer', `unknown optimizer "${r.optimizer}"`, 'use "adamw" or "adam"');
  check(
    ['constant', 'linear', 'cosine'].includes(r.schedule),
    'schedule',
    `unknown schedule "${r.schedule}"`,
    'use "constant", "linear" or "cosine"',
  );
  check(
    isNum(r.headLrMultiplier) && r.headLrMultiplier > 0,
    'headLrMultiplier',
    `head learning-rate multiplier must be a positive number (got ${r.headLrMultiplier})`,
    'use 1 for one rate everywhere, or e.g. 10–30 for a new head over a pre-trained encoder',
  );
  check(
    isNum(r.emaDecay) && r.emaDecay >= 0 && r.emaDecay < 1,
    'emaDecay',
    `weight-average decay must be in [0, 1) (got ${r.emaDecay})`,
    'try 0.999, or 0 to turn the average off',
  );
  check(isNum(r.weightDecay) && r.weightDecay >= 0, 'weightDecay', `weight decay must be ≥ 0 (got ${r.weightDecay})`, 'try 0.01');
  check(isNum(r.beta1) && r.beta1 >= 0 && r.beta1 < 1, 'beta1', `beta1 must be in [0, 1) (got ${r.beta1})`, 'try 0.9');
  check(isNum(r.beta2) && r.beta2 >= 0 && r.beta2 < 1, 'beta2', `beta2 must be in [0, 1) (got ${r.beta2})`, 'try 0.999');
  check(isNum(r.epsilon) && r.epsilon > 0, 'epsilon', `epsilon must be > 0 (got ${r.epsilon})`, 'try 1e-8');
  check(
    r.warmupSteps === undefined || (isNum(r.warmupSteps) && r.warmupSteps >= 0),
    'warmupSteps',
    `warmup steps must be ≥ 0 (got ${r.warmupSteps})`,
    'use a step count, or warmupRatio for a fraction',
  );
  check(
    r.warmupRatio === undefined || (isNum(r.warmupRatio) && r.warmupRatio >= 0 && r.warmupRatio < 1),
    'warmupRatio',
    `warmup ratio must be in [0, 1) (got ${r.warmupRatio})`,
    'try 0.06 or 0.1',
  );
  check(
    isNum(r.maxGradNorm) && r.maxGradNorm >= 0,
    'maxGradNorm',
    `max gradient norm must be ≥ 0 (got ${r.maxGradNorm})`,
    'try 1, or 0 to turn clipping off',
  );
  check(
    isInt(r.gradAccumSteps) && r.gradAccumSteps >= 1,
    'gradAccumSteps',
    `gradient accumulation must be a whole number ≥ 1 (got ${r.gradAccumSteps})`,
    'use 1 to turn it off',
  );
  check(
    isNum(r.labelSmoothing) && r.labelSmoothing >= 0 && r.labelSmoothing < 1,
    'labelSmoothing',
    `label smoothing must be in [0, 1) (got ${r.labelSmoothing})`,
    'try 0.1, or 0 to turn it off',
  );
  check(isInt(r.seed), 'seed', `seed must be a whole number (got ${r.seed})`, 'e.g. 42');
  check(
    r.maxSteps === undefined || (isInt(r.maxSteps) && r.maxSteps >= 1),
    'maxSteps',
    `max steps must be a whole number ≥ 1 (got ${r.maxSteps})`,
    'leave it out to train for all epochs',
  );
  const stop = r.stopAfter;
  check(
    stop === undefined || [stop.epochs, stop.steps].every((n) => n === undefined || (isInt(n) && n >= 1)),
    'stopAfter',
    `a run can stop after a whole number ≥ 1 of epochs or steps (got ${JSON.stringify(stop)})`,
    'leave it out to train the whole length',
  );
  check(
    r.evalEverySteps === undefined || (isInt(r.evalEverySteps) && r.evalEverySteps >= 1),
    'evalEverySteps',
    `evaluation interval must be a whole number ≥ 1 (got ${r.evalEverySteps})`,
    'leave it out to evaluate once per epoch',
  );
  check(
    isInt(r.evalBatchSize) && r.evalBatchSize >= 1,
    'evalBatchSize',
    `evaluation batch size must be ≥ 1 (got ${r.evalBatchSize})`,
    'try 64',
  );
  check(
    Number.isFinite(r.bestCheckpointEverySec) && r.bestCheckpointEverySec >= 0,
    'bestCheckpointEverySec',
    `the best checkpoint's interval must be a number of seconds ≥ 0 (got ${r.bestCheckpointEverySec})`,
    'leave it out to write each improvement at once',
  );
  check(
    r.checkpointEverySteps === undefined || (isInt(r.checkpointEverySteps) && r.checkpointEverySteps >= 1),
    'checkpointEverySteps',
    `checkpoint interval must be a whole number ≥ 1 (got ${r.checkpointEverySteps})`,
    'leave it out to checkpoint once per epoch',
  );
  check(
    isInt(r.keepCheckpoints) && r.keepCheckpoints >= 0,
    'keepCheckpoints',
    `checkpoints to keep must be ≥ 0 (got ${r.keepCheckpoints})`,
    'try 2',
  );
  check(
    r.padMultiple === undefined || (isInt(r.padMultiple) && r.padMultiple >= 1),
    'padMultiple',
    `pad multiple must be ≥ 1 (got ${r.padMultiple})`,
    "try 16, or leave it out for the backend's default",
  );
  check(
    isInt(r.bucketWindow) && r.bucketWindow >= 1,
    'bucketWindow',
    `bucket window must be ≥ 1 (got ${r.bucketWindow})`,
    'try 50, or 1 to turn bucketing off',
  );
  check(
    isNum(r.multilabelThreshold) && r.multilabelThreshold > 0 && r.multilabelThreshold < 1,
    'multilabelThreshold',
    `multi-label threshold must be in (0, 1) (got ${r.multilabelThreshold})`,
    'try 0.5',
  );
  if (Array.isArray(r.classWeights)) {
    check(
      r.classWeights.every((w) => isNum(w) && w >= 0),
      'classWeights',
      'class weights must be numbers ≥ 0',
      'give one weight per label, or "balanced"',
    );
  } else {
    check(
      r.classWeights === undefined || r.classWeights === 'balanced',
      'classWeights',
      `unknown class weights "${String(r.classWeights)}"`,
      'give one weight per label, or "balanced"',
    );
  }
  if (r.earlyStopping) {
    const e = r.earlyStopping;
    check(
      typeof e.metric === 'string' && e.metric.length > 0,
      'earlyStopping.metric',
      'early stopping needs a metric name',
      'e.g. "loss" or "macroF1"',
    );
    check(
      isInt(e.patience) && e.patience >= 1,
      'earlyStopping.patience',
      `patience must be a whole number ≥ 1 (got ${e.patience})`,
      'try 2 or 3',
    );
    check(
      e.minDelta === undefined || (isNum(e.minDelta) && e.minDelta >= 0),
      'earlyStopping.minDelta',
      `min delta must be ≥ 0 (got ${e.minDelta})`,
      'try 0 or 0.001',
    );
  }
  return r;
}
