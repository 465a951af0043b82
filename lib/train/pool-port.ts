// What a runtime provides to run pool threads: a way to start one from its setup (Node worker_threads in the CLI, Web
// Workers in the studio) and a port to talk to it. Two pools use it: head-only features (feature-pool.ts) and
// data-parallel training (train-pool.ts); every thread runs lib/train/threads.ts, which the setup's role directs.
import type { InitOptions } from '@/lib/backend/init';
import type { FineTuneMode, TaskModel } from '@/lib/models/types';

/** A feature thread's start: the model as Hugging Face files, the task and labels its head was built for, and how
 *  to set up its backend. */
export interface WorkerSetup {
  files: Record<string, string | Uint8Array>;
  task: TaskModel['task'];
  labels: string[];
  backend: InitOptions;
}

/** A training thread's start: the model's files (LoRA adapters unmerged) and the run's mode and head dropout. */
export interface TrainWorkerSetup extends WorkerSetup {
  role: 'train';
  mode: FineTuneMode;
  classifierDropout: number;
}

export type ThreadSetup = WorkerSetup | TrainWorkerSetup;

/** The pool's end of one thread. */
export interface PoolPort<In, Out> {
  post(m: In, transfer?: ArrayBuffer[]): void;
  /** subscribes to the thread's messages and failures; returns the unsubscribe */
  listen(onMessage: (m: Out) => void, onError: (e: Error) => void): () => void;
  terminate(): void | Promise<unknown>;
}

export type StartWorker = (setup: ThreadSetup) => PoolPort<unknown, unknown>;
