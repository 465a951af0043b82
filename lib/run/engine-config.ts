// A run's settings (RunConfig, the same for the studio and the CLI) as the engine's inputs: the fine-tuning mode and
// the TrainConfig. Per-task defaults (selection metric, LoRA targets, label smoothing and class weights only where
// they mean something) are decided here, once.
import type { FineTuneMode, LoraTarget, Task } from '../models/types';
import type { TrainConfig } from '../train/config';
import type { RunConfig } from './config';

export const DEFAULT_LORA_TARGETS: LoraTarget[] = ['query', 'value'];

/** The validation metric that picks the best checkpoint and drives early stopping when none is named. */
export function defaultMetric(task: Task | RunConfig['task']): string {
  if (task === 'token-classification') return 'entityF1'; // entity-level micro-F1, as seqeval and the HF NER scripts
  return task === 'regression' ? 'loss' : 'macroF1';
}

export function modeOf(c: RunConfig): FineTuneMode {
  switch (c.mode) {
    case 'full':
      return { kind: 'full' };
    case 'head':
      return { kind: 'head' };
    case 'freeze':
      return { kind: 'freeze', layers: c.freezeLayers };
    case 'lora':
      return { kind: 'lora', rank: c.loraRank, alpha: c.loraAlpha, dropout: c.loraDropout, targets: c.loraTargets ?? DEFAULT_LORA_TARGETS };
  }
}

/** Below this many validation rows a run neither stops early nor keeps its best evaluation's weights: one row moves
 *  accuracy by over 2 %, so the best of a few evaluations is mostly noise. 32 SST-2 rows, 3 of them held out: the
 *  head was restored to its first step's weights (55.5 % on SST-2 dev); its whole run gives 66.1 %. */
export const MIN_SELECTION_ROWS = 50;

/** Whether a run of this many validation rows selects on them (early stopping, the best evaluation's weights). */
export const selectsOnValidation = (validationExamples: number) => validationExamples >= MIN_SELECTION_ROWS;

/** The engine's TrainConfig for a run (the checkpoint cadence applies where a checkpoint store is given). `task`: the
 *  model's, where the data decides it (token classification is not one of the form's tasks). */
export function trainConfigOf(c: RunConfig, examples: { train: number; validation: number }, task: Task = c.task): TrainConfig {
  const trainExamples = examples.train;
  const select = selectsOnValidation(examples.validation);
  const stepsPerEpoch = Math.ceil(Math.ceil(trainExamples / c.batchSize) / c.gradAccumulation);
  const metric = c.metric ?? defaultMetric(task);
  return {
    epochs: c.epochs,
    batchSize: c.batchSize,
    learningRate: c.learningRate,
    headLrMultiplier: c.headLrMultiplier,
    emaDecay: c.emaDecay,
    weightDecay: c.weightDecay,
    schedule: c.schedule,
    ...(c.warmupSteps !== undefined ? { warmupSteps: c.warmupSteps } : { warmupRatio: c.warmupRatio }),
    ...(c.optimizer ? { optimizer: c.optimizer } : {}),
    ...(c.maxSteps !== undefined ? { maxSteps: c.maxSteps } : {}),
    ...(c.multilabelThreshold !== undefined ? { multilabelThreshold: c.multilabelThreshold } : {}),
    maxGradNorm: c.gradClip,
    gradAccumSteps: c.gradAccumulation,
    labelSmoothing: c.task === 'classification' ? c.labelSmoothing : 0,
    classWeights: c.classWeights && c.task !== 'regression' ? 'balanced' : undefined,
    seed: c.seed,
    evalEverySteps: c.evalEverySteps || undefined,
    earlyStopping:
      c.earlyStoppingPatience > 0 && select ? { metric, patience: c.earlyStoppingPatience, minDelta: c.minDelta ?? 0 } : undefined,
    bestMetric: metric,
    ...(select ? {} : { restoreBest: false }),
    // head-only: the best and the final checkpoint suffice (each also stores the frozen encoder, seconds to write)
    checkpointEveryEpoch: c.mode !== 'head',
    // a reload or kill mid-epoch loses at most about a quarter of an epoch; head-only epochs take seconds
    checkpointEverySteps: c.mode === 'head' ? undefined : Math.max(5, Math.ceil(stepsPerEpoch / 4)),
    keepCheckpoints: 1,
  };
}
