import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { fineTune } from '@/lib/train/fine-tune';
import { betterEval } from '@/lib/train/selection';
import { RunControls } from '@/lib/train/controls';
import type { TrainConfig } from '@/lib/train/config';
import type { TaskModel } from '@/lib/models/types';
import { MemoryStore } from '@/lib/store/memory-store';
import {
  collect,
  errorOf,
  loopConfig as base,
  loopTrain as train,
  loopValidation as validation,
  modelTracker,
  of,
  stepLosses,
  tinyModel,
} from './helpers';

beforeAll(useWasm);
const track = modelTracker();

describe('fineTune: determinism and exact resume (tiny BERT, dropout on)', () => {
  it('the same seed, data and config give the same loss trajectory; another seed gives another', async () => {
    const a = stepLosses(await collect(fineTune(track(tinyModel()), { train, validation }, base)));
    const b = stepLosses(await collect(fineTune(track(tinyModel()), { train, validation }, base)));
    const c = stepLosses(await collect(fineTune(track(tinyModel()), { train, validation }, { ...base, seed: 12 })));
    expect(a).toHaveLength(12);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('k steps + checkpoint + a fresh model resumed from it reproduce steps k+1..N of an uninterrupted run to 1e-6', async () => {
    const full = await collect(fineTune(track(tinyModel()), { train, validation }, base));
    const fullLosses = stepLosses(full);
    const N = fullLosses.length;
    const k = 6; // mid-epoch: the data position inside the epoch must be restored too
    const store = new MemoryStore();
    const ctl = new AbortController();
    const first = await collect(
      fineTune(track(tinyModel()), { train, validation }, base, { store, runId: 'r1', signal: ctl.signal }),
      (e) => {
        if (e.type === 'step' && e.step === k) ctl.abort();
      },
    );
    expect(of(first, 'done')[0].reason).toBe('aborted');
    const saved = of(first, 'checkpoint').at(-1)!.checkpoint;
    expect(saved).toMatchObject({ step: k, reason: 'abort' });
    const ckpt = (await store.loadCheckpoint('r1', saved.id))!;
    // a fresh model from another random init: everything must come from the checkpoint
    const fresh = track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 99));
    const rest = await collect(fineTune(fresh, { train, validation }, ckpt.config, { store, runId: 'r1', resumeFrom: ckpt }));
    expect(errorOf(rest)).toBeUndefined();
    const resumed = stepLosses(rest);
    expect(resumed).toHaveLength(N - k);
    resumed.forEach((l, i) => expect(Math.abs(l - fullLosses[k + i])).toBeLessThan(1e-6));
    expect(of(rest, 'step')[0].step).toBe(k + 1);
    // evaluations after the resume match too
    const evalsFull = of(full, 'eval')
      .filter((e) => e.step > k)
      .map((e) => e.result.loss);
    const evalsRest = of(rest, 'eval').map((e) => e.result.loss);
    expect(evalsRest).toHaveLength(evalsFull.length);
    evalsRest.forEach((l, i) => expect(Math.abs(l - evalsFull[i])).toBeLessThan(1e-6));
  });

  it.each([
    [
      'LoRA (with a weight average and a head multiplier)',
      { kind: 'lora' as const, rank: 4, alpha: 8, dropout: 0.1, targets: ['query' as const, 'value' as const] },
      { emaDecay: 0.9, headLrMultiplier: 5 },
    ],
    ['head-only (cached encoder features)', { kind: 'head' as const }, { emaDecay: 0.9 }],
  ])('%s resumes exactly too: a fresh model from the checkpoint reproduces the rest to 1e-6', async (_name, mode, extra) => {
    const cfg: TrainConfig = { ...base, ...extra };
    const full = await collect(fineTune(track(tinyModel('classification', ['neg', 'pos'], mode)), { train, validation }, cfg));
    const fullLosses = stepLosses(full);
    const k = 5;
    const store = new MemoryStore();
    const ctl = new AbortController();
    await collect(
      fineTune(track(tinyModel('classification', ['neg', 'pos'], mode)), { train, validation }, cfg, {
        store,
        runId: 'lora',
        signal: ctl.signal,
      }),
      (e) => {
        if (e.type === 'step' && e.step === k) ctl.abort();
      },
    );
    const metas = await store.listCheckpoints('lora');
    const ckpt = (await store.loadCheckpoint('lora', metas.find((m) => m.step === k)!.id))!;
    expect(ckpt.ema).toBeDefined();
    const fresh = track(tinyModel('classification', ['neg', 'pos'], mode, 99));
    const rest = await collect(fineTune(fresh, { train, validation }, ckpt.config, { store, runId: 'lora', resumeFrom: ckpt }));
    expect(errorOf(rest)).toBeUndefined();
    const resumed = stepLosses(rest);
    expect(resumed).toHaveLength(fullLosses.length - k);
    resumed.forEach((l, i) => expect(Math.abs(l - fullLosses[k + i])).toBeLessThan(1e-6));
    const evalsFull = of(full, 'eval')
      .filter((e) => e.step > k)
      .map((e) => e.result.loss);
    of(rest, 'eval').forEach((e, i) => expect(Math.abs(e.result.loss - evalsFull[i])).toBeLessThan(1e-6));
  });

  it('resume is exact with gradient accumulation and step-wise evaluation too', async () => {
    const cfg: TrainConfig = { ...base, batchSize: 4, gradAccumSteps: 2, evalEverySteps: 3, schedule: 'cosine' };
    const fullLosses = stepLosses(await collect(fineTune(track(tinyModel()), { train, validation }, cfg)));
    const store = new MemoryStore();
    const ctl = new AbortController();
    await collect(fineTune(track(tinyModel()), { train, validation }, cfg, { store, runId: 'r2', signal: ctl.signal }), (e) => {
      if (e.type === 'step' && e.step === 5) ctl.abort();
    });
    const metas = await store.listCheckpoints('r2');
    const last = metas.filter((m) => m.reason === 'abort')[0];
    const ckpt = (await store.loadCheckpoint('r2', last.id))!;
    const rest = stepLosses(
      await collect(
        fineTune(track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 5)), { train, validation }, cfg, { resumeFrom: ckpt }),
      ),
    );
    expect(rest).toHaveLength(fullLosses.length - 5);
    rest.forEach((l, i) => expect(Math.abs(l - fullLosses[5 + i])).toBeLessThan(1e-6));
  });
});

describe('fineTune: resume from the best checkpoint', () => {
  it('the best checkpoint (saved right after an epoch-end evaluation) resumes exactly too', async () => {
    const store = new MemoryStore();
    const cfg: TrainConfig = { ...base, earlyStopping: { metric: 'loss', patience: 5, minDelta: 100 } };
    const full = stepLosses(await collect(fineTune(track(tinyModel()), { train, validation }, cfg, { store, runId: 'b' })));
    const best = (await store.loadCheckpoint('b', 'best'))!;
    expect(best).toMatchObject({ step: 4, best: true });
    expect(best.data.cursor).toBe(best.data.plan!.length);
    const rest = await collect(
      fineTune(track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 8)), { train, validation }, best.config, {
        resumeFrom: best,
      }),
    );
    expect(errorOf(rest)).toBeUndefined();
    const losses = stepLosses(rest);
    expect(losses).toHaveLength(full.length - 4);
    losses.forEach((l, i) => expect(Math.abs(l - full[4 + i])).toBeLessThan(1e-6));
  });
});

describe('fineTune: stop after part of the length (a tune trial, continued on the next rung)', () => {
  it('ends after E epochs on the full schedule; its final checkpoint resumed to the end reproduces the whole run to 1e-6', async () => {
    // with a weight average and best-weight restoring: the checkpoint keeps the raw weights, the model the best ones
    const cfg: TrainConfig = { ...base, emaDecay: 0.9, bestMetric: 'loss' };
    const full = await collect(fineTune(track(tinyModel()), { train, validation }, cfg));
    const store = new MemoryStore();
    const first = await collect(
      fineTune(track(tinyModel()), { train, validation }, { ...cfg, stopAfter: { epochs: 1 } }, { store, runId: 't' }),
    );
    expect(errorOf(first)).toBeUndefined();
    const fullSteps = of(full, 'step');
    const perEpoch = fullSteps.length / 3;
    // the progress counts to the stop, the learning rate follows the three-epoch schedule
    expect(of(first, 'start')[0]).toMatchObject({ epochs: 1, totalSteps: perEpoch });
    expect(of(first, 'step').map((e) => e.lr)).toEqual(fullSteps.slice(0, perEpoch).map((e) => e.lr));
    expect(of(first, 'done')[0]).toMatchObject({ reason: 'max-steps', step: perEpoch });
    expect(of(first, 'eval')).toHaveLength(1);
    const metas = await store.listCheckpoints('t');
    const last = metas.sort((a, b) => b.step - a.step || b.createdAt - a.createdAt)[0];
    const ckpt = (await store.loadCheckpoint('t', last.id))!;
    expect(ckpt.step).toBe(perEpoch);
    // the next rung: the same run, told to stop at 2 epochs, then at the full length
    const t2 = performance.now();
    const second = await collect(
      fineTune(
        track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 99)),
        { train, validation },
        { ...cfg, stopAfter: { epochs: 2 } },
        {
          store,
          runId: 't',
          resumeFrom: ckpt,
        },
      ),
    );
    const piece2 = (performance.now() - t2) / 1000;
    const ckpt2 = (await store.loadCheckpoint('t', (await store.listCheckpoints('t')).sort((a, b) => b.step - a.step)[0].id))!;
    // the training time a checkpoint records counts the pieces before it: the second adds its own piece's time
    const [s1, s2] = [ckpt.metricsSoFar.trainSeconds!, ckpt2.metricsSoFar.trainSeconds!];
    expect(s1).toBeGreaterThan(0);
    expect(s2 - s1).toBeGreaterThan(0.25 * piece2);
    expect(s2 - s1).toBeLessThanOrEqual(piece2);
    const third = await collect(
      fineTune(track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 98)), { train, validation }, cfg, {
        store,
        runId: 't',
        resumeFrom: ckpt2,
      }),
    );
    const pieces = [...stepLosses(first), ...stepLosses(second), ...stepLosses(third)];
    const whole = stepLosses(full);
    expect(pieces).toHaveLength(whole.length);
    pieces.forEach((l, i) => expect(Math.abs(l - whole[i])).toBeLessThan(1e-6));
    const evals = [...of(first, 'eval'), ...of(second, 'eval'), ...of(third, 'eval')].map((e) => e.result.loss);
    of(full, 'eval').forEach((e, i) => expect(Math.abs(e.result.loss - evals[i])).toBeLessThan(1e-6));
    // the continued run's best is over all of its evaluations, the ones before the resume included
    expect(of(third, 'done')[0].best).toEqual(of(full, 'done')[0].best);
  });

  it('refuses a stop that is not a whole number of epochs or steps', async () => {
    const events = await collect(fineTune(track(tinyModel()), { train, validation }, { ...base, stopAfter: { epochs: 0.5 } }));
    expect(errorOf(events)).toMatch(/stop after a whole number ≥ 1 of epochs or steps/);
  });
});

describe('fineTune: memory', () => {
  it('tf.memory().numTensors stays flat across 200 steps with per-epoch evaluation', async () => {
    const model = track(tinyModel());
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const events = await collect(
      fineTune(
        model,
        { train: train.slice(0, 16), validation: validation.slice(0, 8) },
        { epochs: 50, batchSize: 4, learningRate: 1e-3, seed: 1 },
      ),
      (e) => {
        if (e.type === 'step' && (e.step === 10 || e.step === 100 || e.step === 200)) counts.push(tf.memory().numTensors);
      },
    );
    expect(errorOf(events)).toBeUndefined();
    expect(of(events, 'step')).toHaveLength(200);
    expect(counts).toHaveLength(3);
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
    expect(tf.memory().numTensors).toBe(before); // optimizer moments released at the end
  });
});

describe('fineTune: guards and live controls', () => {
  it('a NaN loss stops the run with a clear message, leaves the last good weights, and names the last checkpoint', async () => {
    const model = track(tinyModel());
    let poison = false;
    const poisoned: TaskModel = Object.create(model);
    poisoned.forward = (b, o) => {
      const y = model.forward(b, o);
      return poison ? y.mul(NaN) : y;
    };
    const store = new MemoryStore();
    const events = await collect(
      fineTune(poisoned, { train, validation }, { ...base, checkpointEverySteps: 3 }, { store, runId: 'nan' }),
      (e) => {
        if (e.type === 'step' && e.step === 3) poison = true;
      },
    );
    const err = of(events, 'error')[0];
    expect(err.error.message).toMatch(/step 4: the loss became NaN/);
    expect(err.error.kind).toBe('user');
    expect(err.lastGoodCheckpointId).toBe('step-0000003');
    expect(of(events, 'step')).toHaveLength(3);
    const ckpt = (await store.loadCheckpoint('nan', 'step-0000003'))!;
    for (const [name, v] of model.variables()) expect(Array.from(v.dataSync())).toEqual(Array.from(ckpt.weights[name].data));
  });

  it('stops cleanly on abort: no step after the abort, a done event with reason "aborted"', async () => {
    const ctl = new AbortController();
    const events = await collect(fineTune(track(tinyModel()), { train, validation }, base, { signal: ctl.signal }), (e) => {
      if (e.type === 'step' && e.step === 2) ctl.abort();
    });
    expect(of(events, 'step')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'aborted', step: 2 });
  });

  it('pauses between steps, resumes, and applies a new learning-rate multiplier from the next step', async () => {
    const controls = new RunControls();
    const cfg: TrainConfig = { ...base, schedule: 'constant', warmupSteps: 0, epochs: 1 };
    const events = await collect(fineTune(track(tinyModel()), { train, validation }, cfg, { controls }), (e) => {
      if (e.type === 'step' && e.step === 2) {
        controls.pause();
        setTimeout(() => {
          controls.setLrMultiplier(0.5);
          controls.resume();
        }, 30);
      }
    });
    const types = events.map((e) => (e.type === 'step' ? `step${e.step}` : e.type === 'state' ? e.state : e.type));
    expect(types.slice(types.indexOf('step2'), types.indexOf('step2') + 4)).toEqual(['step2', 'paused', 'running', 'step3']);
    const lrs = of(events, 'step').map((e) => e.lr);
    expect(lrs).toEqual([5e-3, 5e-3, 2.5e-3, 2.5e-3]);
  });

  it('"extend by N epochs" while running trains the extra epochs', async () => {
    const controls = new RunControls();
    const events = await collect(fineTune(track(tinyModel()), { train, validation }, { ...base, epochs: 1 }, { controls }), (e) => {
      if (e.type === 'step' && e.step === 1) controls.extendEpochs(1);
    });
    expect(of(events, 'step')).toHaveLength(8);
    expect(of(events, 'eval').map((e) => e.step)).toEqual([4, 8]);
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'completed', epoch: 2 });
  });

  it("headLrMultiplier scales only the head's step: after one step the encoder matches a run without it", async () => {
    const one = { ...base, maxSteps: 1, warmupSteps: 0, schedule: 'constant' as const, maxGradNorm: 0, weightDecay: 0 };
    const start = new Map([...track(tinyModel()).variables()].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));
    const after = async (cfg: TrainConfig) => {
      const m = track(tinyModel());
      expect(errorOf(await collect(fineTune(m, { train, validation: [] }, cfg)))).toBeUndefined();
      return new Map([...m.variables()].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));
    };
    const plain = await after(one);
    const scaled = await after({ ...one, headLrMultiplier: 10 });
    const moved = (w: Map<string, Float32Array>, n: string) => Math.max(...w.get(n)!.map((x, i) => Math.abs(x - start.get(n)![i])));
    const q = 'encoder.layer.0.attention.self.query.weight';
    expect(moved(plain, q)).toBeGreaterThan(0);
    expect(scaled.get(q)).toEqual(plain.get(q));
    // Adam's first step moves each weight by about lr (|m̂ / √v̂| = 1): 10 × lr for the head
    expect(moved(plain, 'classifier.weight')).toBeCloseTo(base.learningRate, 4);
    expect(moved(scaled, 'classifier.weight')).toBeCloseTo(10 * base.learningRate, 3);
    const err = of(await collect(fineTune(track(tinyModel()), { train, validation }, { ...base, headLrMultiplier: 0 })), 'error')[0];
    expect(err.error.where?.option).toBe('headLrMultiplier');
  });

  it('a bad option ends the run with an error event naming the option', async () => {
    const events = await collect(fineTune(track(tinyModel()), { train, validation }, { ...base, labelSmoothing: 1.5 }));
    expect(events).toHaveLength(1);
    const err = of(events, 'error')[0];
    expect(err.error.where?.option).toBe('labelSmoothing');
  });

  it('class weights change the loss; a weight list of the wrong length names the option', async () => {
    const cfg = { ...base, epochs: 1 };
    const plain = stepLosses(await collect(fineTune(track(tinyModel()), { train, validation }, cfg)));
    const weighted = await collect(
      fineTune(track(tinyModel()), { train, validation }, { ...cfg, classWeights: [1, 4], labelSmoothing: 0.1 }),
    );
    expect(errorOf(weighted)).toBeUndefined();
    expect(stepLosses(weighted)[0]).not.toBeCloseTo(plain[0], 4);
    const bad = await collect(fineTune(track(tinyModel()), { train, validation }, { ...cfg, classWeights: [1, 2, 3] }));
    expect(of(bad, 'error')[0].error.where?.option).toBe('classWeights');
  });

  it("a label id outside the model's labels is a UserError naming the example", async () => {
    const events = await collect(fineTune(track(tinyModel()), { train: [...train, { ids: [1, 7, 2], label: 5 }], validation }, base));
    const err = of(events, 'error')[0];
    expect(err.error.where).toMatchObject({ row: 33, column: 'label' });
    expect(err.error.message).toMatch(/^train example 33: label id 5 is outside 0..1/);
  });
});

describe('fineTune: evaluation, early stopping, best checkpoint', () => {
  it('stops after `patience` evaluations without improvement and restores the best weights', async () => {
    const store = new MemoryStore();
    const model = track(tinyModel());
    // a min-delta nobody can beat: the first evaluation stays the best
    const events = await collect(
      fineTune(
        model,
        { train, validation },
        { ...base, epochs: 10, earlyStopping: { metric: 'loss', patience: 2, minDelta: 100 } },
        { store, runId: 'es' },
      ),
    );
    expect(errorOf(events)).toBeUndefined();
    const evals = of(events, 'eval');
    expect(evals.map((e) => e.step)).toEqual([4, 8, 12]);
    expect(of(events, 'early-stop')[0]).toMatchObject({ metric: 'loss', bestStep: 4, patience: 2 });
    const done = of(events, 'done')[0];
    expect(done).toMatchObject({ reason: 'early-stop', step: 12, restoredBest: true, bestCheckpointId: 'best' });
    expect(done.final!.loss).toBe(evals[0].result.loss);
    const best = (await store.loadCheckpoint('es', 'best'))!;
    expect(best).toMatchObject({ step: 4, best: true });
    for (const [name, v] of model.trainable()) expect(Array.from(v.dataSync())).toEqual(Array.from(best.weights[name].data));
    expect(done.history.map((h) => h.step)).toEqual([4, 8, 12]);
  });

  it('counts the same metric with a lower validation loss as an improvement (a small validation set scores coarsely)', async () => {
    expect(betterEval({ value: 0.9, loss: 0.5 }, 0.9, 0.4, 'max', 0)).toBe(true);
    expect(betterEval({ value: 0.9, loss: 0.5 }, 0.9, 0.5, 'max', 0)).toBe(false);
    expect(betterEval({ value: 0.9, loss: 0.5 }, 0.8, 0.1, 'max', 0)).toBe(false);
    expect(betterEval({ value: 0.9, loss: 0.5 }, 0.95, 0.9, 'max', 0)).toBe(true);
    expect(betterEval({ value: 0.9, loss: 0.5 }, 0.95, 0.9, 'max', 0.1)).toBe(false);
    expect(betterEval({ value: 0.3 }, 0.3, 0.1, 'min', 0)).toBe(false); // a checkpoint from before: no loss to compare
    // the run: 4 validation rows score accuracy in quarters, so evaluations tie while the loss moves
    const events = await collect(
      fineTune(
        track(tinyModel()),
        { train, validation: validation.slice(0, 4) },
        { ...base, epochs: 8, earlyStopping: { metric: 'accuracy', patience: 2 } },
      ),
    );
    const evals = of(events, 'eval').map((e) => ({ step: e.step, acc: e.result.scalars.accuracy, loss: e.result.scalars.loss }));
    let best = evals[0];
    let bad = 0;
    let ties = 0;
    let stopAt: number | undefined;
    for (const e of evals.slice(1)) {
      if (e.acc > best.acc || (e.acc === best.acc && e.loss < best.loss)) {
        if (e.acc === best.acc) ties++;
        best = e;
        bad = 0;
      } else if (++bad >= 2) {
        stopAt = e.step;
        break;
      }
    }
    expect(ties, `a tie broken by the loss happened: ${JSON.stringify(evals)}`).toBeGreaterThan(0);
    const done = of(events, 'done')[0];
    expect(done.best!.step).toBe(best.step);
    expect(done.reason).toBe(stopAt === undefined ? 'completed' : 'early-stop');
    expect(done.step).toBe(stopAt ?? evals.at(-1)!.step);
  });

  it('keeps the best weights in memory when there is no store', async () => {
    const model = track(tinyModel());
    let atBest: Float32Array | null = null;
    const events = await collect(
      fineTune(
        model,
        { train, validation },
        { ...base, epochs: 3, bestMetric: 'loss', earlyStopping: { metric: 'loss', patience: 5, minDelta: 100 } },
      ),
      (e) => {
        if (e.type === 'eval' && e.step === 4) atBest = new Float32Array(model.trainable().get('classifier.weight')!.dataSync());
      },
    );
    const done = of(events, 'done')[0];
    expect(done.restoredBest).toBe(true);
    expect(Array.from(model.trainable().get('classifier.weight')!.dataSync())).toEqual(Array.from(atBest!));
  });

  it('eval events carry every metric, also every N steps', async () => {
    const events = await collect(fineTune(track(tinyModel()), { train, validation }, { ...base, epochs: 1, evalEverySteps: 2 }));
    const evals = of(events, 'eval');
    expect(evals.map((e) => e.step)).toEqual([2, 4]);
    const r = evals[0].result;
    for (const k of ['loss', 'accuracy', 'macroF1', 'microF1', 'weightedF1']) expect(r.scalars[k]).toBeTypeOf('number');
    expect(r.classification!.perClass).toHaveLength(2);
    expect(r.classification!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(validation.length);
  });
});
