// Training samples/s on 1 thread and on N, measured in alternating segments (bench/train.ts in Node, the page worker
// of bench/train-browser.ts in Chromium). This machine's speed moves by 20–50 % within seconds (the host: the same
// one-thread step ran 320 ms a step, then 237 from one step to the next, both cores busy throughout), so two figures
// measured a minute apart do not give a speed-up. Here every thread count trains the same model, each with its own
// pool kept for the whole measurement, in short segments (warm-up steps, then timed ones) in rounds whose order
// reverses every round (1, N, N, 1, 1, N, …): a speed-up is the median over rounds of the ratio of the two segments
// of one round, measured seconds apart; a samples/s figure is the median over all of its timed steps.
import type { TaskModel } from '../lib/models/types';
import type { EncodedExample } from '../lib/train/encode';
import { fineTune } from '../lib/train/fine-tune';
import type { TrainPool } from '../lib/train/train-pool';
import { median } from './train-shapes';

export interface PairedRate {
  threads: number;
  /** median samples/s over every timed step of every segment */
  samplesPerSec: number;
  /** threads > 1: median over rounds of this segment's samples/s ÷ the one-thread segment's of the same round */
  speedup?: number;
  /** each round's ratio, in round order */
  speedups?: number[];
  /** each worker's backend memory at its last shard (bytes) */
  poolMemory: number[];
}

export interface PairedOptions {
  batch: number;
  steps: number;
  warmup: number;
  rounds: number;
  /** examples for one segment (`batch × (warmup + steps)` of them) */
  examples: EncodedExample[];
}

/** One segment: `warmup + steps` optimizer steps of full fine-tuning; the samples/s of each timed one. */
async function segment(model: TaskModel, pool: TrainPool | undefined, o: PairedOptions): Promise<number[]> {
  const rates: number[] = [];
  for await (const ev of fineTune(
    model,
    { train: o.examples, validation: [] },
    { epochs: 1, batchSize: o.batch, learningRate: 1e-5, maxSteps: o.warmup + o.steps, bucketWindow: 1, padMultiple: 16, seed: 1 },
    { pool },
  )) {
    if (ev.type === 'error') throw new Error(`training failed: ${ev.error.message}`);
    if (ev.type === 'step' && ev.step > o.warmup) rates.push(ev.samplesPerSec);
  }
  return rates;
}

/** 1 thread is always measured, as the reference. `makePool(n)` starts a pool of n threads; the pools are closed at
 *  the end. */
export async function pairedRates(
  model: TaskModel,
  threadCounts: number[],
  makePool: (threads: number) => Promise<TrainPool>,
  o: PairedOptions,
): Promise<PairedRate[]> {
  const counts = [1, ...threadCounts.filter((n) => n > 1)];
  const pools = new Map<number, TrainPool>();
  try {
    for (const n of counts.slice(1)) pools.set(n, await makePool(n));
    const steps = new Map<number, number[]>(counts.map((n) => [n, []]));
    const ratios = new Map<number, number[]>(counts.map((n) => [n, []]));
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 ? [...counts].reverse() : counts;
      const round = new Map<number, number>();
      for (const n of order) {
        const rates = await segment(model, pools.get(n), o);
        steps.get(n)!.push(...rates);
        round.set(n, median(rates));
      }
      for (const n of counts.slice(1)) ratios.get(n)!.push(round.get(n)! / round.get(1)!);
    }
    return counts.map((n) => ({
      threads: n,
      samplesPerSec: median(steps.get(n)!),
      ...(n > 1 ? { speedup: median(ratios.get(n)!), speedups: ratios.get(n)! } : {}),
      poolMemory: pools.get(n)?.memory() ?? [],
    }));
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
}
