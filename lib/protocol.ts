// Every message between the UI and the engine worker. Imported by both sides, so the compiler catches a mismatch.
import type { BackendInfo } from './backend/init';
import type { BackendPreference } from './backend/select';
import type { ErrorInfo } from './errors';
import type { ModelSpec, RecipeFacts, RunConfig } from './run/config';
import type { RunEstimate } from './run/estimate';
import type { TuneRung } from './run/tune';
import type {
  CheckpointInfo,
  ColumnMapping,
  DatasetPreview,
  DatasetSummary,
  EvalPoint,
  EvaluationResult,
  Misclassified,
  ModelInfo,
  Prediction,
  RunHistory,
  RunProgress,
  RunRecord,
  RunStatus,
  PerClass,
  PredictedEntity,
  SplitSettings,
  StepPoint,
  StoredDataset,
  SweepSpec,
  TrainingDataOptions,
  TrainingDataSummary,
} from './session/types';
import type { BundleDecision, BundleImportResult, BundleInspection } from './export/bundle-format';
import type { EntityTypeReport, NerConfusion } from './train/ner-metrics';

/** Multi-label test metrics: a label is predicted where its sigmoid probability reaches `threshold`. */
export interface MultilabelEvaluation {
  task: 'multilabel';
  runId: string;
  split: 'test' | 'validation';
  labels: string[];
  count: number;
  threshold: number;
  /** mean binary cross-entropy over (example, label) pairs */
  loss: number;
  microPrecision: number;
  microRecall: number;
  microF1: number;
  macroF1: number;
  subsetAccuracy: number;
  hammingLoss: number;
  perLabel: PerClass[];
  /** examples with at least one wrong label, most wrong labels first */
  misclassified: { text: string; pair?: string; trueLabels: string[]; predicted: string[]; wrong: number }[];
  baseline?: { microF1: number; macroF1: number };
}

/** Regression test metrics, and the examples the model is furthest off on. */
export interface RegressionEvaluation {
  task: 'regression';
  runId: string;
  split: 'test' | 'validation';
  count: number;
  /** = mse */
  loss: number;
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  pearson: number;
  /** largest |error| first (at most 200) */
  largestErrors: { text: string; pair?: string; trueValue: number; predicted: number; error: number }[];
  baseline?: { mse: number; mae: number; r2: number; pearson: number };
}

/** A test sentence with at least one wrong entity (missed, spurious, wrong span or type): its words with the true and
 *  the predicted BIO tag of each, so that the UI can draw both sets of spans inline. */
export interface NerSentence {
  /** the dataset row the sentence starts at */
  row?: number;
  words: string[];
  trueTags: string[];
  predicted: string[];
  /** true entities not predicted exactly, plus predicted entities that match no true one */
  wrong: number;
}

/** Named-entity recognition test metrics at the entity level (exact span and type, as seqeval), per type and
 *  averaged, token accuracy, the entity-type confusion with "missed" and "spurious", and the sentences it gets wrong. */
export interface NerEvaluation {
  task: 'token-classification';
  runId: string;
  split: 'test' | 'validation';
  /** the BIO tags the model predicts */
  labels: string[];
  /** sentences scored */
  count: number;
  words: number;
  /** mean cross-entropy per word */
  loss: number;
  microPrecision: number;
  microRecall: number;
  microF1: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  weightedF1: number;
  tokenAccuracy: number;
  /** true entities, predicted entities, exact matches */
  support: number;
  predicted: number;
  correct: number;
  perType: EntityTypeReport[];
  confusion: NerConfusion;
  /** most wrong entities first (at most 200) */
  wrongSentences: NerSentence[];
  /** entity-level micro and macro F1 of the head-only baseline */
  baseline?: { microF1: number; macroF1: number };
}

/** What the 'evaluate' command returns, per task (single-label classification unchanged, tagged with its task). */
export type EvaluationReport =
  (EvaluationResult & { task: 'classification' }) | MultilabelEvaluation | RegressionEvaluation | NerEvaluation;

/** A long task's progress; every long command reports these before its result. */
export interface Progress {
  requestId: string;
  task: string; // what is happening, in words ("Tokenizing", "Downloading model.safetensors")
  done: number;
  total: number; // 0 when unknown
  etaSec?: number;
}

export type RunControl =
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'stop' }
  | { action: 'lr-multiplier'; value: number }
  | { action: 'extend'; epochs: number };

export type Command =
  | { type: 'init'; requestId: string; preference: BackendPreference; wasmPath: string }
  | { type: 'matmul'; requestId: string; a: number[]; b: number[]; m: number; k: number; n: number }
  /** 'lists' now and after every change to the stored datasets or runs (one watch per worker; again: the lists now) */
  | { type: 'lists-watch'; requestId: string }
  // datasets
  /** hasHeader: whether a delimited file's first row names its columns (left out: detected) */
  | { type: 'dataset-preview'; requestId: string; file: Blob; name: string; hasHeader?: boolean }
  | {
      type: 'dataset-import';
      requestId: string;
      file: Blob;
      name: string;
      mapping: ColumnMapping;
      split: SplitSettings;
      /** as in the preview the mapping was made on */
      hasHeader?: boolean;
    }
  | { type: 'dataset-report'; requestId: string; datasetId: string; maxLength: number }
  /** times a few steps of this run on a fresh copy of its model and scales them to the whole run */
  | { type: 'run-estimate'; requestId: string; config: RunConfig }
  /** label fixes from Evaluate: a new dataset version with these rows relabelled or left out (the original stays) */
  | { type: 'dataset-fix'; requestId: string; datasetId: string; fixes: { row: number; label?: string; drop?: boolean }[] }
  /** what the presets' recipes need to know about the training split (rows, labels, token lengths) */
  | { type: 'recipe-facts'; requestId: string; datasetId: string }
  | { type: 'dataset-clean'; requestId: string; datasetId: string; actions: string[]; apply: boolean }
  | { type: 'dataset-delete'; requestId: string; datasetId: string }
  | { type: 'dataset-rename'; requestId: string; datasetId: string; name: string }
  | { type: 'run-rename'; requestId: string; runId: string; name: string }
  /** the training rows whose label the trained model finds least likely (candidates for a label review) */
  | { type: 'suspicious-rows'; requestId: string; runId: string; limit: number }
  /** summary of the training data under `options` (the stored ones when absent); `save` keeps them for runs */
  | { type: 'dataset-training-data'; requestId: string; datasetId: string; options?: TrainingDataOptions; save?: boolean }
  // models
  | { type: 'model-load'; requestId: string; spec: ModelSpec; files?: File[] }
  // training
  | { type: 'train-start'; requestId: string; config: RunConfig }
  | { type: 'run-resume'; requestId: string; runId: string }
  | { type: 'sweep-start'; requestId: string; base: RunConfig; spec: SweepSpec }
  /** k-fold cross-validation of this config: one run per fold, k from the dataset's k-fold setting */
  | { type: 'cv-start'; requestId: string; base: RunConfig }
  /** Tune: successive halving around this config's recipe within the budget, each trial a run of one sweep */
  | { type: 'tune-start'; requestId: string; base: RunConfig; budgetMinutes: number }
  /** answered with 'ok' once applied, or with an error (the run is not training in this worker, a bad value) */
  | { type: 'run-control'; requestId: string; runId: string; control: RunControl }
  | { type: 'run-history'; requestId: string; runId: string }
  | { type: 'run-delete'; requestId: string; runId: string }
  // using a trained model
  | { type: 'predict'; requestId: string; runId: string; inputs: { text: string; pair?: string }[]; topK: number }
  | { type: 'predict-csv'; requestId: string; runId: string; file: Blob; textColumn: string; pairColumn?: string }
  /** a token-classification run: the entities of a raw text (split into words as CoNLL does), answered with 'entities' */
  | { type: 'predict-entities'; requestId: string; runId: string; text: string }
  | { type: 'evaluate'; requestId: string; runId: string; split: 'test' | 'validation'; baseline: boolean }
  /** the run's model as one zip: hf (default: Hugging Face folder + model card), onnx (transformers.js folder), recipe (Python) */
  | { type: 'export-zip'; requestId: string; runId: string; checkpointId?: string; format?: 'hf' | 'onnx' | 'recipe' }
  | { type: 'import-zip'; requestId: string; file: Blob; name: string }
  // project bundle (lib/session/bundle.ts): datasets with versions and splits, runs with metrics and checkpoints
  /** every dataset and run, or those named (with the datasets and base runs they need); checkpoints: each run's chosen
   *  one (the best, else the last) or all */
  | { type: 'bundle-export'; requestId: string; datasetIds?: string[]; runIds?: string[]; checkpoints?: 'chosen' | 'all' }
  /** what a bundle holds and which items conflict with stored ones (same id, or same name) */
  | { type: 'bundle-inspect'; requestId: string; file: Blob; name: string }
  /** imports a bundle; every conflicting item needs a decision (by BundleItem.key), else nothing is written */
  | { type: 'bundle-import'; requestId: string; file: Blob; name: string; decisions: Record<string, BundleDecision> };

export type EngineEvent =
  | { type: 'ready'; requestId: string; info: BackendInfo }
  | { type: 'progress'; progress: Progress }
  | { type: 'matmul-result'; requestId: string; backend: string; values: number[] }
  | { type: 'error'; requestId?: string; error: ErrorInfo }
  | { type: 'ok'; requestId: string; message?: string }
  /** the stored datasets and runs, newest first, as the worker's 'lists-watch' sees them */
  | { type: 'lists'; datasets: StoredDataset[]; runs: RunRecord[] }
  | { type: 'dataset-preview-result'; requestId: string; preview: DatasetPreview }
  | { type: 'dataset-imported'; requestId: string; datasetId: string; rows: number; warnings: string[] }
  | { type: 'dataset-report-result'; requestId: string; report: DatasetSummary }
  | { type: 'suspicious-rows-result'; requestId: string; rows: Misclassified[]; scored: number }
  | { type: 'dataset-fixed'; requestId: string; datasetId: string; name: string; relabelled: number; dropped: number }
  | { type: 'recipe-facts-result'; requestId: string; facts: RecipeFacts; folds: number }
  | { type: 'run-estimate-result'; requestId: string; estimate: RunEstimate }
  | { type: 'dataset-training-data-result'; requestId: string; summary: TrainingDataSummary }
  | { type: 'dataset-clean-result'; requestId: string; changes: { action: string; rows: number }[]; datasetId: string }
  | { type: 'model-loaded'; requestId: string; info: ModelInfo }
  | { type: 'run-started'; requestId: string; runId: string }
  | { type: 'sweep-started'; requestId: string; sweepId: string; runs: number }
  | {
      type: 'tune-started';
      requestId: string;
      tuneId: string;
      candidates: number;
      rungs: TuneRung[];
      /** the recipe is trained to the full length beside the winner (else compared after the first rung) */
      compare: boolean;
      plannedSec: number;
      metric: string;
    }
  /** a line about the tune: a trial started or finished */
  | { type: 'tune-progress'; tuneId: string; message: string }
  | {
      type: 'tune-done';
      tuneId: string;
      message: string;
      /** the winner's run (trained for the full length), null when the tune was stopped first */
      winnerRunId: string | null;
      gain: number | null;
      aborted: boolean;
    }
  // live run events: steps are batched in the worker (a few messages per second at most)
  | { type: 'run-status'; runId: string; status: RunStatus; message?: string; error?: ErrorInfo }
  | { type: 'run-steps'; runId: string; points: StepPoint[]; progress: RunProgress }
  | { type: 'run-eval'; runId: string; eval: EvalPoint }
  | { type: 'run-checkpoints'; runId: string; checkpoints: CheckpointInfo[] }
  | { type: 'run-history-result'; requestId: string; run: RunHistory }
  | { type: 'predictions'; requestId: string; predictions: Prediction[] }
  | { type: 'predict-csv-result'; requestId: string; csv: string; rows: number }
  /** spans into the text (end exclusive), in text order, with the type and the mean probability of their tags */
  | { type: 'entities'; requestId: string; text: string; entities: PredictedEntity[] }
  | { type: 'evaluation'; requestId: string; result: EvaluationReport }
  | { type: 'export-result'; requestId: string; fileName: string; bytes: Uint8Array }
  | { type: 'import-result'; requestId: string; runId: string }
  | {
      type: 'bundle-export-result';
      requestId: string;
      fileName: string;
      bytes: Uint8Array;
      summary: { datasets: number; runs: number; checkpoints: number; uncompressedBytes: number };
    }
  | { type: 'bundle-inspect-result'; requestId: string; inspection: BundleInspection }
  | { type: 'bundle-import-result'; requestId: string; result: BundleImportResult };

export type CommandType = Command['type'];
export type EventType = EngineEvent['type'];
