// Which pairs of labeled rows the contrastive phase trains on (lib/train/contrastive.ts), and its fixed settings. No
// tensors here: the run settings (lib/run/fields.ts, which the UI imports) quote the cap.
import { Rng } from '../rng';

/** One pair: two example indices and the target similarity (1: same label, 0: different labels). */
export type Pair = [a: number, b: number, same: 0 | 1];

/** Pairs per optimizer step (each step encodes twice as many texts). */
export const PAIR_BATCH = 16;
/** At most this many pairs (80 steps): the rounds beyond it are dropped, so the phase costs a few minutes at any size. */
export const PAIR_CAP = 1280;
/** AdamW's rate for the encoder in this phase, chosen on SST-2 dev (32 training rows, seeds 1 and 2, a logistic
 *  regression on the tuned embeddings): 5e-5 ahead of 2e-5, 1e-4 and 3e-4. */
export const PAIR_LEARNING_RATE = 5e-5;

/**
 * `rounds` rounds of pairs over the labeled rows, at most `cap` in all: each round visits every row in a new order and
 * pairs it with a random other row of its label (skipped when it has none) and a random row of another label (skipped
 * when there is one label). Deterministic for a seed; the whole list is shuffled.
 */
export function makePairs(labels: number[], rounds: number, seed: number, cap = PAIR_CAP): Pair[] {
  const rng = new Rng(seed);
  const byLabel = new Map<number, number[]>();
  labels.forEach((l, i) => {
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l)!.push(i);
  });
  const pairs: Pair[] = [];
  for (let r = 0; r < rounds && pairs.length < cap; r++) {
    for (const i of rng.shuffle(labels.map((_, k) => k))) {
      const mine = byLabel.get(labels[i])!;
      if (mine.length > 1) {
        let j = mine[rng.int(mine.length - 1)];
        if (j === i) j = mine[mine.length - 1];
        pairs.push([i, j, 1]);
      }
      if (mine.length < labels.length) {
        let j = rng.int(labels.length - mine.length);
        // the j-th row whose label is not this one
        for (let k = 0; k < labels.length; k++)
          if (labels[k] !== labels[i] && j-- === 0) {
            pairs.push([i, k, 0]);
            break;
          }
      }
      if (pairs.length >= cap) break;
    }
  }
  return rng.shuffle(pairs.slice(0, cap));
}

/** The number of optimizer steps `pairs` pairs take. */
export const pairSteps = (pairs: number) => Math.ceil(pairs / PAIR_BATCH);
