// Scoring a stored run's model on many rows (Evaluate, the suspicious training rows) on the host's threads: the
// encoder's features on a pool (lib/train/feature-pool.ts: each thread opens the model's weights), the head in the
// worker. Starting the threads costs a second or two (each opens the model), so a few hundred rows stay in one thread.
import * as tf from '@tensorflow/tfjs';
import type { TaskModel } from '../models/types';
import { createFeaturePool, type FeaturePool } from '../train/feature-pool';
import type { FeatureExtractor } from '../train/features';
import type { SessionHost } from './context';

/** Rows from which scoring starts the host's threads. */
export const THREADED_ROWS = 500;

export async function withFeatureThreads<T>(
  host: SessionHost,
  model: TaskModel,
  rows: number,
  fn: (extract?: FeatureExtractor) => Promise<T>,
): Promise<T> {
  const t = host.threads;
  let pool: FeaturePool | null = null;
  if (t && t.threads > 1 && rows >= THREADED_ROWS && tf.getBackend() === 'wasm') {
    try {
      pool = await createFeaturePool(model, t.threads, t.start, t.backend);
    } catch {
      pool = null; // one thread computes the same numbers
    }
  }
  try {
    return await fn(pool?.extract);
  } finally {
    await pool?.close();
  }
}
