// Entity-level NER metrics (lib/train/ner-metrics.ts) against hand-computed cases and seqeval's documented numbers
// (default, non-strict mode: a stray I- tag starts an entity; span and type must both match).
import { describe, expect, it } from 'vitest';
import { presetConfig } from '@/lib/run/config';
import { defaultMetric, trainConfigOf } from '@/lib/run/engine-config';
import { metricMode } from '@/lib/train/config';
import { entitiesOf, nerReport, type NerReport } from '@/lib/train/ner-metrics';

const spans = (tags: string[]) => entitiesOf(tags).map((e) => `${e.type}:${e.start}-${e.end}`);

function finite(r: NerReport) {
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
  for (const t of r.perType) for (const v of [t.precision, t.recall, t.f1]) expect(Number.isFinite(v)).toBe(true);
}

describe('entitiesOf', () => {
  it("reads BIO spans end-exclusive, as seqeval's get_entities does (its docstring example)", () => {
    expect(spans(['B-PER', 'I-PER', 'O', 'B-LOC'])).toEqual(['PER:0-2', 'LOC:3-4']);
  });

  it('starts an entity at a stray I- tag (after O, at the start, or after another type)', () => {
    expect(spans(['O', 'I-PER', 'I-PER', 'O'])).toEqual(['PER:1-3']);
    expect(spans(['I-LOC'])).toEqual(['LOC:0-1']);
    expect(spans(['B-PER', 'I-LOC', 'I-LOC'])).toEqual(['PER:0-1', 'LOC:1-3']);
    expect(spans(['B-PER', 'I-PER', 'I-ORG', 'B-ORG'])).toEqual(['PER:0-2', 'ORG:2-3', 'ORG:3-4']);
  });

  it('keeps adjacent entities of one type apart at each B-, and closes an entity at the sentence end', () => {
    expect(spans(['B-PER', 'B-PER', 'I-PER'])).toEqual(['PER:0-1', 'PER:1-3']);
    expect(spans(['O', 'O', 'B-ORG', 'I-ORG'])).toEqual(['ORG:2-4']);
    expect(spans(['B-MISC'])).toEqual(['MISC:0-1']);
  });

  it('finds nothing in an empty sentence or one of O tags', () => {
    expect(entitiesOf([])).toEqual([]);
    expect(entitiesOf(['O', 'O', 'O'])).toEqual([]);
  });

  it('reads IOBES tags, and bare IO tags ("PER") as inside an entity of that type', () => {
    expect(spans(['S-PER', 'B-LOC', 'E-LOC', 'O', 'S-LOC', 'S-LOC'])).toEqual(['PER:0-1', 'LOC:1-3', 'LOC:4-5', 'LOC:5-6']);
    expect(spans(['PER', 'PER', 'O', 'LOC', 'PER'])).toEqual(['PER:0-2', 'LOC:3-4', 'PER:4-5']);
  });
});

describe('nerReport', () => {
  it("gives seqeval's README numbers (micro F1 0.50, accuracy 0.80, MISC 0 / PER 1)", () => {
    const yTrue = [
      ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    const yPred = [
      ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    const r = nerReport(yTrue, yPred);
    expect(r.microF1).toBeCloseTo(0.5, 10);
    expect(r.microPrecision).toBeCloseTo(0.5, 10);
    expect(r.microRecall).toBeCloseTo(0.5, 10);
    expect(r.macroF1).toBeCloseTo(0.5, 10);
    expect(r.weightedF1).toBeCloseTo(0.5, 10);
    expect(r.tokenAccuracy).toBeCloseTo(0.8, 10);
    expect(r.perType.map((t) => [t.type, t.precision, t.recall, t.f1, t.support])).toEqual([
      ['MISC', 0, 0, 0, 1],
      ['PER', 1, 1, 1, 1],
    ]);
    // the MISC span one word too long: the true entity is missed and the predicted one is spurious
    expect(r.confusion.rows).toEqual(['MISC', 'PER', 'spurious']);
    expect(r.confusion.columns).toEqual(['MISC', 'PER', 'missed']);
    expect(r.confusion.counts).toEqual([
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it('counts a span too short or too long as one false positive and one false negative', () => {
    for (const [t, p] of [
      [
        ['B-PER', 'I-PER', 'O'],
        ['B-PER', 'O', 'O'],
      ],
      [
        ['B-PER', 'O', 'O'],
        ['B-PER', 'I-PER', 'O'],
      ],
    ]) {
      const r = nerReport([t], [p]);
      expect([r.support, r.predicted, r.correct]).toEqual([1, 1, 0]);
      expect([r.microPrecision, r.microRecall, r.microF1]).toEqual([0, 0, 0]);
      expect(r.confusion.counts).toEqual([
        [0, 1],
        [1, 0],
      ]);
    }
  });

  it('counts a right span with the wrong type as a type confusion, neither missed nor spurious', () => {
    const r = nerReport([['B-PER', 'I-PER']], [['B-ORG', 'I-ORG']]);
    expect(r.microF1).toBe(0);
    expect(r.perType.map((t) => [t.type, t.support, t.predicted, t.correct])).toEqual([
      ['ORG', 0, 1, 0],
      ['PER', 1, 0, 0],
    ]);
    expect(r.confusion.counts).toEqual([
      [0, 0, 0], // ORG
      [1, 0, 0], // PER -> ORG
      [0, 0, 0], // spurious
    ]);
  });

  it('scores a mixed case by hand: micro 0.5, macro 1/3, weighted 0.5, token accuracy 5/7', () => {
    const r = nerReport(
      [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-ORG', 'O', 'B-PER'], []],
      [['B-PER', 'I-PER', 'O', 'B-ORG'], ['B-ORG', 'I-ORG', 'B-PER'], []],
    );
    finite(r);
    expect([r.support, r.predicted, r.correct, r.sentences, r.words]).toEqual([4, 4, 2, 3, 7]);
    expect(r.microPrecision).toBeCloseTo(0.5, 10);
    expect(r.microRecall).toBeCloseTo(0.5, 10);
    expect(r.microF1).toBeCloseTo(0.5, 10);
    expect(r.macroPrecision).toBeCloseTo(1 / 3, 10);
    expect(r.macroRecall).toBeCloseTo(1 / 3, 10);
    expect(r.macroF1).toBeCloseTo(1 / 3, 10);
    expect(r.weightedF1).toBeCloseTo(0.5, 10);
    expect(r.tokenAccuracy).toBeCloseTo(5 / 7, 10);
    expect(r.perType.map((t) => [t.type, t.precision, t.recall, t.f1, t.support, t.predicted])).toEqual([
      ['LOC', 0, 0, 0, 1, 0],
      ['ORG', 0, 0, 0, 1, 2],
      ['PER', 1, 1, 1, 2, 2],
    ]);
    expect(r.confusion.counts).toEqual([
      [0, 1, 0, 0], // LOC predicted as ORG on its exact span
      [0, 0, 0, 1], // ORG [0,1) missed (the prediction [0,2) is too long)
      [0, 0, 2, 0],
      [0, 1, 0, 0], // ORG [0,2) spurious
    ]);
  });

  it('matches seqeval default mode on stray I- predictions (IOB2 strict mode would score 0)', () => {
    const r = nerReport([['B-PER', 'I-PER', 'O']], [['I-PER', 'I-PER', 'O']]);
    expect(r.microF1).toBe(1);
    expect(r.tokenAccuracy).toBeCloseTo(2 / 3, 10);
  });

  it('does not merge adjacent entities: two true B-PER against one predicted span score 0', () => {
    const r = nerReport([['B-PER', 'B-PER']], [['B-PER', 'I-PER']]);
    expect([r.support, r.predicted, r.correct, r.microF1]).toEqual([2, 1, 0, 0]);
    expect(r.confusion.counts).toEqual([
      [0, 2],
      [1, 0],
    ]);
  });

  it('ends entities at sentence ends: a B- at the end of one sentence and an I- opening the next are two', () => {
    const t = [
      ['O', 'B-LOC'],
      ['I-LOC', 'O'],
    ];
    const r = nerReport(t, t);
    expect([r.support, r.correct, r.microF1]).toEqual([2, 2, 1]);
  });

  it('defines every score as 0 (never NaN) without entities, empty sentences, or any sentence', () => {
    const none = nerReport([['O', 'O'], []], [['O', 'O'], []]);
    finite(none);
    expect([none.microF1, none.macroF1, none.weightedF1, none.microPrecision, none.microRecall]).toEqual([0, 0, 0, 0, 0]);
    expect(none.tokenAccuracy).toBe(1);
    expect(none.perType).toEqual([]);
    expect(none.confusion).toEqual({ rows: ['spurious'], columns: ['missed'], counts: [[0]] });
    const empty = nerReport([], []);
    finite(empty);
    expect([empty.microF1, empty.tokenAccuracy, empty.words]).toEqual([0, 0, 0]);
    // only predictions: precision 0, recall 0 (no support)
    const spurious = nerReport([['O']], [['B-PER']]);
    finite(spurious);
    expect(spurious.perType[0]).toMatchObject({ type: 'PER', precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
  });

  it('rejects sentences whose tag counts differ', () => {
    expect(() => nerReport([['O']], [['O', 'O']])).toThrow(/sentence 1/);
    expect(() => nerReport([['O']], [])).toThrow(/1 true sentences/);
  });
});

describe('the validation metric of token classification', () => {
  it('is entity micro-F1 by default, higher is better, for the best checkpoint and early stopping alike', () => {
    expect(defaultMetric('token-classification')).toBe('entityF1');
    expect(metricMode('entityF1')).toBe('max');
    const form = { ...presetConfig('quick'), earlyStoppingPatience: 2 };
    const cfg = trainConfigOf(form, { train: 100, validation: 100 }, 'token-classification');
    expect(cfg.bestMetric).toBe('entityF1');
    expect(cfg.earlyStopping?.metric).toBe('entityF1');
    expect(trainConfigOf({ ...form, metric: 'loss' }, { train: 100, validation: 100 }, 'token-classification').bestMetric).toBe('loss');
  });
});
