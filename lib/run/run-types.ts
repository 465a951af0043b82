// The shapes a training run passes around (data, prepared model, ports, events), apart from lib/run/train-run.ts so
// that the phases it calls (lib/run/head-first.ts) read them without importing the run itself.
import type { InitOptions } from '../backend/init';
import type { LabeledText } from '../baseline/tfidf';
import type { Example } from '../data/types';
import type { Task, TaskModel } from '../models/types';
import type { Checkpoint, CheckpointStore } from '../store/types';
import type { EncodedExample } from '../train/encode';
import type { RunControls, TrainEvent } from '../train/events';
import type { StartWorker } from '../train/feature-pool';
import type { FeatureRows } from '../train/features';
/** A run's examples after mapping and splitting. */
export interface RunData {
  train: Example[];
  validation: Example[];
  labels: string[];
  task: Task;
  /** where the examples come from, for error messages ("sst2-train.csv") */
  source?: { train?: string; validation?: string };
}

export interface PreparedRun {
  model: TaskModel;
  data: { train: EncodedExample[]; validation: EncodedExample[] };
  labels: string[];
  /** the max length used: the run's, at most the tokenizer's */
  maxLength: number;
  /** the model's trained head was kept (same labels); else the head starts new */
  headReused?: boolean;
  /** max training rows: the training rows there were before the sample `data.train` was encoded from */
  sampledFrom?: number;
  /** single-label classification: the texts and labels the word-count baseline fits and scores (lib/baseline/tfidf.ts) */
  baselineInput?: { train: LabeledText[]; validation: LabeledText[]; /** a sample of this many training rows */ sampledFrom?: number };
}

/** How a runtime starts pool threads (Web Workers in the studio, worker threads in Node): head-only runs compute the
 *  encoder's features on them, every other mode trains data-parallel on them. */
export interface ThreadsPort {
  /** threads to use: the run's setting, or every core */
  threads: number;
  /** whether `threads` was asked for (else it is every core, and said so) */
  requested?: boolean;
  /** the machine's memory in bytes, where known: caps how many replicas of a large model run at once */
  memoryBytes?: number;
  start: StartWorker;
  backend: InitOptions;
}

export interface RunPorts {
  runId?: string;
  store?: CheckpointStore;
  signal?: AbortSignal;
  controls?: RunControls;
  resumeFrom?: Checkpoint;
  threads?: ThreadsPort;
  /** fit TF-IDF + logistic regression on the training split and report its validation scores first, the line the run
   *  has to beat (a run someone started; not a tune's trials, folds or timings) */
  wordBaseline?: boolean;
  /** per-class loss weights decided outside the config (the Data screen's) */
  classWeights?: number[];
  /** encoder-feature progress in head-only mode */
  onFeatureProgress?: (done: number, total: number, threads: number) => void;
  /** head-only: the encoder's features of the training and validation examples, filled as they are computed; a caller
   *  passes one map to runs that share the frozen encoder and the encoded data (a tune's trials) */
  featureMemo?: FeatureMemo;
  /** head-only with contrastive rounds: the encoder's weights after the pairs phase, filled by the first run that
   *  tunes it; runs given the same map (a tune's trials, same data and seed) start from them instead */
  pairMemo?: PairMemo;
}

/** status: a line for the person watching; `threads`: how many threads the run computes on, once known; `phase`:
 *  the line is the contrastive pairs phase's (lib/run/pair-tune.ts); `baseline`: the line is the word-count
 *  baseline's scores */
export type RunEvent = TrainEvent | { type: 'status'; message: string; threads?: number; phase?: 'pairs'; baseline?: WordBaselineResult };

/** TF-IDF + logistic regression fitted on a run's training split, scored on its validation split */
export interface WordBaselineResult {
  accuracy: number;
  macroF1: number;
  seconds: number;
}

export type FeatureMemo = Map<'train' | 'validation', FeatureRows>;
export type PairMemo = Map<'encoder', Map<string, Float32Array>>;
