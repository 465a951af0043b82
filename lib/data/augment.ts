// Label-preserving text augmentation for the training split (EDA-style: Wei & Zou 2019): random swap, random
// deletion, random insertion of in-vocabulary words, synonym replacement from a nearest-neighbour function (e.g. the
// model's embedding table). Seeded, so a run's augmented set is reproducible.
import { DataError } from './errors';
import { mulberry32, randInt } from '../rng';
import type { Example } from './types';

export type AugmentTransform = 'swap' | 'delete' | 'insert' | 'synonym';

export interface AugmentOptions {
  transforms: AugmentTransform[];
  /** the training set grows to `multiplier` times its size (1 = no augmentation); integer >= 1 */
  multiplier: number;
  seed: number;
  /** share of a text's words changed per transform (default 0.1, at least one word) */
  alpha?: number;
  /** words `insert` draws from (e.g. the training texts' frequent words); required for insert */
  vocabulary?: string[];
  /** nearest neighbours of a word (most similar first); required for synonym */
  neighbours?: (word: string) => string[];
}

type Rand = () => number;

export function randomSwap(words: string[], n: number, rand: Rand): string[] {
  const w = words.slice();
  if (w.length < 2) return w;
  for (let k = 0; k < n; k++) {
    const i = randInt(rand, w.length);
    let j = randInt(rand, w.length - 1);
    if (j >= i) j++;
    [w[i], w[j]] = [w[j], w[i]];
  }
  return w;
}

export function randomDeletion(words: string[], p: number, rand: Rand): string[] {
  if (words.length <= 1) return words.slice();
  const kept = words.filter(() => rand() >= p);
  return kept.length ? kept : [words[randInt(rand, words.length)]];
}

export function randomInsertion(words: string[], n: number, rand: Rand, vocabulary: string[]): string[] {
  const w = words.slice();
  if (!vocabulary.length) return w;
  for (let k = 0; k < n; k++) w.splice(randInt(rand, w.length + 1), 0, vocabulary[randInt(rand, vocabulary.length)]);
  return w;
}

const STOP = new Set(
  (
    'a an the and or but of to in on at for with is are was were be been it this that ' +
    'i you he she we they my your his her our their not no'
  ).split(' '),
);

export function synonymReplacement(words: string[], n: number, rand: Rand, neighbours: (w: string) => string[]): string[] {
  const w = words.slice();
  const candidates = w.map((x, i) => i).filter((i) => !STOP.has(w[i].toLowerCase()) && /\p{L}/u.test(w[i]));
  let done = 0;
  while (done < n && candidates.length) {
    const i = candidates.splice(randInt(rand, candidates.length), 1)[0];
    const options = neighbours(w[i])
      .filter((s) => s.toLowerCase() !== w[i].toLowerCase())
      .slice(0, 5);
    if (!options.length) continue;
    w[i] = options[randInt(rand, options.length)];
    done++;
  }
  return w;
}

function check(o: AugmentOptions): void {
  if (!Number.isInteger(o.multiplier) || o.multiplier < 1 || o.multiplier > 20) {
    throw new DataError(
      'bad-option',
      `The augmentation multiplier must be a whole number from 1 to 20 (got ${o.multiplier})`,
      { option: 'multiplier' },
      'Use 2 to double the training set.',
    );
  }
  if (o.transforms.includes('insert') && !o.vocabulary?.length)
    throw new DataError(
      'bad-option',
      'Random insertion needs a vocabulary',
      { option: 'vocabulary' },
      'Pass words from the training texts (vocabularyOf).',
    );
  if (o.transforms.includes('synonym') && !o.neighbours)
    throw new DataError(
      'bad-option',
      'Synonym replacement needs a nearest-neighbour function',
      { option: 'neighbours' },
      'Pass the model embedding neighbours, or drop "synonym".',
    );
  if (!o.transforms.length && o.multiplier > 1)
    throw new DataError('bad-option', 'Choose at least one augmentation transform', { option: 'transforms' });
}

export function augmentText(text: string, t: AugmentTransform, rand: Rand, o: AugmentOptions): string {
  const words = text.split(/\s+/).filter(Boolean);
  const n = Math.max(1, Math.round((o.alpha ?? 0.1) * words.length));
  const out =
    t === 'swap'
      ? randomSwap(words, n, rand)
      : t === 'delete'
        ? randomDeletion(words, o.alpha ?? 0.1, rand)
        : t === 'insert'
          ? randomInsertion(words, n, rand, o.vocabulary ?? [])
          : synonymReplacement(words, n, rand, o.neighbours!);
  return out.join(' ');
}

/** Originals first, then (multiplier - 1) augmented copies of each, transform drawn per copy. Labels unchanged. */
export function augmentExamples(train: Example[], o: AugmentOptions): Example[] {
  check(o);
  if (o.multiplier === 1) return train.slice();
  if (train.some((e) => e.words))
    throw new DataError(
      'bad-option',
      'Augmentation would break word-tag alignment in token classification',
      { option: 'augment' },
      'Turn augmentation off for NER.',
    );
  const rand = mulberry32(o.seed);
  const out = train.slice();
  for (let m = 1; m < o.multiplier; m++) {
    for (const e of train) {
      const t = o.transforms[randInt(rand, o.transforms.length)];
      out.push({ ...e, text: augmentText(e.text, t, rand, o) });
    }
  }
  return out;
}

/** A few augmented examples to show before training. */
export function previewAugmentation(
  train: Example[],
  o: AugmentOptions,
  count = 5,
): { original: string; augmented: string; transform: AugmentTransform; label: Example['label'] }[] {
  check({ ...o, multiplier: Math.max(2, o.multiplier) });
  const rand = mulberry32(o.seed);
  const out = [];
  for (let k = 0; k < (train.length ? count : 0); k++) {
    const e = train[randInt(rand, train.length)];
    const t = o.transforms[k % o.transforms.length];
    out.push({ original: e.text, augmented: augmentText(e.text, t, rand, o), transform: t, label: e.label });
  }
  return out;
}

/** Words seen at least `minCount` times in the texts, most frequent first (for random insertion). */
export function vocabularyOf(texts: string[], minCount = 2, max = 20_000): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of t.split(/\s+/)) if (w && /\p{L}/u.test(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts]
    .filter(([w, c]) => c >= minCount && !STOP.has(w.toLowerCase()))
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([w]) => w);
}
