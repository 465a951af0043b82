// The data-parallel threads of a run's training (lib/train/train-pool.ts): how many (lib/run/threads.ts), started
// through the runtime's port, and said where the run is watched. Used by the fine-tuning and the contrastive pairs
// phase alike; a pool that fails to start leaves the work to one thread, with the reason.
import * as tf from '@tensorflow/tfjs';
import { createTrainPool, type TrainPool } from '../train/train-pool';
import type { PreparedRun, RunEvent, RunPorts } from './run-types';
import { planThreads } from './threads';

/** Starts the run's training threads (none where one thread is planned or no runtime port is given). `what` names
 *  the work in the status line ("training", "tuning on pairs"), `phase` marks it as a phase's. */
export async function* startTrainPool(
  p: PreparedRun,
  ports: RunPorts,
  what: string,
  phase?: 'pairs',
): AsyncGenerator<RunEvent, TrainPool | null> {
  const tag = phase ? { phase } : {};
  const t = ports.threads;
  if (!t) return null;
  const plan = planThreads({
    threads: t.threads,
    requested: t.requested,
    memoryBytes: t.memoryBytes,
    params: p.model.paramCounts().total,
    backend: tf.getBackend(),
  });
  if (plan.threads <= 1) {
    yield { type: 'status', message: `${what} in one thread: ${plan.why}`, threads: 1, ...tag };
    return null;
  }
  try {
    const pool = await createTrainPool(p.model, plan.threads, t.start, t.backend);
    yield { type: 'status', message: `${what} on ${pool.threads} threads: ${plan.why}`, threads: pool.threads, ...tag };
    return pool;
  } catch (e) {
    yield { type: 'status', message: `${what} in one thread: ${e instanceof Error ? e.message : String(e)}`, threads: 1, ...tag };
    return null;
  }
}
