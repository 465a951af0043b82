// What a multi-label model must beat to have learned anything: the best micro-F1 of any predictor that ignores its
// input (it predicts the same label set for every example: the empty set scores 0, "every label" scores 2P/(P+1)).
// Counted here directly (micro-F1 = 2TP / (2TP + FP + FN)), independently of lib/train/metrics.ts.

/** micro-F1 of 0/1 predictions against 0/1 targets, both [examples][labels]; 0 when there is nothing to score. */
export function microF1(yTrue: number[][], yPred: number[][]): number {
  let tp = 0,
    fp = 0,
    fn = 0;
  yTrue.forEach((row, i) =>
    row.forEach((t, c) => {
      const p = yPred[i][c] > 0;
      if (t > 0 && p) tp++;
      else if (p) fp++;
      else if (t > 0) fn++;
    }),
  );
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** The best micro-F1 over all 2^k constant predictors (each predicts one fixed label set for every example). */
export function bestConstantMicroF1(yTrue: number[][]): number {
  const k = yTrue[0]?.length ?? 0;
  let best = 0;
  for (let mask = 0; mask < 1 << k; mask++) {
    const row = Array.from({ length: k }, (_, c) => (mask >> c) & 1);
    best = Math.max(
      best,
      microF1(
        yTrue,
        yTrue.map(() => row),
      ),
    );
  }
  return best;
}

/** Mean of the step losses of the last epoch, from step events carrying `epoch` and `loss`. */
export function lastEpochMeanLoss(steps: { epoch: number; loss: number }[]): number {
  const last = Math.max(...steps.map((s) => s.epoch));
  const losses = steps.filter((s) => s.epoch === last).map((s) => s.loss);
  return losses.reduce((a, b) => a + b, 0) / losses.length;
}
