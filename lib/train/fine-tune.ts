// The fine-tuning loop as an async generator: adapters (worker, CLI) iterate it and forward the events. It owns
// batching, the optimizer, the schedule, evaluation, early stopping and checkpoints; everything that shapes the rest of
// a run (weights, moments, rng, data position, controls, early-stopping state) goes into a checkpoint, so a resumed
// run reproduces an uninterrupted one exactly.
import * as tf from '@tensorflow/tfjs';
import { UserError, toErrorInfo } from '@/lib/errors';
import { resetDropoutCounter } from '@/lib/models/layers';
import { isHeadParamName } from '@/lib/models/heads';
import type { ForwardOptions, TaskModel } from '@/lib/models/types';
import type { Checkpoint, CheckpointStore, DataPosition, MetricsSoFar } from '@/lib/store/types';
import { batchLength, makeTensorBatch, padOptionsFor, planEpoch } from './batching';
import { resolveConfig, type TrainConfig } from './config';
import { CheckpointWriter, STEP_ID } from './checkpoint-writer';
import { clipScale, clipScaleTensor } from './clip';
import type { EncodedExample } from './encode';
import { collectOutputs, evalFromOutputs } from './evaluate';
import { EtaTracker } from './eta';
import { RunControls } from './controls';
import type { EvalResult, StopReason, TrainEvent } from './events';
import { classWeightsFor, numOutputs, validateData } from './run-checks';
import { recordEval } from './selection';
import { batchDenominator, dropoutSeed, splitShards } from './shards';
import { stepGradients } from './step-grads';
import type { TrainPool } from './train-pool';
import { WeightAverage } from './ema';
import { AdamOptimizer } from './optimizer';
import { Rng } from '../rng';
import { learningRateAt, resolveWarmup } from './schedule';
import { assignVariables, evaluatedWeights, readVariables } from './state';
import { FeatureCache, type FeatureExtractor } from './features';
import { tokenTables } from './grad-wire';

export interface TrainData {
  train: EncodedExample[];
  validation: EncodedExample[];
}

export interface FineTuneOptions {
  signal?: AbortSignal;
  store?: CheckpointStore;
  runId?: string;
  resumeFrom?: Checkpoint;
  controls?: RunControls;
  /** head-only mode: computes the frozen encoder's features (default: in this thread; the CLI spreads it over
   *  worker threads) */
  featureExtractor?: FeatureExtractor;
  /** what the training data was (lib/run/fingerprint.ts): written into every checkpoint, so a resume can refuse data
   *  that changed */
  fingerprint?: Checkpoint['fingerprint'];
  /** the clock for the ETA, in ms (tests pass a simulated one; default performance.now) */
  now?: () => number;
  /** read each step's loss and gradient norm a step later, keeping the clipping factor on the device (default: on the
   *  GPU backends, where a read inside the step would stall the queue; tests turn it on elsewhere) */
  deferStats?: boolean;
  /** data-parallel threads (lib/train/train-pool.ts): each micro-batch is split over them; ignored in head-only mode,
   *  whose steps train only the head. The caller closes it. */
  pool?: TrainPool;
}

/** A step taken on a GPU backend whose loss and gradient norm are still being read. */
interface PendingStep {
  numbers: Promise<ArrayLike<number>>;
  step: number;
  epoch: number;
  epochProgress: number;
  lr: number;
  batchExamples: number;
}

export async function* fineTune(
  model: TaskModel,
  data: TrainData,
  config: TrainConfig,
  opts: FineTuneOptions = {},
): AsyncGenerator<TrainEvent, void, undefined> {
  const { signal, store, resumeFrom } = opts;
  const pool = opts.pool && model.mode.kind !== 'head' && opts.pool.threads > 1 ? opts.pool : undefined;
  const runId = opts.runId ?? resumeFrom?.runId ?? 'run';
  const controls = opts.controls ?? new RunControls();
  let step = 0;
  // this piece's start, and the run's training time before it (a checkpoint carries the sum)
  const started = performance.now();
  const secondsBefore = resumeFrom?.metricsSoFar.trainSeconds ?? 0;
  let optimizer: AdamOptimizer | null = null;
  let ema: WeightAverage | null = null;
  let features: FeatureCache | null = null;
  // a better evaluation's checkpoint still waiting in memory is written even when the run fails after it
  let writer: CheckpointWriter | null = null;
  try {
    const cfg = resolveConfig(config, { hasStore: Boolean(store), hasValidation: data.validation.length > 0 });
    if (!data.train.length)
      throw new UserError('the training split is empty', { file: 'train' }, 'add training examples or change the split');
    validateData(model, data.train, 'train');
    validateData(model, data.validation, 'validation');
    const task = model.task;
    const k = numOutputs(model);
    const lossOpts = {
      labelSmoothing: task === 'classification' || task === 'token-classification' ? cfg.labelSmoothing : 0,
      classWeights: classWeightsFor(model, cfg, data.train),
    };
    const pad = padOptionsFor(model, cfg.padMultiple);
    const headOnly = model.mode.kind === 'head';
    /** what every shard of micro-batch `m` of step `atStep` (examples `idx`) shares */
    const shardContext = (idx: number[], atStep: number, m: number) => ({
      seed: dropoutSeed(cfg.seed, atStep, m),
      length: features ? 0 : batchLength(data.train, idx, pad),
      denominator: batchDenominator(model, data.train, idx, k, lossOpts),
    });

    const trainable = model.trainable();
    if (!trainable.size)
      throw new UserError(
        'nothing to train: the model has no trainable parameters in this mode',
        { option: 'mode' },
        'choose another fine-tuning mode',
      );
    const varList = [...trainable.values()];
    const nameOfVar = new Map(varList.map((v, i) => [v.name, [...trainable.keys()][i]]));
    const lrScales =
      headOnly || cfg.headLrMultiplier === 1
        ? undefined
        : Object.fromEntries([...trainable.keys()].filter(isHeadParamName).map((n) => [n, cfg.headLrMultiplier]));
    optimizer = new AdamOptimizer(trainable, {
      kind: cfg.optimizer,
      weightDecay: cfg.weightDecay,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      epsilon: cfg.epsilon,
      lrScales,
    });

    const lengths = data.train.map((e) => e.ids.length);
    const batchesPerEpoch = Math.ceil(data.train.length / cfg.batchSize);
    const stepsPerEpoch = Math.ceil(batchesPerEpoch / cfg.gradAccumSteps);
    let rng = new Rng(cfg.seed);
    let pos: DataPosition = { epoch: 0, cursor: 0, plan: null };
    let history: MetricsSoFar = { evals: [], best: null, badEvals: 0 };
    let bestSnapshot: Map<string, Float32Array> | null = null;
    let bestResult: EvalResult | null = null;
    let lastResult: EvalResult | null = null;

    if (resumeFrom) {
      assignVariables(model.variables(), resumeFrom.weights);
      optimizer.setState(resumeFrom.optimizer);
      rng = new Rng(resumeFrom.rng);
      pos = structuredClone(resumeFrom.data);
      history = structuredClone(resumeFrom.metricsSoFar);
      controls.restore(resumeFrom.controls);
      step = resumeFrom.step;
    }
    if (cfg.emaDecay > 0) {
      ema = new WeightAverage(trainable, cfg.emaDecay);
      if (resumeFrom?.ema) ema.setState(resumeFrom.ema);
    }
    const totalEpochs = () => cfg.epochs + controls.extraEpochs;
    // max steps (the big-data recipes stop part-way through one epoch): an epoch added while it runs adds an epoch's steps
    const stepLimit = () => (cfg.maxSteps === undefined ? Infinity : cfg.maxSteps + controls.extraEpochs * stepsPerEpoch);
    /** the steps the schedule spans */
    const scheduleSteps = () => (cfg.maxSteps === undefined ? totalEpochs() * stepsPerEpoch : stepLimit());
    // a run told to stop early (a tune's trial) ends there on the same schedule: the progress and the ETA count to it
    const stopStep = Math.min(
      cfg.stopAfter?.steps ?? Infinity,
      cfg.stopAfter?.epochs !== undefined ? cfg.stopAfter.epochs * stepsPerEpoch : Infinity,
    );
    const totalSteps = () => Math.min(scheduleSteps(), stopStep);
    /** the step the run ends at, short of the epochs' end (max steps, a stop) */
    const endStep = () => Math.min(stepLimit(), stopStep);
    const schedule = () => {
      const total = scheduleSteps();
      return {
        kind: cfg.schedule,
        baseLr: cfg.learningRate,
        totalSteps: total,
        warmupSteps: resolveWarmup({ steps: cfg.warmupSteps, ratio: cfg.warmupRatio }, total),
      };
    };

    let featureCacheSec: number | undefined;
    if (headOnly) {
      const t0 = performance.now();
      features = await FeatureCache.build(model, [data.train, data.validation], cfg.evalBatchSize, pad, signal, opts.featureExtractor);
      featureCacheSec = (performance.now() - t0) / 1000;
    }
    const vocabSize = Number(model.encoder.config.vocab_size ?? 0);
    const stepInputs = {
      model,
      train: data.train,
      vars: varList,
      tables: tokenTables(varList, vocabSize),
      o: { numLabels: k, lossOpts, pad, features },
      pool,
      context: shardContext,
    };
    await pool?.begin(data.train, trainable, {
      numLabels: k,
      lossOpts,
      pad,
      optimizer,
      vocabSize,
      validation: data.validation,
      ema,
    });
    // the replicas hold the weights (and average) being trained until the run's end restores or swaps them
    let replicasCurrent = Boolean(pool);
    const counts = model.paramCounts();
    yield {
      type: 'start',
      runId,
      epochs: Math.min(totalEpochs(), cfg.stopAfter?.epochs ?? Infinity),
      stepsPerEpoch,
      totalSteps: totalSteps(),
      trainExamples: data.train.length,
      validationExamples: data.validation.length,
      params: counts,
      threads: pool?.threads ?? 1,
      ...(featureCacheSec !== undefined ? { featureCacheSec } : {}),
      ...(resumeFrom ? { resumedFromStep: resumeFrom.step } : {}),
    };

    /** logits for a batch of example indices of one split (0 = train, 1 = validation) */
    const forward = (split: 0 | 1, idx: number[], fopts: ForwardOptions): { logits: tf.Tensor; seqLen: number } => {
      const examples = split === 0 ? data.train : data.validation;
      if (features) {
        const f = features.batch(split, idx, pad);
        return { logits: model.headForward(f.features, fopts), seqLen: f.seqLen };
      }
      const batch = makeTensorBatch(examples, idx, pad);
      resetDropoutCounter();
      return { logits: model.forward(batch, fopts), seqLen: batch.inputIds.shape[1] };
    };

    /** validation metrics, of the weight average when the run keeps one */
    const evaluate = async (): Promise<EvalResult> => {
      ema?.swap();
      try {
        const local = (idx: number[]) => forward(1, idx, { training: false }).logits;
        const outputs =
          pool && replicasCurrent
            ? await pool.outputs(cfg.evalBatchSize, local, Boolean(ema))
            : await collectOutputs(data.validation, cfg.evalBatchSize, local);
        return evalFromOutputs(task, outputs, data.validation, model.labels, cfg.multilabelThreshold);
      } finally {
        ema?.swap();
      }
    };

    const ckpts = new CheckpointWriter({
      store,
      runId,
      variables: () => model.variables(),
      trainable,
      keep: cfg.keepCheckpoints,
      bestEverySec: cfg.bestCheckpointEverySec,
      snapshot: async () => ({
        step,
        epoch: pos.epoch,
        optimizer: await optimizer!.getState(),
        ...(ema ? { ema: await ema.getState() } : {}),
        rng: rng.state(),
        data: structuredClone(pos),
        config,
        controls: controls.snapshot(),
        metricsSoFar: { ...structuredClone(history), trainSeconds: secondsBefore + (performance.now() - started) / 1000 },
        ...(opts.fingerprint ? { fingerprint: opts.fingerprint } : {}),
      }),
    });
    writer = ckpts;
    if (resumeFrom) await ckpts.resume(resumeFrom);

    /** eval + best tracking + early stopping; returns the events and whether to stop */
    const evalAndTrack = async (): Promise<{ events: TrainEvent[]; stop: boolean }> => {
      const events: TrainEvent[] = [];
      if (!data.validation.length) return { events, stop: false };
      if (history.evals.at(-1)?.step === step) return { events, stop: false };
      const result = await evaluate();
      lastResult = result;
      events.push({ type: 'eval', step, epoch: pos.epoch, result });
      const { improved, earlyStop } = recordEval(history, result, { step, epoch: pos.epoch }, cfg, task);
      if (improved) {
        bestResult = result;
        if (cfg.restoreBest && !store) {
          const snap = ema ? await ema.getState() : await readVariables(trainable);
          bestSnapshot = new Map(Object.entries(snap).map(([n, t]) => [n, t.data]));
        }
        if (cfg.keepBest) await ckpts.takeBest();
      }
      for (const meta of await ckpts.flushBestIfDue()) events.push({ type: 'checkpoint', checkpoint: meta });
      if (earlyStop) events.push(earlyStop);
      return { events, stop: Boolean(earlyStop) };
    };

    const finish = async function* (reason: StopReason): AsyncGenerator<TrainEvent> {
      if (reason !== 'aborted') {
        for (const meta of await ckpts.save('final', step)) yield { type: 'checkpoint', checkpoint: meta };
      }
      let restoredBest = false;
      replicasCurrent = false;
      if (cfg.restoreBest && history.best && reason !== 'aborted' && history.best.step !== step) {
        if (bestSnapshot) {
          const snap = bestSnapshot;
          for (const [n, v] of trainable) tf.tidy(() => v.assign(tf.tensor(snap.get(n)!, v.shape)));
          restoredBest = true;
        } else if (store && ckpts.bestId) {
          const best = await store.loadCheckpoint(runId, ckpts.bestId);
          if (best) {
            assignVariables(trainable, evaluatedWeights(best));
            restoredBest = true;
          }
        }
      }
      if (ema && !restoredBest) {
        // the model keeps the average (what every evaluation measured); the raw weights end with the run
        ema.swap();
      }
      ema?.dispose();
      ema = null;
      let final: EvalResult | null = null;
      if (data.validation.length && reason !== 'aborted') {
        if (restoredBest && bestResult) final = bestResult;
        else if (!restoredBest && lastResult && history.evals.at(-1)?.step === step) final = lastResult;
        else final = await evaluate();
      }
      yield {
        type: 'done',
        reason,
        step,
        epoch: pos.epoch,
        final,
        best: history.best,
        restoredBest,
        bestCheckpointId: ckpts.bestId,
        lastCheckpointId: ckpts.lastId,
        history: history.evals,
      };
    };

    const eta = new EtaTracker(50, opts.now);
    eta.start();

    const nonFinite = (loss: number, gradNorm: number, at: number, left: string) =>
      new UserError(
        `training stopped at step ${at}: ` +
          `${!Number.isFinite(loss) ? `the loss became ${loss}` : `the gradient norm became ${gradNorm}`}; ${left}`,
        { option: 'learningRate' },
        `lower the learning rate (now ${cfg.learningRate}), keep gradient clipping on, and resume from ` +
          `${ckpts.lastId ? `checkpoint "${ckpts.lastId}"` : 'the start'}`,
      );
    // WebGPU/WebGL: a step's loss and gradient norm are read while the next step runs (see the step below)
    const deferStats = opts.deferStats ?? ['webgpu', 'webgl'].includes(tf.getBackend());
    let pending: PendingStep | null = null;
    let lastRead = performance.now();
    /** the step event of the step whose numbers are still on their way, once they arrive */
    const readPending = async function* (): AsyncGenerator<TrainEvent> {
      if (!pending) return;
      const p = pending;
      pending = null;
      const [loss, gradNorm] = Array.from(await p.numbers);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        throw nonFinite(loss, gradNorm, p.step, 'the next update was already applied, so resume from a checkpoint');
      }
      const now = performance.now();
      const stepSec = Math.max(1e-9, (now - lastRead) / 1000);
      lastRead = now;
      eta.step();
      yield {
        type: 'step',
        step: p.step,
        epoch: p.epoch,
        epochProgress: p.epochProgress,
        loss,
        lr: p.lr,
        gradNorm,
        samplesPerSec: p.batchExamples / stepSec,
        etaSec: eta.etaSec(totalSteps() - p.step),
        totalSteps: totalSteps(),
      };
    };

    while (true) {
      // a step's numbers are read before anything that looks at them or at the weights (evaluation, checkpoints,
      // the end, a pause) and, on GPU backends, otherwise one step late (yield* readPending() in the step)
      if (pending && (signal?.aborted || controls.paused || step >= endStep() || pos.plan === null)) {
        yield* readPending();
      }
      if (signal?.aborted) {
        for (const meta of await ckpts.save('abort', step)) yield { type: 'checkpoint', checkpoint: meta };
        yield* finish('aborted');
        return;
      }
      if (controls.paused) {
        eta.pause();
        yield { type: 'state', state: 'paused', step };
        await controls.waitUntilResumed(signal);
        eta.resume();
        if (!signal?.aborted) yield { type: 'state', state: 'running', step };
        continue;
      }
      if (step >= endStep()) {
        yield* finish('max-steps');
        return;
      }
      if (pos.plan !== null && pos.cursor >= pos.plan.length) {
        // resumed from a checkpoint taken at an epoch's end (the best one is saved right after its evaluation)
        pos = { epoch: pos.epoch + 1, cursor: 0, plan: null };
        continue;
      }
      if (pos.plan === null) {
        if (pos.epoch >= totalEpochs()) {
          yield* finish('completed');
          return;
        }
        pos.plan = planEpoch(lengths, cfg.batchSize, cfg.bucketWindow, rng);
        pos.cursor = 0;
      }

      // one optimizer step over up to gradAccumSteps micro-batches of this epoch
      const micro = pos.plan.slice(pos.cursor, pos.cursor + cfg.gradAccumSteps);
      const lr = learningRateAt(schedule(), step) * controls.lrMultiplier;
      const tStep = performance.now();
      const { grads, stats } = await stepGradients(stepInputs, micro, step);
      const n = micro.length;
      // averaging and clipping are one factor, applied inside the optimizer's update
      const named: Record<string, tf.Tensor> = {};
      varList.forEach((v, j) => (named[nameOfVar.get(v.name)!] = grads[j]));
      const batchExamples = micro.reduce((a, b) => a + b.length, 0);
      if (deferStats) {
        // GPU backends: the clipping factor stays on the device and the loss is read a step later, so the next
        // step's work is queued before this one's numbers come back
        const scaleT = tf.tidy(() => clipScaleTensor(stats, cfg.maxGradNorm).div(n) as tf.Scalar);
        optimizer.apply(named, lr, scaleT);
        tf.dispose([scaleT, ...grads]);
        ema?.update(optimizer.step);
        step += 1;
        pos.cursor += n;
        const numbers = stats.data().finally(() => stats.dispose());
        numbers.catch(() => undefined);
        yield* readPending();
        pending = {
          numbers,
          step,
          epoch: pos.epoch,
          epochProgress: pos.epoch + Math.min(1, pos.cursor / pos.plan.length),
          lr,
          batchExamples,
        };
      } else {
        const [loss, gradNorm] = Array.from(await stats.data());
        stats.dispose();
        if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
          grads.forEach((t) => t.dispose());
          throw nonFinite(loss, gradNorm, step + 1, `the weights were left as they were after step ${step}`);
        }
        const scale = clipScale(gradNorm, cfg.maxGradNorm) / n;
        try {
          // the replicas get the step first and take it while this thread takes its own, then start on the next
          // step's first micro-batch of this epoch (if that is what the next step does)
          const nextIdx = pos.plan[pos.cursor + n];
          const next =
            pool && nextIdx ? { shards: splitShards(nextIdx, pool.threads), ctx: shardContext(nextIdx, step + 1, 0) } : undefined;
          await pool?.applied(grads, lr, scale, micro.flat(), next);
          optimizer.apply(named, lr, scale);
        } finally {
          grads.forEach((t) => t.dispose());
        }
        ema?.update(optimizer.step);

        step += 1;
        pos.cursor += n;
        const now = performance.now();
        const stepSec = Math.max(1e-9, (now - tStep) / 1000);
        eta.step();
        yield {
          type: 'step',
          step,
          epoch: pos.epoch,
          epochProgress: pos.epoch + Math.min(1, pos.cursor / pos.plan.length),
          loss,
          lr,
          gradNorm,
          samplesPerSec: batchExamples / stepSec,
          etaSec: eta.etaSec(totalSteps() - step),
          totalSteps: totalSteps(),
        };
      }

      let stop = false;
      const epochEnded = pos.cursor >= pos.plan.length;
      const evalDue = Boolean(cfg.evalEverySteps && step % cfg.evalEverySteps === 0);
      const checkpointDue = Boolean(cfg.checkpointEverySteps && step % cfg.checkpointEverySteps === 0);
      if (pending && (epochEnded || evalDue || checkpointDue)) yield* readPending();
      if (cfg.evalEverySteps && step % cfg.evalEverySteps === 0 && !epochEnded) {
        const r = await evalAndTrack();
        yield* r.events;
        stop = r.stop;
      }
      if (epochEnded) {
        const r = await evalAndTrack();
        yield* r.events;
        stop = stop || r.stop;
        pos = { epoch: pos.epoch + 1, cursor: 0, plan: null };
        if (cfg.checkpointEveryEpoch && !stop) {
          for (const meta of await ckpts.save('epoch', step)) yield { type: 'checkpoint', checkpoint: meta };
        }
      }
      if (!stop && cfg.checkpointEverySteps && step % cfg.checkpointEverySteps === 0 && ckpts.lastId !== STEP_ID(step)) {
        for (const meta of await ckpts.save('periodic', step)) yield { type: 'checkpoint', checkpoint: meta };
      }
      if (stop) {
        yield* finish('early-stop');
        return;
      }
    }
  } catch (e) {
    await writer?.flushBest().catch(() => undefined);
    const last = writer?.lastId;
    yield { type: 'error', error: toErrorInfo(e), step, ...(last ? { lastGoodCheckpointId: last } : {}) };
  } finally {
    optimizer?.dispose();
    ema?.dispose();
    features?.dispose();
  }
}
