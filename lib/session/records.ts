// Stored runs as the UI lists them: the studio's RunMeta kept in RunRow.config, and the status mapping (a run the
// database calls active that no worker is training was interrupted). Light on purpose: the page imports it.
import type { ErrorInfo } from '../errors';
import type { RunRow } from '../store/db';
import type { RunConfig } from '../run/config';
import type { Task } from '../models/types';
import type { WordBaselineResult } from '../run/run-types';
import type { EvalPoint, RunProgress, RunRecord, RunStatus } from './types';

/** What the studio keeps in RunRow.config. */
export interface RunMeta {
  run: RunConfig;
  /** the task the model was built for (set once the run is prepared: the dataset's mapping decides it) */
  task?: Task;
  datasetName: string;
  modelLabel: string;
  labels: string[];
  progress?: RunProgress;
  best?: EvalPoint;
  error?: ErrorInfo;
  sweepId?: string;
  stopReason?: string;
  /** where the run computed (set when it ends): TF.js backend and threads */
  backend?: string;
  threads?: number;
  /** an imported zip: no training history, the model files are stored */
  imported?: boolean;
  /** TF-IDF + logistic regression on the run's training and validation split (single-label classification) */
  baseline?: WordBaselineResult;
}

const STATUS_FROM_DB: Record<RunRow['status'], RunStatus> = {
  queued: 'queued',
  running: 'running',
  paused: 'paused',
  completed: 'done',
  failed: 'failed',
  aborted: 'stopped',
};

/** A stored run as the UI lists it; `isLive` says whether some worker is training it right now. */
export function recordOfRow(row: RunRow, isLive: (id: string) => boolean): RunRecord {
  const meta = row.config as RunMeta;
  let status = STATUS_FROM_DB[row.status];
  // a run the database calls active but no worker is training was cut off (reload, closed tab)
  if ((status === 'running' || status === 'paused' || status === 'queued') && !isLive(row.id))
    status = meta.imported ? 'done' : 'interrupted';
  return {
    id: row.id,
    name: row.name,
    config: meta.run,
    // runs stored before the task was kept: an entity F1 among their scores says NER
    task: meta.task ?? (meta.best && Number.isFinite(meta.best.entityF1) ? 'token-classification' : meta.run.task),
    datasetName: meta.datasetName,
    modelLabel: meta.modelLabel,
    labels: meta.labels,
    status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    progress: meta.progress,
    best: meta.best,
    error: meta.error ?? (row.error ? { kind: 'user', message: row.error } : undefined),
    sweepId: meta.sweepId,
    ...(meta.imported ? { imported: true } : {}),
    ...(meta.baseline ? { baseline: meta.baseline } : {}),
  };
}
