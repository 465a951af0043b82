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

/** Starts `count` threads from `setup` and waits until each says it is ready; if one fails to start, stops them all
 *  and rejects with `what` and the reason. */
export async function startThreads<In, Out extends { type: string; message?: string }>(
  start: StartWorker,
  setup: ThreadSetup,
  count: number,
  what: string,
): Promise<PoolPort<In, Out>[]> {
  const ports: PoolPort<In, Out>[] = [];
  const ready = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const port = start(setup) as PoolPort<In, Out>;
      ports.push(port);
      const stop = port.listen(
        (m) => {
          stop();
          if (m.type === 'ready') resolve();
          else reject(new Error(`${what}: ${m.type === 'error' ? m.message : `unexpected "${m.type}"`}`));
        },
        (e) => {
          stop();
          reject(new Error(`${what}: ${e.message}`));
        },
      );
    });
  try {
    await Promise.all(Array.from({ length: count }, ready));
  } catch (e) {
    await Promise.all(ports.map((p) => p.terminate()));
    throw e;
  }
  return ports;
}
