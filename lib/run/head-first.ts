// Head first, then the encoder (LP-FT: Kumar et al. 2022, "Fine-Tuning can Distort Pretrained Features and
// Underperform Out-of-Distribution"). Before a full or freeze run's fine-tuning steps, its new head trains alone on the
// frozen encoder's features (computed once, cached, on the feature threads) at the head's own rate (learning rate ×
// head multiplier), so the encoder's first steps get gradients through a trained head instead of a random one. On
// small data this keeps the encoder from being pulled around while the head is still noise.
import * as tf from '@tensorflow/tfjs';
import { isHeadParamName } from '../models/heads';
import { createTaskModel } from '../models/task-model';
import type { TaskModel } from '../models/types';
import type { EvalResult } from '../train/events';
import { createFeaturePool, type FeaturePool } from '../train/feature-pool';
import { localFeatureExtractor, type FeatureExtractor } from '../train/features';
import { fineTune } from '../train/fine-tune';
import { textCount } from '../train/text-windows';
import type { RunConfig } from './config';
import { trainConfigOf } from './engine-config';
import type { FeatureMemo, PreparedRun, RunEvent, RunPorts } from './run-types';

/** The encoder's features for a head-only model: on the feature threads where there are several (wasm), else here;
 *  kept in `ports.featureMemo` (runs that share the frozen encoder and the encoded data: a tune's trials). */
export async function* featureExtractorFor(
  model: TaskModel,
  data: PreparedRun['data'],
  ports: RunPorts,
): AsyncGenerator<RunEvent, { extract: FeatureExtractor; pool: FeaturePool | null }> {
  let threads = 1;
  let pool: FeaturePool | null = null;
  const onProgress = (done: number, total: number) => ports.onFeatureProgress?.(done, total, threads);
  const t = ports.threads;
  const known = ports.featureMemo?.has('train') && ports.featureMemo.has('validation');
  if (t && t.threads > 1 && tf.getBackend() === 'wasm' && !known) {
    try {
      pool = await createFeaturePool(model, t.threads, t.start, t.backend, onProgress);
      threads = pool.threads;
      yield { type: 'status', message: `computing encoder features on ${pool.threads} threads`, threads: pool.threads };
    } catch (e) {
      yield { type: 'status', message: `computing encoder features in one thread: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const extract = pool?.extract ?? localFeatureExtractor(model, onProgress);
  return { extract: ports.featureMemo ? memoized(extract, ports.featureMemo, data) : extract, pool };
}

/** The extractor with its results kept for the run's training and validation examples. */
function memoized(extract: FeatureExtractor, memo: FeatureMemo, data: PreparedRun['data']): FeatureExtractor {
  return async (examples, batchSize, pad, signal) => {
    const key = examples === data.train ? 'train' : examples === data.validation ? 'validation' : null;
    const known = key && memo.get(key);
    if (known) return known;
    const rows = await extract(examples, batchSize, pad, signal);
    if (key) memo.set(key, rows);
    return rows;
  };
}

/** The head-first phase's settings: the run's, at the head's rate, for `headFirstEpochs`, no weight average or early
 *  stopping (each epoch is validated on cached features; the best epoch's head is kept). */
export function headFirstConfig(c: RunConfig): RunConfig {
  return {
    ...c,
    mode: 'head',
    epochs: c.headFirstEpochs,
    learningRate: c.learningRate * c.headLrMultiplier,
    headLrMultiplier: 1,
    emaDecay: 0,
    earlyStoppingPatience: 0,
    evalEverySteps: 0,
    maxSteps: undefined,
    warmupSteps: undefined,
  };
}

/** Trains `p.model`'s head alone for `c.headFirstEpochs` epochs (a head-only model over the same encoder), then puts
 *  the trained head into `p.model`. Yields status lines (and an error event, which ends the run). Returns false when
 *  the run should not go on (an error). */
export async function* trainHeadFirst(c: RunConfig, p: PreparedRun, ports: RunPorts): AsyncGenerator<RunEvent, boolean> {
  const heads = [...p.model.variables()].filter(([n]) => isHeadParamName(n));
  const headModel = createTaskModel({
    encoder: p.model.encoder,
    tokenizer: p.model.tokenizer,
    task: p.model.task,
    labels: p.labels,
    mode: { kind: 'head' },
    seed: c.seed,
    classifierDropout: c.dropout,
    ownsEncoder: false,
    headParams: new Map(heads.map(([n, v]) => [n, Float32Array.from(v.dataSync())])),
  });
  let pool: FeaturePool | null = null;
  try {
    const hc = headFirstConfig(c);
    yield {
      type: 'status',
      message:
        `training the new head first: ${hc.epochs} epoch${hc.epochs === 1 ? '' : 's'} on the frozen encoder's features ` +
        `at learning rate ${+hc.learningRate.toPrecision(3)}, then fine-tuning with it`,
    };
    const features = yield* featureExtractorFor(headModel, p.data, ports);
    pool = features.pool;
    let last: EvalResult | null = null;
    const config = {
      ...trainConfigOf(hc, { train: p.data.train.length, validation: textCount(p.data.validation) }, p.model.task),
      ...(ports.classWeights ? { classWeights: ports.classWeights } : {}),
    };
    for await (const ev of fineTune(headModel, p.data, config, { signal: ports.signal, featureExtractor: features.extract })) {
      if (ev.type === 'error') {
        yield ev;
        return false;
      }
      if (ev.type === 'done') last = ev.final ?? null;
    }
    if (ports.signal?.aborted) return true; // the run's own loop ends it as stopped
    const trained = headModel.trainable();
    const target = p.model.variables();
    for (const [n, v] of trained) target.get(n)?.assign(v);
    const metric = config.bestMetric;
    const score = metric && last?.scalars[metric];
    const scored = typeof score === 'number' ? ` (validation ${metric} ${score.toFixed(4)})` : '';
    yield { type: 'status', message: `head trained first${scored}; now fine-tuning the encoder` };
    return true;
  } finally {
    await pool?.close();
    headModel.dispose();
  }
}
