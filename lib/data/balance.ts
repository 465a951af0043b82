// Class imbalance: loss weights (inverse frequency, optional additive smoothing) and seeded random over-/under-
// sampling. Sampling is for the training split only: evaluation must see the real distribution.
import { DataError } from './errors';
import { mulberry32, randInt, shuffleInPlace } from '../rng';
import type { Example } from './types';

/** w_c = N / (K * (n_c + smoothing)), rescaled so the weighted example count equals N. Order follows `labels`. */
export function classWeights(examples: Example[], labels: string[], smoothing = 0): number[] {
  const counts = new Map(labels.map((l) => [l, 0]));
  for (const e of examples) if (typeof e.label === 'string' && counts.has(e.label)) counts.set(e.label, counts.get(e.label)! + 1);
  const n = examples.length;
  const k = labels.length;
  const raw = labels.map((l) => (counts.get(l)! + smoothing > 0 ? n / (k * (counts.get(l)! + smoothing)) : 0));
  const weighted = labels.reduce((a, l, i) => a + counts.get(l)! * raw[i], 0);
  const scale = weighted > 0 ? n / weighted : 1;
  return raw.map((w) => w * scale);
}

function byClass(examples: Example[]): Map<string, Example[]> {
  const m = new Map<string, Example[]>();
  for (const e of examples) {
    if (typeof e.label !== 'string') {
      throw new DataError(
        'bad-option',
        'Over- and under-sampling apply to single-label classification only',
        { option: 'balance' },
        'Use class weights, or no balancing.',
      );
    }
    const g = m.get(e.label);
    if (g) g.push(e);
    else m.set(e.label, [e]);
  }
  return m;
}

/** Every class drawn up to the largest class's count (random copies with replacement), then shuffled. */
export function oversample(examples: Example[], seed: number): Example[] {
  const rand = mulberry32(seed);
  const groups = byClass(examples);
  const target = Math.max(0, ...[...groups.values()].map((g) => g.length));
  const out: Example[] = [];
  for (const g of groups.values()) {
    out.push(...g);
    for (let i = g.length; i < target; i++) out.push(g[randInt(rand, g.length)]);
  }
  shuffleInPlace(out, rand);
  return out;
}

/** Every class cut down to the smallest class's count (random subset without replacement), then shuffled. */
export function undersample(examples: Example[], seed: number): Example[] {
  const rand = mulberry32(seed);
  const groups = byClass(examples);
  const target = Math.min(...[...groups.values()].map((g) => g.length));
  const out: Example[] = [];
  for (const g of groups.values()) {
    const c = g.slice();
    shuffleInPlace(c, rand);
    out.push(...c.slice(0, target));
  }
  shuffleInPlace(out, rand);
  return out;
}
