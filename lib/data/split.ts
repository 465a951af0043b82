// Train/validation/test assignment: stratified by label (for NER, by the entity types in the sentence) with exact
// per-class quotas (each class's share within one row of the ratio), seeded and reproducible; or the file's own split
// column; and k-fold assignment.
import { labelKey } from './mapping';
import { DataError } from './errors';
import { entityTypes } from './ner';
import { mulberry32, shuffleInPlace } from '../rng';
import type { DataRecord, SplitName } from './types';

export const SPLIT_CODES: SplitName[] = ['train', 'validation', 'test'];

export type SplitSettings =
  | { mode: 'ratio'; ratios: { train: number; validation: number; test: number }; seed: number; stratify?: boolean }
  /** use each record's split column value; rows without one go to `fallback` (default train) */
  | { mode: 'column'; fallback?: SplitName }
  /** cross-validation: fold `fold` of `k` (assignFolds with this seed) is validation, the rest train */
  | { mode: 'kfold'; k: number; fold: number; seed: number; stratify?: boolean };

// An entity-type combination with fewer sentences than this is merged into the stratum of its rarest type.
const MIN_STRATUM = 10;

/** NER strata: the sorted set of entity types in the sentence ('' for none); rare sets go to their rarest type. */
function entityStrata(records: DataRecord[]): string[] {
  const typesOf = records.map((r) => (r.tags ? entityTypes(r.tags) : []));
  const sentencesWith = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const ts of typesOf) {
    for (const t of ts) sentencesWith.set(t, (sentencesWith.get(t) ?? 0) + 1);
    const k = ts.join('|');
    sizes.set(k, (sizes.get(k) ?? 0) + 1);
  }
  return typesOf.map((ts) => {
    const k = ts.join('|');
    if (ts.length < 2 || sizes.get(k)! >= MIN_STRATUM) return k;
    return ts.reduce((a, b) => (sentencesWith.get(b)! < sentencesWith.get(a)! ? b : a));
  });
}

/** Strata: class label (classification / label set for multi-label), 10 quantile bins (regression), entity-type set
 *  (NER). */
function strata(records: DataRecord[], stratify: boolean): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  const add = (k: string, i: number) => {
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  };
  const numeric = records.length > 0 && records.every((r) => typeof r.label === 'number' || r.label === null);
  if (!stratify) {
    records.forEach((_, i) => add('', i));
  } else if (records.some((r) => r.tags)) {
    entityStrata(records).forEach((k, i) => add(k, i));
  } else if (numeric) {
    const order = records.map((_, i) => i).sort((a, b) => ((records[a].label as number) ?? 0) - ((records[b].label as number) ?? 0));
    order.forEach((i, rank) => add(String(Math.floor((rank * 10) / order.length)), i));
  } else {
    records.forEach((r, i) => add(labelKey(r.label), i));
  }
  return groups;
}

/** Per-class quotas that sum to round(total * ratio), each floor or ceil of its exact share (largest remainder). */
function quotas(sizes: number[], ratio: number, cap: number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((n) => n * ratio);
  const q = exact.map((e, i) => Math.min(cap[i], Math.floor(e)));
  let deficit = Math.round(total * ratio) - q.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => i).sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b);
  for (const i of order) {
    if (deficit <= 0) break;
    if (q[i] < cap[i] && q[i] < Math.ceil(exact[i])) {
      q[i]++;
      deficit--;
    }
  }
  return q;
}

/** One code per record: 0 train, 1 validation, 2 test. */
export function assignSplits(records: DataRecord[], s: SplitSettings): Uint8Array {
  const out = new Uint8Array(records.length);
  if (s.mode === 'column') {
    const fb = SPLIT_CODES.indexOf(s.fallback ?? 'train');
    records.forEach((r, i) => (out[i] = r.split ? SPLIT_CODES.indexOf(r.split) : fb));
    return out;
  }
  if (s.mode === 'kfold') {
    if (!Number.isInteger(s.fold) || s.fold < 0 || s.fold >= s.k) {
      throw new DataError(
        'bad-option',
        `Fold ${s.fold} does not exist for k = ${s.k}`,
        { option: 'fold' },
        `Use a fold from 0 to ${s.k - 1}.`,
      );
    }
    const folds = assignFolds(records, s.k, s.seed, s.stratify ?? true);
    folds.forEach((f, i) => (out[i] = f === s.fold ? 1 : 0));
    return out;
  }
  const { train, validation, test } = s.ratios;
  const sum = train + validation + test;
  if (![train, validation, test].every((x) => Number.isFinite(x) && x >= 0) || sum <= 0) {
    throw new DataError(
      'bad-option',
      'Split ratios must be non-negative numbers with a positive sum',
      { option: 'ratios' },
      'For example 0.8 / 0.1 / 0.1.',
    );
  }
  const rv = validation / sum;
  const rt = test / sum;
  const rand = mulberry32(s.seed);
  const groups = [...strata(records, s.stratify ?? true)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const sizes = groups.map(([, g]) => g.length);
  const qt = quotas(sizes, rt, sizes);
  const qv = quotas(
    sizes,
    rv,
    sizes.map((n, i) => n - qt[i]),
  );
  groups.forEach(([, g], c) => {
    shuffleInPlace(g, rand);
    for (let k = 0; k < g.length; k++) out[g[k]] = k < qt[c] ? 2 : k < qt[c] + qv[c] ? 1 : 0;
  });
  return out;
}

/** Fold index (0..k-1) per record; stratified so each fold's class counts differ by at most one. */
export function assignFolds(records: DataRecord[], k: number, seed: number, stratify = true): Int32Array {
  if (!Number.isInteger(k) || k < 2 || k > records.length) {
    throw new DataError('bad-option', `k-fold needs 2 <= k <= ${records.length} (got ${k})`, { option: 'k' }, 'Choose k = 5 or 10.');
  }
  const rand = mulberry32(seed);
  const out = new Int32Array(records.length);
  const groups = [...strata(records, stratify)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let pos = 0;
  for (const [, g] of groups) {
    shuffleInPlace(g, rand);
    for (const i of g) out[i] = pos++ % k;
  }
  return out;
}

export function splitOf<T>(items: T[], codes: Uint8Array): Record<SplitName, T[]> {
  const r: Record<SplitName, T[]> = { train: [], validation: [], test: [] };
  items.forEach((x, i) => r[SPLIT_CODES[codes[i]]].push(x));
  return r;
}

/** A sample of `n` items, each stratum (as the splits stratify: label, label set, regression bin, entity types) in its
 *  share, kept in the items' own order; the same for the same seed. All of them when n is not smaller. */
export function stratifiedSample<T extends Pick<DataRecord, 'label' | 'tags'>>(items: T[], n: number, seed: number): T[] {
  if (n >= items.length) return items;
  const groups = [...strata(items as unknown as DataRecord[], true).values()];
  const sizes = groups.map((g) => g.length);
  const take = quotas(sizes, n / items.length, sizes);
  const rand = mulberry32(seed);
  const keep: number[] = [];
  groups.forEach((g, i) => {
    const order = [...g];
    shuffleInPlace(order, rand);
    keep.push(...order.slice(0, take[i]));
  });
  return keep.sort((a, b) => a - b).map((i) => items[i]);
}
