// Stratified k-fold cross-validation of a run: k models, each trained on k − 1 folds with the run's settings and
// validated on the held-out fold; the folds' final metrics summarised as mean ± standard deviation. The studio runs
// each fold as a stored run (lib/session/runs.ts, a RunConfig with `fold`); the CLI (`finetune train --folds K`)
// drives crossValidateRun below. Both take their folds from foldSplit.
import { assignFolds } from '../data/split';
import type { DataRecord, Example } from '../data/types';
import { UserError } from '../errors';
import type { Encoder, TextTokenizer } from '../models/types';
import { meanStd } from '../train/metrics';
import type { RunConfig } from './config';
import { prepareRun, trainRun, type RunData, type RunEvent, type RunPorts } from './train-run';

/** Fold `index` of `k` (stratified by label, seeded) as validation, the other folds as training data. */
export function foldSplit<E extends Pick<Example, 'text' | 'label' | 'tags'>>(
  examples: E[],
  k: number,
  index: number,
  seed: number,
): { train: E[]; validation: E[] } {
  if (!Number.isInteger(k) || k < 2 || k > examples.length)
    throw new UserError(`k-fold needs a whole k from 2 to ${examples.length} (the number of rows), got ${k}`, { option: 'folds' }, 'try 5');
  if (!Number.isInteger(index) || index < 0 || index >= k)
    throw new UserError(`fold ${index + 1} does not exist for k = ${k}`, { option: 'fold' }, `use a fold from 1 to ${k}`);
  const records = examples.map((e, row) => ({ row, text: e.text, label: e.label, tags: e.tags }) as DataRecord);
  const folds = assignFolds(records, k, seed);
  const train: E[] = [];
  const validation: E[] = [];
  examples.forEach((e, i) => (folds[i] === index ? validation : train).push(e));
  return { train, validation };
}

export interface FoldResult {
  fold: number;
  trainRows: number;
  validationRows: number;
  scalars: Record<string, number>;
}

export type CrossValidationEvent =
  | { type: 'fold-start'; fold: number; k: number; trainRows: number; validationRows: number }
  | { type: 'fold-event'; fold: number; event: RunEvent }
  | { type: 'fold-done'; fold: number; result: FoldResult }
  | { type: 'cv-done'; folds: FoldResult[]; mean: Record<string, number>; std: Record<string, number>; aborted: boolean };

/** Every fold in turn on a freshly opened model; `data.train` and `data.validation` together are what is folded. */
export async function* crossValidateRun(
  c: RunConfig,
  data: RunData,
  k: number,
  openModel: () => Promise<{ encoder: Encoder; tokenizer: TextTokenizer }>,
  ports: Pick<RunPorts, 'signal' | 'threads'> = {},
): AsyncGenerator<CrossValidationEvent> {
  const all = [...data.train, ...data.validation];
  const folds: FoldResult[] = [];
  for (let f = 0; f < k; f++) {
    const split = foldSplit(all, k, f, c.seed);
    yield { type: 'fold-start', fold: f, k, trainRows: split.train.length, validationRows: split.validation.length };
    const p = prepareRun(
      c,
      { ...data, ...split, source: { train: data.source?.train, validation: `${data.source?.train ?? 'data'} (fold ${f + 1} of ${k})` } },
      await openModel(),
    );
    try {
      let final: Record<string, number> | null = null;
      for await (const ev of trainRun(c, p, { ...ports, runId: `fold-${f + 1}` })) {
        yield { type: 'fold-event', fold: f, event: ev };
        if (ev.type === 'done') final = ev.final?.scalars ?? null;
      }
      if (ports.signal?.aborted) break;
      if (final) {
        const result = { fold: f, trainRows: split.train.length, validationRows: split.validation.length, scalars: final };
        folds.push(result);
        yield { type: 'fold-done', fold: f, result };
      }
    } finally {
      p.model.dispose();
    }
  }
  yield { type: 'cv-done', folds, ...meanStd(folds.map((r) => r.scalars)), aborted: Boolean(ports.signal?.aborted) };
}
