// The tables of a model card, from plain run data: the headline metrics of an evaluation under Hub metric ids
// (https://hf.co/metrics), and the run's settings as a hyperparameter table.
import type { EvaluationReport } from '../protocol';
import { contrastiveRoundsOf, headFirstEpochsOf, type RunConfig } from '../run/config';
import { mdCell } from './card-text';

export interface CardMetric {
  type: string;
  name: string;
  value: number;
  /** not a Hub metric id (loss, RMSE, Hamming loss): shown in the text, left out of the front matter */
  textOnly?: boolean;
}

/** The headline metrics of an evaluation, with Hub metric ids (https://hf.co/metrics) as types. */
export function cardMetrics(e: EvaluationReport | undefined): CardMetric[] {
  if (!e) return [];
  return metricsOf(e).filter((m) => Number.isFinite(m.value)); // a NaN (e.g. Pearson of a constant) is no result
}

function metricsOf(e: EvaluationReport): CardMetric[] {
  switch (e.task) {
    case 'classification':
      return [
        { type: 'accuracy', name: 'Accuracy', value: e.accuracy },
        { type: 'f1', name: 'Macro F1', value: e.macroF1 },
        { type: 'f1', name: 'Micro F1', value: e.microF1 },
        { type: 'f1', name: 'Weighted F1', value: e.weightedF1 },
        { type: 'loss', name: 'Loss', value: e.loss, textOnly: true },
      ];
    case 'multilabel':
      return [
        { type: 'f1', name: 'Micro F1', value: e.microF1 },
        { type: 'f1', name: 'Macro F1', value: e.macroF1 },
        { type: 'precision', name: 'Micro precision', value: e.microPrecision },
        { type: 'recall', name: 'Micro recall', value: e.microRecall },
        { type: 'accuracy', name: 'Subset accuracy', value: e.subsetAccuracy },
        { type: 'hamming_loss', name: 'Hamming loss', value: e.hammingLoss, textOnly: true },
        { type: 'loss', name: 'Loss', value: e.loss, textOnly: true },
      ];
    case 'token-classification':
      // entity level (exact span and type, as seqeval): what NER models on the Hub report as f1/precision/recall
      return [
        { type: 'f1', name: 'Entity F1 (micro)', value: e.microF1 },
        { type: 'precision', name: 'Entity precision (micro)', value: e.microPrecision },
        { type: 'recall', name: 'Entity recall (micro)', value: e.microRecall },
        { type: 'f1', name: 'Entity F1 (macro over types)', value: e.macroF1 },
        { type: 'accuracy', name: 'Token accuracy', value: e.tokenAccuracy },
        { type: 'loss', name: 'Loss', value: e.loss, textOnly: true },
      ];
    case 'regression':
      return [
        { type: 'mse', name: 'MSE', value: e.mse },
        { type: 'rmse', name: 'RMSE', value: e.rmse, textOnly: true },
        { type: 'mae', name: 'MAE', value: e.mae },
        { type: 'r_squared', name: 'R²', value: e.r2 },
        { type: 'pearsonr', name: 'Pearson r', value: e.pearson },
      ];
  }
}

/** How many examples the evaluation scored (single-label reports carry it as the confusion matrix's total; NER
 *  reports count sentences). */
export function evaluatedCount(e: EvaluationReport): number {
  return e.task === 'classification' ? e.confusion.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0) : e.count;
}

/** A number in the card's text: integers as they are, others to 4 decimals or 3 digits when tiny (the front matter
 *  has the exact value). */
export const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4));

/** The run's settings as [setting, value] rows for a Markdown table; mode-specific ones only in their mode. */
export function hyperparameters(c: RunConfig): string[][] {
  const rows: [string, unknown][] = [
    ['mode', c.mode],
    ...(c.mode === 'freeze' ? [['freezeLayers', c.freezeLayers] as [string, unknown]] : []),
    ...(c.mode === 'lora'
      ? ([
          ['loraRank', c.loraRank],
          ['loraAlpha', c.loraAlpha],
          ['loraDropout', c.loraDropout],
          ['loraTargets', c.loraTargets],
        ] as [string, unknown][])
      : []),
    ['epochs', c.epochs],
    ['maxSteps', c.maxSteps],
    ['batchSize', c.batchSize],
    ['gradAccumulation', c.gradAccumulation],
    ['optimizer', c.optimizer ?? 'adamw'],
    ['learningRate', c.learningRate],
    ['headLrMultiplier', c.headLrMultiplier],
    ...(headFirstEpochsOf(c) > 0 ? [['headFirstEpochs', c.headFirstEpochs] as [string, unknown]] : []),
    ...(contrastiveRoundsOf(c) > 0 ? [['contrastiveRounds', c.contrastiveRounds] as [string, unknown]] : []),
    ['schedule', c.schedule],
    [c.warmupSteps !== undefined ? 'warmupSteps' : 'warmupRatio', c.warmupSteps ?? c.warmupRatio],
    ['weightDecay', c.weightDecay],
    ['gradClip', c.gradClip],
    ['dropout', c.dropout],
    ['labelSmoothing', c.labelSmoothing],
    ['classWeights', c.classWeights],
    ['emaDecay', c.emaDecay],
    ['maxLength', c.maxLength],
    ['evalEverySteps', c.evalEverySteps || 'once per epoch'],
    ['earlyStoppingPatience', c.earlyStoppingPatience || 'off'],
    ['metric', c.metric],
    ['multilabelThreshold', c.multilabelThreshold],
    ['seed', c.seed],
    ['recipe', c.recipe?.title],
  ];
  return rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [`\`${k}\``, mdCell(Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v))]);
}
