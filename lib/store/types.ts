// The storage interface for training runs: checkpoints (everything needed to continue a run exactly) and metric
// records. Implemented in memory (tests), on files (Node/CLI: fs-store.ts) and in IndexedDB (browser: db*.ts).
// Everything here is plain data (Float32Arrays, numbers, strings): structured-clonable and JSON-able apart from the arrays.
import type { OptimizerKind, TrainConfig } from '@/lib/train/config';

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

export interface OptimizerState {
  kind: OptimizerKind;
  /** optimizer steps taken (drives Adam's bias correction) */
  step: number;
  /** first and second moments, by parameter name */
  m: Record<string, TensorData>;
  v: Record<string, TensorData>;
}

/** Where the loop stands in the data: the current epoch's batch plan (example indices) and the next batch in it. */
export interface DataPosition {
  epoch: number;
  /** next batch index in `plan`; ignored when plan is null */
  cursor: number;
  /** this epoch's batches as example indices; null between epochs (the next plan is drawn from the rng) */
  plan: number[][] | null;
}

/** One evaluation's scalar metrics, as kept in a run's history. */
export interface EvalRecord {
  step: number;
  epoch: number;
  scalars: Record<string, number>;
}

/** Early stopping / best-model tracking, plus the history needed to continue charts after a resume. */
export interface MetricsSoFar {
  evals: EvalRecord[];
  /** `loss`: the validation loss there, which breaks a tie in the metric (absent in checkpoints from before it did) */
  best: { metric: string; mode: 'min' | 'max'; value: number; step: number; epoch: number; loss?: number } | null;
  /** evaluations in a row without improvement */
  badEvals: number;
  /** seconds of training up to this point, earlier pieces of a resumed run included (absent in older checkpoints) */
  trainSeconds?: number;
}

export interface CheckpointMeta {
  id: string;
  runId: string;
  step: number;
  epoch: number;
  /** the best checkpoint so far on the tracked metric */
  best: boolean;
  createdAt: number;
  /** why it was written */
  reason: 'periodic' | 'epoch' | 'best' | 'abort' | 'final';
}

export interface Checkpoint extends CheckpointMeta {
  /** every model variable by name (encoder, head, adapters) */
  weights: Record<string, TensorData>;
  optimizer: OptimizerState;
  /** the exponential moving average of the trainable weights, by name, when the run keeps one (TrainConfig.emaDecay) */
  ema?: Record<string, TensorData>;
  /** the data-order PRNG state after drawing `data.plan` */
  rng: [number, number, number, number];
  data: DataPosition;
  config: TrainConfig;
  /** live controls at the time (they shape the rest of the run) */
  controls: { lrMultiplier: number; extraEpochs: number };
  metricsSoFar: MetricsSoFar;
  /** the training data the run was on (rows, content hashes, labels, max length): a resume against other data is
   *  refused (lib/run/fingerprint.ts) */
  fingerprint?: DataFingerprint;
}

export interface DataFingerprint {
  train: { rows: number; hash: string };
  validation: { rows: number; hash: string };
  labels: string[];
  maxLength: number;
}

export interface CheckpointStore {
  /** insert or replace (same runId + id) */
  saveCheckpoint(ckpt: Checkpoint): Promise<void>;
  loadCheckpoint(runId: string, id: string): Promise<Checkpoint | null>;
  /** metadata only, ordered by step */
  listCheckpoints(runId: string): Promise<CheckpointMeta[]>;
  deleteCheckpoint(runId: string, id: string): Promise<void>;
}

/** Optional: an append-only log of plain records (every training event) per run. */
export interface MetricsStore {
  appendMetrics(runId: string, records: object[]): Promise<void>;
  readMetrics(runId: string): Promise<object[]>;
}

export function checkpointMeta(c: Checkpoint): CheckpointMeta {
  return { id: c.id, runId: c.runId, step: c.step, epoch: c.epoch, best: c.best, createdAt: c.createdAt, reason: c.reason };
}
