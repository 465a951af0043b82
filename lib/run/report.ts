// An evaluation's metrics as the report the studio's Evaluate screen, run.json and the model card read: the scalars
// and tables per task (NER: entity level), without the example lists (the studio adds those where it has the examples).
import type { EvaluationReport } from '../protocol';
import type { EvalResult } from '../train/events';

export interface ReportContext {
  runId: string;
  split: 'test' | 'validation';
  labels: string[];
  /** multi-label decision threshold */
  threshold?: number;
}

/** The report of `r`, with empty example lists. */
export function evaluationReportOf(r: EvalResult, x: ReportContext): EvaluationReport {
  const { runId, split } = x;
  if (r.multilabel) {
    const m = r.multilabel;
    return {
      task: 'multilabel',
      runId,
      split,
      labels: x.labels,
      count: r.count,
      threshold: x.threshold ?? 0.5,
      loss: r.loss,
      microPrecision: m.microPrecision,
      microRecall: m.microRecall,
      microF1: m.microF1,
      macroF1: m.macroF1,
      subsetAccuracy: m.subsetAccuracy,
      hammingLoss: m.hammingLoss,
      perLabel: m.perLabel,
      misclassified: [],
    };
  }
  if (r.regression) return { task: 'regression', runId, split, count: r.count, ...r.regression, loss: r.regression.mse, largestErrors: [] };
  // token classification also carries a per-tag report: the entity-level one is what it is judged by
  if (r.ner) {
    const n = r.ner;
    return {
      task: 'token-classification',
      runId,
      split,
      labels: x.labels,
      count: n.sentences,
      words: n.words,
      loss: r.loss,
      microPrecision: n.microPrecision,
      microRecall: n.microRecall,
      microF1: n.microF1,
      macroPrecision: n.macroPrecision,
      macroRecall: n.macroRecall,
      macroF1: n.macroF1,
      weightedF1: n.weightedF1,
      tokenAccuracy: n.tokenAccuracy,
      support: n.support,
      predicted: n.predicted,
      correct: n.correct,
      perType: n.perType,
      confusion: n.confusion,
      wrongSentences: [],
    };
  }
  const c = r.classification;
  if (!c) throw new Error(`an evaluation of a ${r.task} task has no report to show`);
  return {
    task: 'classification',
    runId,
    split,
    labels: x.labels,
    accuracy: c.accuracy,
    macroF1: c.macroF1,
    microF1: c.microF1,
    weightedF1: c.weightedF1,
    loss: r.loss,
    confusion: c.confusion,
    perClass: c.perClass,
    misclassified: [],
  };
}
