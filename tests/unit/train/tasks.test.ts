import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '@/tests/helpers/tf';
import { fineTune } from '@/lib/train/fine-tune';
import type { TrainEvent } from '@/lib/train/events';
import { encodeExamples, IGNORE_INDEX, type EncodedExample } from '@/lib/train/encode';
import { predict } from '@/lib/train/predict';
import type { TaskModel, TensorBatch } from '@/lib/models/types';
import { collect, encodedSentiment, errorOf, of, sentimentExamples, stepLosses, tinyModel, wordTokenizer } from './helpers';
import { bestConstantMicroF1, lastEpochMeanLoss, microF1 } from './multilabel-baselines';

beforeAll(useWasm);
const models: TaskModel[] = [];
const track = (m: TaskModel) => (models.push(m), m);
afterEach(() => models.splice(0).forEach((m) => m.dispose()));

const done = (events: TrainEvent[]) => events.find((e) => e.type === 'done') as Extract<TrainEvent, { type: 'done' }>;

describe('head-only mode', () => {
  it('computes encoder features once per example, trains only the head, and leaves the encoder untouched', async () => {
    const model = track(tinyModel('classification', ['neg', 'pos'], { kind: 'head' }));
    let featureRows = 0;
    const counting: TaskModel = Object.create(model);
    counting.features = (b: TensorBatch) => {
      featureRows += b.inputIds.shape[0];
      return model.features(b);
    };
    const encBefore = new Map([...model.encoder.params].map(([n, v]) => [n, Array.from(v.dataSync())]));
    const headBefore = Array.from(model.trainable().get('classifier.weight')!.dataSync());
    const train = encodedSentiment(16, 1),
      validation = encodedSentiment(8, 2);
    const events = await collect(
      fineTune(counting, { train, validation }, { epochs: 30, batchSize: 8, learningRate: 5e-2, schedule: 'constant' }),
    );
    expect(errorOf(events)).toBeUndefined();
    expect(featureRows).toBe(train.length + validation.length); // 60 steps + 30 evaluations, one feature pass
    const start = events[0] as Extract<TrainEvent, { type: 'start' }>;
    expect(start.featureCacheSec).toBeGreaterThanOrEqual(0);
    for (const [n, v] of model.encoder.params) expect(Array.from(v.dataSync())).toEqual(encBefore.get(n));
    expect(Array.from(model.trainable().get('classifier.weight')!.dataSync())).not.toEqual(headBefore);
    const losses = stepLosses(events);
    expect(losses.slice(-4).reduce((a, b) => a + b) / 4).toBeLessThan(losses.slice(0, 4).reduce((a, b) => a + b) / 4);
  });
});

describe('gradient accumulation', () => {
  it('two micro-batches of 4 give the same first step as one batch of 8 (no dropout)', async () => {
    const train = encodedSentiment(16, 4);
    const cfg = { epochs: 1, batchSize: 8, learningRate: 1e-2, bucketWindow: 1, seed: 3 };
    const one = (
      await collect(
        fineTune(track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 3, false)), { train, validation: [] }, cfg),
      )
    ).find((e) => e.type === 'step')!;
    const two = (
      await collect(
        fineTune(
          track(tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 3, false)),
          { train, validation: [] },
          { ...cfg, batchSize: 4, gradAccumSteps: 2 },
        ),
      )
    ).find((e) => e.type === 'step')!;
    if (one.type !== 'step' || two.type !== 'step') throw new Error('no step');
    expect(Math.abs(one.loss - two.loss)).toBeLessThan(1e-5);
    expect(Math.abs(one.gradNorm - two.gradNorm)).toBeLessThan(1e-5);
  });
});

describe('other tasks end to end', () => {
  const texts = sentimentExamples(24, 5);
  const tok = wordTokenizer();

  it('multi-label: sigmoid BCE learns the training rows (loss falls, micro-F1 beats any constant guess) and reports F1s', async () => {
    const labels = ['pos', 'long', 'short'];
    const ex = encodeExamples(
      tok,
      texts.map((t) => ({
        text: t.text,
        label: [t.label ? 'pos' : null, t.text.split(' ').length > 8 ? 'long' : 'short'].filter((x): x is string => !!x),
      })),
      labels,
      64,
      'multilabel',
    );
    expect(ex[0].label).toBeInstanceOf(Array);
    const train = ex.slice(0, 16);
    const model = track(tinyModel('multilabel', labels));
    // restoreBest off: the best validation-loss checkpoint of 8 rows can be an early one; the learning asserted is the run's
    const cfg = { epochs: 30, batchSize: 8, learningRate: 5e-3, schedule: 'constant' as const, seed: 5, restoreBest: false };
    const events = await collect(fineTune(model, { train, validation: ex.slice(16) }, cfg));
    expect(errorOf(events)).toBeUndefined();
    const final = done(events).final!;
    expect(final.multilabel!.perLabel.map((l) => l.label)).toEqual(labels);
    for (const k of ['microF1', 'macroF1', 'subsetAccuracy', 'hammingLoss']) expect(final.scalars[k]).toBeTypeOf('number');
    // learning, not only numbers: the last epoch's mean loss is well under the first step's ...
    const steps = of(events, 'step');
    const first = steps[0].loss,
      last = lastEpochMeanLoss(steps);
    expect(last, `first step loss ${first.toFixed(4)}, last epoch mean ${last.toFixed(4)}`).toBeLessThan(0.6 * first);
    // ... and on the rows it was trained on, micro-F1 beats predicting nothing (0) and the best input-blind label set
    const yTrue = train.map((e) => labels.map((_, c) => ((e.label as number[]).includes(c) ? 1 : 0)));
    const yPred = ((await predict(model, train)) as number[][]).map((p) => p.map((v) => (v >= 0.5 ? 1 : 0)));
    const f1 = microF1(yTrue, yPred),
      chance = bestConstantMicroF1(yTrue);
    expect(f1, `train micro-F1 ${f1.toFixed(3)} vs best constant guess ${chance.toFixed(3)}`).toBeGreaterThan(chance + 0.1);
  });

  it('regression: MSE trains toward the targets and reports MSE, MAE, R², Pearson', async () => {
    const ex = encodeExamples(
      tok,
      texts.map((t) => ({ text: t.text, label: t.label * 2 - 1 })),
      [],
      64,
      'regression',
    );
    const events = await collect(
      fineTune(
        track(tinyModel('regression')),
        { train: ex, validation: ex.slice(0, 8) },
        { epochs: 15, batchSize: 8, learningRate: 1e-2, schedule: 'constant' },
      ),
    );
    expect(errorOf(events)).toBeUndefined();
    const losses = stepLosses(events);
    expect(losses.slice(-3).reduce((a, b) => a + b)).toBeLessThan(losses.slice(0, 3).reduce((a, b) => a + b));
    for (const k of ['mse', 'mae', 'r2', 'pearson']) expect(done(events).final!.scalars[k]).toBeTypeOf('number');
  });

  it('token classification: tags on first word pieces only, specials ignored, per-token metrics', async () => {
    const labels = ['O', 'POS'];
    const ex = encodeExamples(
      tok,
      texts.map((t) => {
        const words = t.text.split(' ');
        return {
          text: t.text,
          label: '',
          words,
          tags: words.map((w) => (['good', 'great', 'fine', 'lovely', 'superb'].includes(w) ? 'POS' : 'O')),
        };
      }),
      labels,
      64,
      'token-classification',
    );
    expect(ex[0].tags![0]).toBe(IGNORE_INDEX);
    expect(ex[0].tags!.at(-1)).toBe(IGNORE_INDEX);
    const events = await collect(
      fineTune(
        track(tinyModel('token-classification', labels)),
        { train: ex.slice(0, 16), validation: ex.slice(16) },
        { epochs: 2, batchSize: 8, learningRate: 1e-3 },
      ),
    );
    expect(errorOf(events)).toBeUndefined();
    const final = done(events).final!;
    const tokens = ex.slice(16).reduce((a, e) => a + e.tags!.filter((t) => t >= 0).length, 0);
    expect(final.classification!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(tokens);
  });
});

describe('head-only token classification', () => {
  it('caches per-token features (trimmed to each example) and pads them per batch', async () => {
    const tok = wordTokenizer();
    const labels = ['O', 'POS'];
    const ex = encodeExamples(
      tok,
      sentimentExamples(16, 9).map((t) => {
        const words = t.text.split(' ');
        return {
          text: t.text,
          label: '',
          words,
          tags: words.map((w) => (['good', 'great', 'fine', 'lovely', 'superb'].includes(w) ? 'POS' : 'O')),
        };
      }),
      labels,
      64,
      'token-classification',
    );
    const model = track(tinyModel('token-classification', labels, { kind: 'head' }));
    const events = await collect(
      fineTune(model, { train: ex.slice(0, 12), validation: ex.slice(12) }, { epochs: 3, batchSize: 4, learningRate: 1e-2 }),
    );
    expect(errorOf(events)).toBeUndefined();
    // evaluating on cached features gives the same loss as the live model on the same weights
    const final = done(events).final!;
    const probs = (await predict(model, ex.slice(12))) as number[][][];
    let nll = 0,
      n = 0;
    ex.slice(12).forEach((e, i) =>
      e.tags!.forEach((t, j) => {
        if (t >= 0) {
          nll -= Math.log(probs[i][j][t]);
          n++;
        }
      }),
    );
    expect(final.loss).toBeCloseTo(nll / n, 4);
  });
});

describe('encodeExamples', () => {
  it('maps label names to ids and rejects an unknown label with its row', () => {
    const tok = wordTokenizer();
    const ex = encodeExamples(
      tok,
      [
        { text: 'a good film', label: 'pos' },
        { text: 'bad', label: 'neg' },
      ],
      ['neg', 'pos'],
      64,
    );
    expect(ex.map((e) => e.label)).toEqual([1, 0]);
    expect(ex[0].ids).toEqual(tok.encode('a good film').ids);
    expect(() =>
      encodeExamples(
        tok,
        [
          { text: 'x', label: 'pos' },
          { text: 'y', label: 'meh' },
        ],
        ['neg', 'pos'],
        64,
      ),
    ).toThrow(/label "meh"/);
    try {
      encodeExamples(
        tok,
        [
          { text: 'x', label: 'pos' },
          { text: 'y', label: 'meh' },
        ],
        ['neg', 'pos'],
        64,
      );
    } catch (e) {
      expect((e as { where: { row: number } }).where.row).toBe(2);
    }
  });
});

describe('predict', () => {
  it("returns class probabilities in input order that match the model's own forward", async () => {
    const model = track(tinyModel());
    const ex: EncodedExample[] = encodedSentiment(10, 8);
    const probs = (await predict(model, ex, { batchSize: 4 })) as number[][];
    expect(probs).toHaveLength(10);
    for (const p of probs) expect(p.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    // one example alone gives the same probabilities as inside a padded, length-sorted batch
    const alone = (await predict(model, [ex[7]])) as number[][];
    alone[0].forEach((x, i) => expect(x).toBeCloseTo(probs[7][i], 5));
    // padding is masked out: GPU-style padding (multiples of 16) and none give the same probabilities
    const padded = (await predict(model, ex, { batchSize: 4, padMultiple: 16 })) as number[][];
    const exact = (await predict(model, ex, { batchSize: 4, padMultiple: 1 })) as number[][];
    padded.forEach((p, r) => p.forEach((x, i) => expect(x).toBeCloseTo(exact[r][i], 5)));
  });
});
