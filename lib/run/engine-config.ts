// A run's settings (RunConfig, the same for the studio and the CLI) as the engine's inputs: the fine-tuning mode and
// the TrainConfig. Per-task defaults (selection metric, LoRA targets, label smoothing and class weights only where
// they mean something) are decided here, once.
import type { FineTuneMode, LoraTarget, Task } from '../models/types';
import { selectsOnValidation, type TrainConfig } from '../train/config';
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

/** Head only without a best checkpoint: one every this many steps (steps on cached features take 1–3 ms; a checkpoint
 *  holds the whole model, 28 MB for USE-Lite, 0.7–0.8 s to write in Chromium: at 100 steps the studio's 100-row SMS
 *  run spent 4 of its 11 s writing five of them) */
const HEAD_CHECKPOINT_STEPS = 1000;
/** Head only: a better evaluation is written at most this often (in between it waits in memory; see TrainConfig) */
const HEAD_BEST_EVERY_SEC = 10;

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
    ...(c.stopAfter ? { stopAfter: c.stopAfter } : {}),
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
    // nor writes it: a head over 100 rows improved on 10 held-out rows at most of its 167 epochs, and each best
    // checkpoint (the whole model, 28 MB) took most of a 33 s run
    ...(select ? {} : { restoreBest: false, keepBest: false }),
    // head-only: the best and the final checkpoint suffice (each also stores the frozen encoder, seconds to write);
    // without a best one, every HEAD_CHECKPOINT_STEPS steps
    checkpointEveryEpoch: c.mode !== 'head',
    // head-only epochs take a fraction of a second on cached features and improve at most of them; a best checkpoint
    // holds the whole model (0.7-0.8 s each in Chromium: 13 of them were 8-10 s of a 26 s Banking77 3,000-row run)
    ...(c.mode === 'head' ? { bestCheckpointEverySec: HEAD_BEST_EVERY_SEC } : {}),
    // a reload or kill mid-epoch loses at most about a quarter of an epoch (of the run, where it stops within one);
    // head-only epochs take seconds
    checkpointEverySteps:
      c.mode === 'head'
        ? select
          ? undefined
          : Math.max(HEAD_CHECKPOINT_STEPS, stepsPerEpoch)
        : Math.max(5, Math.ceil(Math.min(stepsPerEpoch, c.maxSteps ?? Infinity) / 4)),
    keepCheckpoints: 1,
  };
}
