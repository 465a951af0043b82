// k-fold cross-validation: k fresh models, each trained on k−1 folds and evaluated on the held-out one; the final
// metrics are summarised as mean ± standard deviation.
import { UserError } from '@/lib/errors';
import type { TaskModel } from '@/lib/models/types';
import type { TrainConfig } from './config';
import type { EncodedExample } from './encode';
import type { TrainEvent } from './events';
import { fineTune } from './fine-tune';
import { meanStd } from './metrics';
import { Rng } from './rng';

/** Fold index per example: a seeded shuffle dealt round-robin, so fold sizes differ by at most one. */
export function kFoldAssignments(n: number, k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2 || k > n) throw new UserError(`k-fold needs 2 ≤ k ≤ ${n} (the number of examples), got ${k}`, { option: 'folds' }, 'try 5');
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const fold = new Array<number>(n);
  order.forEach((ex, i) => (fold[ex] = i % k));
  return fold;
}

export interface CrossValidationResult {
  folds: Record<string, number>[];
  mean: Record<string, number>;
  std: Record<string, number>;
}

export async function crossValidate(
  makeModel: (fold: number) => TaskModel | Promise<TaskModel>,
  examples: EncodedExample[],
  config: TrainConfig,
  opts: { k: number; seed?: number; signal?: AbortSignal; onEvent?: (fold: number, e: TrainEvent) => void },
): Promise<CrossValidationResult> {
  const assign = kFoldAssignments(examples.length, opts.k, opts.seed ?? config.seed ?? 42);
  const folds: Record<string, number>[] = [];
  for (let f = 0; f < opts.k; f++) {
    const model = await makeModel(f);
    try {
      const data = { train: examples.filter((_, i) => assign[i] !== f), validation: examples.filter((_, i) => assign[i] === f) };
      let final: Record<string, number> | null = null;
      for await (const e of fineTune(model, data, { ...config, checkpointEveryEpoch: false }, { signal: opts.signal, runId: `fold-${f}` })) {
        opts.onEvent?.(f, e);
        if (e.type === 'error') throw new Error(`fold ${f + 1}: ${e.error.message}`);
        if (e.type === 'done') final = e.final?.scalars ?? null;
      }
      if (opts.signal?.aborted) break;
      if (final) folds.push(final);
    } finally {
      model.dispose();
    }
  }
  return { folds, ...meanStd(folds) };
}
