// What fineTune() yields, as a discriminated union: the UI protocol, the worker and the CLI import these types.
import type { ErrorInfo } from '@/lib/errors';
import type { Task } from '@/lib/models/types';
import type { CheckpointMeta, MetricsSoFar } from '@/lib/store/types';
import type { ClassificationReport, MultilabelReport, RegressionReport } from './metrics';
import type { NerReport } from './ner-metrics';

export interface EvalResult {
  task: Task;
  /** examples evaluated */
  count: number;
  loss: number;
  /** every scalar metric by name (loss, accuracy, macroF1, microF1, weightedF1, mse, r2, ...; token classification
   *  also entityF1, entityPrecision, entityRecall, entityMacroF1, tokenAccuracy): charts and early stopping read these */
  scalars: Record<string, number>;
  /** classification, and token classification per word (the tag of its first piece) */
  classification?: ClassificationReport;
  /** token classification: entity-level scores (exact span and type, as seqeval), per word over whole sentences */
  ner?: NerReport;
  multilabel?: MultilabelReport;
  regression?: RegressionReport;
}

export type StopReason = 'completed' | 'max-steps' | 'early-stop' | 'aborted';

export type TrainEvent =
  | {
      type: 'start';
      runId: string;
      epochs: number;
      stepsPerEpoch: number;
      totalSteps: number;
      trainExamples: number;
      validationExamples: number;
      params: { trainable: number; total: number };
      /** threads that compute each step's gradients (data-parallel; 1 in head-only mode) */
      threads: number;
      /** head-only mode: encoder features were computed once, in this many seconds */
      featureCacheSec?: number;
      resumedFromStep?: number;
    }
  | {
      type: 'step';
      step: number; // optimizer steps done, 1-based
      epoch: number; // 0-based epoch this step belongs to
      epochProgress: number; // fractional epochs done, e.g. 1.25
      loss: number;
      lr: number;
      gradNorm: number; // before clipping
      samplesPerSec: number;
      etaSec: number;
      /** the run's steps as planned now (epochs added while it runs count) */
      totalSteps?: number;
    }
  | { type: 'eval'; step: number; epoch: number; result: EvalResult }
  | { type: 'checkpoint'; checkpoint: CheckpointMeta }
  | { type: 'early-stop'; step: number; epoch: number; metric: string; best: number; bestStep: number; patience: number }
  | { type: 'state'; state: 'paused' | 'running'; step: number }
  | {
      type: 'done';
      reason: StopReason;
      step: number;
      epoch: number;
      /** metrics of the weights the model holds now (the best ones when they were restored) */
      final: EvalResult | null;
      best: MetricsSoFar['best'];
      restoredBest: boolean;
      bestCheckpointId?: string;
      lastCheckpointId?: string;
      history: MetricsSoFar['evals'];
    }
  | { type: 'error'; error: ErrorInfo; step: number; lastGoodCheckpointId?: string };

export type TrainEventType = TrainEvent['type'];

/** Re-exported: adapters import the controls together with the event types. */
export { RunControls } from './controls';
