// Scoring a stored run's model on many rows (Evaluate, the suspicious training rows) on the host's threads: the
// encoder's features on a pool (lib/train/feature-pool.ts: each thread opens the model's weights), the head in the
// worker. Starting the threads costs a second or two (each opens the model), so a few hundred rows stay in one thread.
import * as tf from '@tensorflow/tfjs';
import type { TaskModel } from '../models/types';
import { withFeaturePool } from '../train/feature-pool';
import type { FeatureExtractor } from '../train/features';
import type { SessionHost } from './context';

/** Rows from which scoring starts the host's threads. */
export const THREADED_ROWS = 500;

export function withFeatureThreads<T>(
  host: SessionHost,
  model: TaskModel,
  rows: number,
  fn: (extract?: FeatureExtractor) => Promise<T>,
): Promise<T> {
  // a pool that cannot start leaves one thread to compute the same numbers
  return withFeaturePool(model, rows >= THREADED_ROWS && tf.getBackend() === 'wasm' ? host.threads : undefined, fn);
}
