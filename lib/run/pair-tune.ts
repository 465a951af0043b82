// The contrastive phase of a head-only run (SetFit, lib/train/contrastive.ts): before the head trains on the
// encoder's features, the encoder is tuned on pairs of training rows so that texts of one label embed closer. The
// features are then computed from the tuned encoder, and the saved model holds it. The recipes turn it on for small
// data (lib/train/recipes.ts).
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { makePairs, pairTune, PAIR_LEARNING_RATE, pairSteps } from '../train/contrastive';
import type { TrainPool } from '../train/train-pool';
import { formatDuration } from './duration';
import { startTrainPool } from './train-threads';
import { contrastiveRoundsOf, type RunConfig } from './config';
import type { PreparedRun, RunEvent, RunPorts } from './run-types';

/** The pairs a run's phase trains on. */
export function runPairs(c: RunConfig, p: PreparedRun) {
  return makePairs(
    p.data.train.map((e) => e.label as number),
    contrastiveRoundsOf(c),
    c.seed,
  );
}

/** Refuses the phase where pairs of labels mean nothing: multi-label, regression, named entities. */
export function checkPairTask(c: RunConfig, p: PreparedRun): void {
  if (contrastiveRoundsOf(c) > 0 && p.model.task !== 'classification')
    throw new UserError(
      `contrastive rounds pair rows by their one label, and this is a ${p.model.task} task`,
      { option: 'contrastiveRounds' },
      'set contrastive rounds to 0',
    );
}

/**
 * Tunes `p.model`'s encoder on pairs of its training rows, on the run's training threads, yielding a status line with
 * the step, loss and time left after the first step, every 5 s and at the end. A tune's trials share the outcome
 * through `ports.pairMemo`. Stopped part-way, the encoder goes back to its weights before the phase (a resume starts
 * the phase again; the run's own loop then ends it as stopped). The task is checked by trainRun (checkPairTask).
 */
export async function* pairTuneFirst(c: RunConfig, p: PreparedRun, ports: RunPorts): AsyncGenerator<RunEvent, void> {
  const params = p.model.encoder.params;
  const known = ports.pairMemo?.get('encoder');
  if (known) {
    for (const [n, v] of params) {
      const w = known.get(n);
      if (w) tf.tidy(() => v.assign(tf.tensor(w, v.shape, v.dtype)));
    }
    yield { type: 'status', message: 'the encoder tuned on pairs by an earlier trial' };
    return;
  }
  const pairs = runPairs(c, p);
  const rounds = contrastiveRoundsOf(c);
  const steps = pairSteps(pairs.length);
  if (!steps) return;
  yield {
    type: 'status',
    message:
      `tuning the encoder on ${pairs.length.toLocaleString('en')} pairs of training rows (SetFit, ` +
      `${rounds} round${rounds === 1 ? '' : 's'}): ${steps} steps at learning rate ${PAIR_LEARNING_RATE}, then the head`,
    phase: 'pairs',
  };
  const before = new Map([...params].map(([n, v]) => [n, v.clone()]));
  let lastSaid = performance.now();
  let sum = 0;
  let count = 0;
  let pool: TrainPool | null = null;
  try {
    // every core: each step's pairs are split over the training threads (replicas of the model)
    pool = yield* startTrainPool(p, ports, 'tuning on pairs', 'pairs');
    const it = pairTune(p.model, p.data.train, {
      pairs,
      seed: c.seed,
      signal: ports.signal,
      pool: pool ?? undefined,
      controls: ports.controls,
    });
    let r = await it.next();
    while (!r.done) {
      const s = r.value;
      if ('state' in s) {
        yield { type: 'state', state: s.state, step: 0 };
        r = await it.next();
        continue;
      }
      sum += s.loss;
      count++;
      // the first step (its pace gives the time left), then every 5 s, and the last
      if (s.step === 1 || performance.now() - lastSaid > 5000 || s.step === s.steps) {
        yield {
          type: 'status',
          message:
            `pairs: step ${s.step} of ${s.steps}, loss ${(sum / count).toFixed(4)}` +
            (s.step < s.steps ? `, about ${formatDuration(s.etaSec)} left` : ''),
          phase: 'pairs',
        };
        lastSaid = performance.now();
        sum = count = 0;
      }
      r = await it.next();
    }
    if (ports.signal?.aborted) {
      for (const [n, v] of params) v.assign(before.get(n)!);
      return;
    }
    if (ports.pairMemo) {
      const tuned = new Map<string, Float32Array>();
      for (const [n, v] of params) tuned.set(n, (await v.data()) as Float32Array);
      ports.pairMemo.set('encoder', tuned);
    }
  } finally {
    tf.dispose([...before.values()]);
    await pool?.close();
  }
}
