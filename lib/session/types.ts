// Plain shapes the session layer hands to the UI (through the worker protocol): no tensors, all structured-cloneable.
import type { ErrorInfo } from '../errors';
import type { AugmentTransform } from '../data/augment';
import type { ColumnMapping } from '../data/types';
import type { NerReport as NerDataReport } from '../data/report';
import type { ModeName, ModelSpec, RunConfig } from '../run/config';
import type { WordBaselineResult } from '../run/run-types';
import type { PredictedEntity } from '../train/ner-predict';

export type { ColumnMapping, NerDataReport, PredictedEntity };

export type TaskKind = 'classification' | 'multilabel' | 'regression';

export interface DatasetPreview {
  fileName: string;
  bytes: number;
  format: string; // "CSV (comma)", "TSV", "JSONL", ...
  encoding: string;
  columns: string[];
  rows: string[][]; // the first rows, as text
  rowCount: number;
  suggested: ColumnMapping;
  warnings: string[];
  /** whether the first row was read as the column names (detected, or as asked) */
  hasHeader: boolean;
  /** a delimited file (CSV, TSV), whose first row may or may not be a header; JSON and CoNLL name their fields */
  headerChoice: boolean;
}

export interface SplitSettings {
  validation: number; // share, e.g. 0.1
  test: number;
  seed: number;
  useSplitColumn: boolean;
}

/** The dataset report as the Data screen shows it. */
export interface DatasetSummary {
  datasetId: string;
  name: string;
  rows: number;
  task: TaskKind | 'token-classification';
  labels: { label: string; count: number }[];
  splits: { train: number; validation: number; test: number };
  exactDuplicates: number;
  normalizedDuplicates: number;
  conflicts: number;
  empty: number;
  tokenLengths?: { bins: { from: number; to: number; count: number }[]; maxLength: number; truncatedShare: number };
  /** token classification: entities per type, sentence lengths in words, sentences over the max length */
  ner?: NerDataReport;
  /** cleaning actions with how many rows each would change */
  cleaning: { action: string; label: string; rows: number }[];
}

export interface ModelInfo {
  spec: ModelSpec;
  label: string; // "USE-Lite (bundled)", "google/bert_uncased_L-2_H-128_A-2"
  arch: string;
  params: number;
  layers: number;
  hiddenSize: number;
  maxLength: number;
  vocabSize: number;
  cached: boolean;
  /** rough estimates on the current backend */
  estimate?: { memoryMB: number; samplesPerSec?: number };
}

export type RunStatus = 'queued' | 'preparing' | 'running' | 'paused' | 'stopping' | 'stopped' | 'done' | 'failed' | 'interrupted';

export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  gradNorm?: number;
}

export interface EvalPoint {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  macroF1: number;
  [metric: string]: number;
}

export interface RunProgress {
  epoch: number; // 1-based, current
  epochs: number;
  step: number;
  totalSteps: number;
  samplesPerSec: number;
  etaSec: number;
  elapsedSec: number;
  lrMultiplier: number;
}

export interface CheckpointInfo {
  id: string;
  step: number;
  /** finished epochs for an end-of-epoch save; the 0-based epoch in progress for the others */
  epoch: number;
  /** why it was written (CheckpointMeta's reason) */
  reason: 'periodic' | 'epoch' | 'best' | 'abort' | 'final';
  metric?: number; // the validation headline score at that point (macro-F1; entity F1 for NER)
  best: boolean;
  bytes: number;
  createdAt: number;
}

/** A run as the Runs and Run screens list it (stored; curves are loaded separately). */
export interface RunRecord {
  id: string;
  name: string;
  config: RunConfig;
  /** the task the model was trained for (the dataset's mapping decides it; the form's config.task cannot say NER) */
  task?: TaskKind | 'token-classification';
  datasetName: string;
  modelLabel: string;
  labels: string[];
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  progress?: RunProgress;
  best?: EvalPoint;
  error?: ErrorInfo;
  /** the sweep this run belongs to */
  sweepId?: string;
  /** a model imported on the Export screen (no training history; a base the Model screen can start from) */
  imported?: boolean;
  /** the word-count baseline on the run's validation split: TF-IDF + logistic regression fitted on its training split */
  baseline?: WordBaselineResult;
}

/** A stored dataset version as the Data and Train screens list it. */
export interface StoredDataset {
  id: string;
  name: string;
  rows: number;
  labels: string[];
  /** the imported file's size; 0 for a derived version, which stores no rows of its own */
  bytes: number;
  createdAt: number;
  derived: boolean;
}

export interface Prediction {
  label: string;
  /** top-k, best first */
  top: { label: string; p: number }[];
}

export interface PerClass {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Misclassified {
  /** the dataset row, for fixing its label */
  row?: number;
  text: string;
  pair?: string;
  trueLabel: string;
  predicted: string;
  confidence: number;
}

export interface EvaluationResult {
  runId: string;
  split: 'test' | 'validation';
  labels: string[];
  accuracy: number;
  macroF1: number;
  microF1: number;
  weightedF1: number;
  loss: number;
  confusion: number[][]; // [true][predicted]
  perClass: PerClass[];
  misclassified: Misclassified[];
  /** the same split scored by a head-only model on the frozen pre-trained encoder */
  baseline?: { accuracy: number; macroF1: number };
  /** the same split scored by TF-IDF + logistic regression fitted on the run's training split */
  wordBaseline?: { accuracy: number; macroF1: number };
}

/** Everything the Run screen draws for one run, read back from storage (after a reload, or for an old run). */
export interface RunHistory {
  record: RunRecord;
  steps: StepPoint[];
  evals: EvalPoint[];
  checkpoints: CheckpointInfo[];
}

/** How a dataset's training split is prepared for runs (the Data screen's training-data panel). */
export interface TrainingDataOptions {
  /** inverse-frequency loss weights per class (classification only) */
  classWeights: boolean;
  /** added to every class count before inverting (0 = plain inverse frequency) */
  smoothing: number;
  /** random over-/under-sampling of the training split only */
  balance: 'none' | 'oversample' | 'undersample';
  /** the training split grows to `multiplier` times its size with transformed copies (1 = off) */
  augment: { transforms: AugmentTransform[]; multiplier: number; seed: number };
  /** k for a stratified k-fold assignment shown for cross-validation (0 = off) */
  folds: number;
}

export interface TrainingDataSummary {
  options: TrainingDataOptions;
  /** the dataset's task (named entities take no resampling, class weights or augmentation) */
  task: TaskKind | 'token-classification';
  /** train before balancing/augmentation, train as training will see it, validation, test */
  counts: { trainOriginal: number; train: number; validation: number; test: number };
  /** one weight per label (null when off or not a classification task) */
  classWeights: { label: string; weight: number }[] | null;
  preview: { original: string; augmented: string; transform: AugmentTransform; label: string }[];
  /** rows per fold (null when k-fold is off) */
  folds: number[] | null;
}

/** A sweep over learning rate, batch size, epochs and mode (lib/session/sweep.ts expands it into runs). */
export interface SweepSpec {
  strategy: 'grid' | 'random';
  learningRate: number[];
  batchSize: number[];
  epochs: number[];
  mode: ModeName[];
  /** random: how many configs to draw */
  trials: number;
  seed: number;
}
