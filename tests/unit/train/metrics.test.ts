import { describe, expect, it } from 'vitest';
import { classificationReport, meanStd, multilabelReport, regressionReport, topConfusions } from '@/lib/train/metrics';
import { evalFromOutputs } from '@/lib/train/evaluate';

describe('classification metrics (hand-computed)', () => {
  // true: a a b b b c c ; pred: a b b b b c a
  const yTrue = [0, 0, 1, 1, 1, 2, 2];
  const yPred = [0, 1, 1, 1, 1, 2, 0];
  const r = classificationReport(yTrue, yPred, ['a', 'b', 'c']);
  it('confusion matrix rows are true labels, columns predictions', () => {
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 3, 0],
      [1, 0, 1],
    ]);
  });
  it('per-class precision / recall / F1 / support', () => {
    // a: tp1 pred2 sup2 -> .5 .5 .5 ; b: tp3 pred4 sup3 -> .75 1 6/7 ; c: tp1 pred1 sup2 -> 1 .5 2/3
    expect(r.perClass.map((c) => c.support)).toEqual([2, 3, 2]);
    expect(r.perClass[0]).toMatchObject({ label: 'a', precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(r.perClass[1].precision).toBeCloseTo(0.75, 12);
    expect(r.perClass[1].recall).toBe(1);
    expect(r.perClass[1].f1).toBeCloseTo(6 / 7, 12);
    expect(r.perClass[2].f1).toBeCloseTo(2 / 3, 12);
  });
  it('accuracy, macro, micro and weighted F1', () => {
    expect(r.accuracy).toBeCloseTo(5 / 7, 12);
    expect(r.microF1).toBeCloseTo(5 / 7, 12);
    expect(r.macroF1).toBeCloseTo((0.5 + 6 / 7 + 2 / 3) / 3, 12);
    expect(r.weightedF1).toBeCloseTo((2 * 0.5 + 3 * (6 / 7) + 2 * (2 / 3)) / 7, 12);
  });
  it('a class never predicted and never present scores 0 and is left out of the macro averages (scikit-learn, labels=None)', () => {
    // f1_score([0, 0], [0, 0], average='macro') is 1.0: the average runs over unique_labels(y_true, y_pred)
    const z = classificationReport([0, 0], [0, 0], ['a', 'b']);
    expect(z.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect([z.macroF1, z.macroPrecision, z.macroRecall]).toEqual([1, 1, 1]);
    // predicted but never present: in the average, with precision 0 (zero_division=0 for its recall)
    const p = classificationReport([0, 0, 0, 0], [0, 0, 0, 1], ['a', 'b', 'c']);
    expect(p.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(p.macroF1).toBeCloseTo((6 / 7 + 0) / 2, 12);
    expect(p.macroRecall).toBeCloseTo((3 / 4 + 0) / 2, 12);
  });
});

describe('multi-label metrics (hand-computed)', () => {
  const yTrue = [
    [1, 0],
    [1, 1],
    [0, 1],
    [0, 0],
  ];
  const yPred = [
    [1, 1],
    [1, 0],
    [0, 1],
    [0, 1],
  ];
  const r = multilabelReport(yTrue, yPred, ['x', 'y']);
  it('per label: x perfect; y tp1 fp2 fn1', () => {
    expect(r.perLabel[0]).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 2 });
    expect(r.perLabel[1].precision).toBeCloseTo(1 / 3, 12);
    expect(r.perLabel[1].recall).toBe(0.5);
    expect(r.perLabel[1].f1).toBeCloseTo(0.4, 12);
  });
  it('micro pools counts (tp3 fp2 fn1), macro averages labels', () => {
    expect(r.microPrecision).toBeCloseTo(0.6, 12);
    expect(r.microRecall).toBeCloseTo(0.75, 12);
    expect(r.microF1).toBeCloseTo(2 / 3, 12);
    expect(r.macroF1).toBeCloseTo(0.7, 12);
    expect(r.subsetAccuracy).toBe(0.25);
    expect(r.hammingLoss).toBe(3 / 8);
  });
});

describe('regression metrics (hand-computed)', () => {
  it('MSE, MAE, R², Pearson', () => {
    const r = regressionReport([1, 2, 3, 4], [1, 3, 2, 5]);
    expect(r.mse).toBe(0.75);
    expect(r.mae).toBe(0.75);
    expect(r.r2).toBeCloseTo(0.4, 12);
    expect(r.pearson).toBeCloseTo(5.5 / Math.sqrt(5 * 8.75), 12);
  });
  it('R² is negative for a fit worse than the mean', () => {
    expect(regressionReport([1, 2, 3], [3, 2, 1]).r2).toBeCloseTo(-3, 12);
  });
});

describe('cross-validation summary', () => {
  it('mean and sample standard deviation per metric', () => {
    const s = meanStd([
      { acc: 1, f1: 0.5 },
      { acc: 3, f1: 0.5 },
    ]);
    expect(s.mean).toEqual({ acc: 2, f1: 0.5 });
    expect(s.std.acc).toBeCloseTo(Math.SQRT2, 12);
    expect(s.std.f1).toBe(0);
  });
});

describe('evaluation from logits', () => {
  it('classification loss is the mean negative log-softmax of the true class', () => {
    const res = evalFromOutputs(
      'classification',
      [
        [1, 0],
        [1, 0],
      ],
      [
        { ids: [1], label: 0 },
        { ids: [1], label: 1 },
      ],
      ['a', 'b'],
    );
    expect(res.loss).toBeCloseTo((Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(1))) / 2, 10);
    expect(res.scalars.accuracy).toBe(0.5);
  });
  it('token classification skips ignored tokens (-100)', () => {
    const res = evalFromOutputs(
      'token-classification',
      [
        [
          [1, 0],
          [0, 5],
          [0, 3],
        ],
      ],
      [{ ids: [1, 2, 3], label: 0, tags: [0, -100, 1] }],
      ['O', 'B'],
    );
    expect(res.classification!.confusion).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(res.loss).toBeCloseTo((Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(-3))) / 2, 10);
  });
  it('multi-label thresholds sigmoid(logit) at 0.5 and reports BCE', () => {
    const res = evalFromOutputs('multilabel', [[2, -2]], [{ ids: [1], label: [0] }], ['x', 'y']);
    expect(res.scalars.subsetAccuracy).toBe(1);
    expect(res.loss).toBeCloseTo(Math.log1p(Math.exp(-2)), 10);
  });
});

describe('the commonest confusions', () => {
  it('lists off-diagonal cells by count, then share of the true label, then label order; at most k', () => {
    const labels = ['a', 'b', 'c', 'd'];
    const m = [
      [5, 2, 0, 0], // a: 2 of 7 predicted b
      [1, 9, 0, 2], // b: 1 of 12 as a, 2 of 12 as d
      [0, 0, 0, 1], // c: 1 of 1 as d
      [0, 0, 0, 4],
    ];
    expect(topConfusions(labels, m)).toEqual([
      { trueLabel: 'a', predicted: 'b', count: 2, share: 2 / 7 },
      { trueLabel: 'b', predicted: 'd', count: 2, share: 2 / 12 },
      { trueLabel: 'c', predicted: 'd', count: 1, share: 1 },
      { trueLabel: 'b', predicted: 'a', count: 1, share: 1 / 12 },
    ]);
    expect(topConfusions(labels, m, 2).map((c) => c.trueLabel + c.predicted)).toEqual(['ab', 'bd']);
    // a perfect model has none
    expect(
      topConfusions(
        ['x', 'y'],
        [
          [3, 0],
          [0, 2],
        ],
      ),
    ).toEqual([]);
  });
});
