// How long a run will take, measured rather than guessed: a few real optimizer steps (or, head-only, the encoder's
// features for a few batches) on batches drawn at the quartiles of the training texts' lengths, timed after a
// warm-up, scaled to the run's steps, evaluations and threads. The run's own model is used and changed by the
// measurement: estimate on a model prepared for that purpose (the CLI's --dry-run, the studio's Estimate button).
import { wordBaselineSeconds } from '../baseline/tfidf';
import type { EncodedExample } from '../train/encode';
import { pairSteps, pairTune } from '../train/contrastive';
import { contrastiveRoundsOf, headFirstEpochsOf, type RunConfig } from './config';
import { selectsOnValidation } from '../train/config';
import { runPairs } from './pair-tune';
import { startTrainPool } from './train-threads';
import { trainRun, type PreparedRun, type ThreadsPort } from './train-run';

export interface RunEstimate {
  /** the whole run: training steps + validation passes (+ head-only: the encoder's features) */
  seconds: number;
  steps: number;
  perStepSec: number;
  evals: number;
  evalSec: number;
  /** head-only: encoding the training and validation texts once */
  featureSec?: number;
  /** head-only with contrastive rounds: tuning the encoder on pairs first */
  pairSec?: number;
  /** the word-count baseline a run fits first (single-label classification, `wordBaseline` asked) */
  baselineSec?: number;
  threads: number;
  /** steps or batches timed, after the warm-up */
  measured: number;
  /** one sentence saying how the figure was made */
  basis: string;
  /** whether early stopping can end the run sooner (patience set and enough validation rows to select on) */
  mayStopEarly: boolean;
}

const WARMUP = 2;
const MEASURE = 4;

/** Batches of examples at evenly spaced quantiles of the training lengths (each batch of similar lengths, as the
 *  length-bucketed batches of the real run are). */
function sampleByLength(train: EncodedExample[], batch: number, batches: number): EncodedExample[] {
  const sorted = [...train].sort((a, b) => a.ids.length - b.ids.length);
  const out: EncodedExample[] = [];
  for (let k = 0; k < batches; k++) {
    const q = (k + 0.5) / batches;
    const start = Math.max(0, Math.min(sorted.length - batch, Math.round(q * sorted.length - batch / 2)));
    for (let i = 0; i < batch; i++) out.push(sorted[(start + i) % sorted.length]);
  }
  return out;
}

/** Validation passes in a run of `steps`: one at each epoch's end and every `evalEvery` steps (one pass where both
 *  fall on a step), and one at the end where the run stops between them (max steps). */
export function evalPassCount(steps: number, stepsPerEpoch: number, evalEvery: number): number {
  const at = (n: number) => (n > 0 ? Math.floor(steps / n) : 0);
  const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const both = evalEvery > 0 ? at(lcm(evalEvery, stepsPerEpoch)) : 0;
  const passes = at(stepsPerEpoch) + at(evalEvery) - both;
  const endsOnOne = steps % stepsPerEpoch === 0 || (evalEvery > 0 && steps % evalEvery === 0);
  return passes + (endsOnOne ? 0 : 1);
}

/** `opts.wordBaseline`: the run will fit the word-count baseline first (RunPorts.wordBaseline: a run someone starts,
 *  not a tune's trial), so its time is counted. */
export async function estimateRun(
  c: RunConfig,
  p: PreparedRun,
  threads?: ThreadsPort,
  opts: { signal?: AbortSignal; wordBaseline?: boolean } = {},
): Promise<RunEstimate> {
  const { signal } = opts;
  const train = p.data.train;
  const B = c.batchSize;
  const stepsPerEpoch = Math.ceil(Math.ceil(train.length / B) / c.gradAccumulation);
  const steps = c.maxSteps !== undefined ? Math.min(c.maxSteps, stepsPerEpoch * c.epochs) : stepsPerEpoch * c.epochs;
  const evalPasses = evalPassCount(steps, stepsPerEpoch, c.evalEverySteps);
  const valRows = p.data.validation.length;
  const n = WARMUP + MEASURE;
  const sample = sampleByLength(train, B * c.gradAccumulation, n);
  // time each step of a short run over the sample: no validation, no checkpoints, constant rate
  const probe: RunConfig = {
    ...c,
    epochs: 1,
    maxSteps: n,
    evalEverySteps: 0,
    earlyStoppingPatience: 0,
    schedule: 'constant',
    warmupRatio: 0,
    warmupSteps: undefined,
    headFirstEpochs: 0,
    contrastiveRounds: 0,
  };
  // the pairs phase: a few of its steps on the run's own pairs, timed after a warm-up
  let pairSec: number | undefined;
  if (contrastiveRoundsOf(c) > 0) {
    const pairs = runPairs(c, p);
    // on the run's threads, as the phase will take them
    const starting = startTrainPool(p, { threads }, 'tuning on pairs');
    let started = await starting.next();
    while (!started.done) started = await starting.next();
    const pool = started.value ?? undefined;
    try {
      const times: number[] = [performance.now()];
      for await (const s of pairTune(p.model, train, { pairs, seed: c.seed, maxSteps: n, signal, pool }))
        if ('loss' in s) times.push(performance.now());
      const t = times.slice(WARMUP);
      if (t.length > 1) pairSec = ((t[t.length - 1] - t[0]) / 1000 / (t.length - 1)) * pairSteps(pairs.length);
    } finally {
      await pool?.close();
    }
  }
  const stamps: number[] = [];
  let featureSec: number | undefined;
  // head-only features are timed in this thread (starting a pool costs seconds that a sample cannot amortise) and
  // divided over the run's threads at 90 % efficiency (what the feature pool reaches: README, head-only SST-2)
  let threadCount = c.mode === 'head' && threads && threads.threads > 1 ? threads.threads : 1;
  // full, freeze and LoRA steps are timed on the run's threads (data-parallel), as the run will take them
  for await (const ev of trainRun(
    probe,
    { ...p, data: { train: sample, validation: [] } },
    { signal, threads: c.mode === 'head' ? undefined : threads },
  )) {
    if (ev.type === 'start') {
      stamps.push(performance.now());
      if (c.mode !== 'head') threadCount = ev.threads;
      if (ev.featureCacheSec !== undefined) featureSec = ev.featureCacheSec;
    } else if (ev.type === 'step') stamps.push(performance.now());
    else if (ev.type === 'error') throw new Error(ev.error.message);
  }
  const timed = stamps.slice(WARMUP); // stamps[i] = end of step i (stamps[0]: start)
  const perStepSec = timed.length > 1 ? (timed[timed.length - 1] - timed[0]) / 1000 / (timed.length - 1) : 0;
  let seconds: number;
  let evalSec: number;
  let basis: string;
  if (c.mode === 'head') {
    // the features: timed for the sample on threadCount threads, scaled to train + validation
    const perExample = (featureSec ?? 0) / sample.length;
    const fSec = (perExample * (train.length + valRows)) / (threadCount > 1 ? threadCount * 0.9 : 1);
    evalSec = 0; // validation features are cached with the training ones; a pass over them is a matrix product
    seconds = fSec + steps * perStepSec + (pairSec ?? 0);
    featureSec = fSec;
    basis =
      `features timed on ${sample.length} texts (${threadCount} thread${threadCount > 1 ? 's' : ''}), ` +
      `${MEASURE} head steps timed after ${WARMUP} of warm-up` +
      (pairSec !== undefined ? `; the contrastive pairs phase: ${MEASURE} of its steps timed after ${WARMUP}` : '');
  } else {
    // a validation pass is a forward pass: about a third of a training step's work per example
    const forwardSec = (rows: number) => (rows / B) * (perStepSec / c.gradAccumulation / 3);
    evalSec = evalPasses * forwardSec(valRows);
    // head first: one forward pass over training and validation texts for the cached features (the head's own steps
    // on them take milliseconds)
    const headFirst = headFirstEpochsOf(c) > 0;
    featureSec = headFirst ? forwardSec(train.length + valRows) : undefined;
    seconds = steps * perStepSec + evalSec + (featureSec ?? 0);
    basis =
      `${MEASURE} training steps on texts at the length quartiles (${threadCount} thread${threadCount > 1 ? 's' : ''}), ` +
      `timed after ${WARMUP} of warm-up; validation${headFirst ? " and the head-first phase's features" : ''} ` +
      'as a third of a step per batch';
  }
  // the word-count baseline: estimated from the training words (fitting it to time it would take as long)
  const fitsBaseline = opts.wordBaseline && p.baselineInput?.validation.length;
  const baselineSec = fitsBaseline ? wordBaselineSeconds(p.baselineInput!.train, p.labels.length) : undefined;
  return {
    seconds: seconds + (baselineSec ?? 0),
    steps,
    perStepSec,
    evals: evalPasses,
    evalSec,
    ...(featureSec !== undefined ? { featureSec } : {}),
    ...(pairSec !== undefined ? { pairSec } : {}),
    ...(baselineSec !== undefined ? { baselineSec } : {}),
    threads: threadCount,
    measured: MEASURE,
    basis,
    // patience counts evaluations: a run with no more of them than that cannot stop early
    mayStopEarly: c.earlyStoppingPatience > 0 && selectsOnValidation(valRows) && evalPasses > c.earlyStoppingPatience,
  };
}
