// Sweeps: expand a grid (every combination) or draw random combinations (seeded) over learning rate, batch size,
// epochs and mode; the session then runs the configs one after another.
import { UserError } from '../errors';
import { mulberry32 } from '../rng';
import type { ModeName, RunConfig } from '../run/config';
import type { SweepSpec } from './types';

export type { SweepSpec };

export const MAX_SWEEP_RUNS = 64;

/** Parses "1e-5, 3e-5 5e-5" into numbers; names the option on a bad value. */
export function parseList(text: string, option: string): number[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const out = parts.map((p) => Number(p));
  const bad = parts.find((p, i) => !Number.isFinite(out[i]) || out[i] <= 0);
  if (bad !== undefined)
    throw new UserError(`"${bad}" is not a positive number.`, { option }, 'Write numbers separated by commas, e.g. 1e-5, 3e-5.');
  if (!out.length) throw new UserError('Give at least one value.', { option }, 'Write numbers separated by commas.');
  return out;
}

export function expandSweep(base: RunConfig, spec: SweepSpec): RunConfig[] {
  const axes = { learningRate: spec.learningRate, batchSize: spec.batchSize, epochs: spec.epochs, mode: spec.mode };
  for (const [k, v] of Object.entries(axes))
    if (!v.length) throw new UserError(`The sweep has no values for ${k}.`, { option: k }, 'Give at least one value.');
  const combos: { learningRate: number; batchSize: number; epochs: number; mode: ModeName }[] = [];
  for (const learningRate of axes.learningRate)
    for (const batchSize of axes.batchSize)
      for (const epochs of axes.epochs) for (const mode of axes.mode) combos.push({ learningRate, batchSize, epochs, mode });
  let picked = combos;
  if (spec.strategy === 'random') {
    const r = mulberry32(spec.seed);
    const pool = [...combos];
    picked = [];
    const n = Math.min(spec.trials, pool.length);
    for (let i = 0; i < n; i++) picked.push(pool.splice(Math.floor(r() * pool.length), 1)[0]);
  }
  if (picked.length > MAX_SWEEP_RUNS)
    throw new UserError(
      `The sweep has ${picked.length} runs; at most ${MAX_SWEEP_RUNS} are allowed.`,
      { option: 'sweep' },
      'Use fewer values or a random sweep with fewer trials.',
    );
  return picked.map((c, i) => ({
    ...base,
    ...c,
    freezeLayers: c.mode === 'freeze' ? Math.max(1, base.freezeLayers) : base.freezeLayers,
    // epochs other than the base's are trained whole (a big-data recipe's stop within one epoch goes, as in the form)
    maxSteps: c.epochs === base.epochs ? base.maxSteps : undefined,
    name: `${base.name} · sweep ${i + 1}: lr ${c.learningRate}, bs ${c.batchSize}, ${c.epochs} ep, ${c.mode}`,
  }));
}
