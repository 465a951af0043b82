// Evaluation metrics as pure functions over plain arrays. Conventions follow scikit-learn: a ratio with a zero
// denominator counts as 0; macro = unweighted mean over the classes in the truth or the predictions; weighted = mean
// weighted by support; micro = from pooled counts (for single-label classification micro-F1 equals accuracy).

export interface ClassReport {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  microF1: number;
  weightedF1: number;
  perClass: ClassReport[];
  /** confusion[true][predicted] */
  confusion: number[][];
}

export interface MultilabelReport {
  microPrecision: number;
  microRecall: number;
  microF1: number;
  macroF1: number;
  /** every label right for an example */
  subsetAccuracy: number;
  /** fraction of (example, label) decisions that are wrong */
  hammingLoss: number;
  perLabel: ClassReport[];
}

export interface RegressionReport {
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  pearson: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

export function confusionMatrix(yTrue: number[], yPred: number[], numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]] += 1;
  return m;
}

/** One off-diagonal cell of a confusion matrix: rows of `trueLabel` predicted as `predicted`. */
export interface Confusion {
  trueLabel: string;
  predicted: string;
  count: number;
  /** of the rows whose true label is `trueLabel` */
  share: number;
}

/** The `k` commonest mistakes of a confusion matrix (rows: true label, columns: predicted), most rows first, then the
 *  larger share of the true label's rows, then label order: with many labels the whole matrix is mostly zeros and wider
 *  than a screen, and these cells are what a reader looks for in it. */
export function topConfusions(labels: string[], m: number[][], k = 10): Confusion[] {
  const out: (Confusion & { i: number; j: number })[] = [];
  m.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      if (i !== j && count > 0) out.push({ trueLabel: labels[i], predicted: labels[j], count, share: count / total, i, j });
    });
  });
  out.sort((a, b) => b.count - a.count || b.share - a.share || a.i - b.i || a.j - b.j);
  return out.slice(0, k).map(({ i: _i, j: _j, ...c }) => c);
}

export function classificationReport(yTrue: number[], yPred: number[], labels: string[]): ClassificationReport {
  if (yTrue.length !== yPred.length) throw new Error(`classificationReport: ${yTrue.length} labels but ${yPred.length} predictions`);
  const k = labels.length;
  const confusion = confusionMatrix(yTrue, yPred, k);
  const n = yTrue.length;
  let correct = 0;
  const perClass: ClassReport[] = [];
  // macro averages over the classes in the truth or the predictions, as scikit-learn's (labels=None): a class absent
  // from both, such as one of a label's single example that went to training, does not pull it down
  const seen: ClassReport[] = [];
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    correct += tp;
    let predicted = 0;
    let support = 0;
    for (let j = 0; j < k; j++) {
      predicted += confusion[j][c];
      support += confusion[c][j];
    }
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    perClass.push({ label: labels[c], precision, recall, f1: f1Of(precision, recall), support });
    if (support > 0 || predicted > 0) seen.push(perClass[c]);
  }
  const mean = (xs: number[]) =>
    ratio(
      xs.reduce((a, b) => a + b, 0),
      xs.length,
    );
  const accuracy = ratio(correct, n);
  return {
    accuracy,
    macroPrecision: mean(seen.map((c) => c.precision)),
    macroRecall: mean(seen.map((c) => c.recall)),
    macroF1: mean(seen.map((c) => c.f1)),
    microF1: accuracy,
    weightedF1: ratio(
      perClass.reduce((a, c) => a + c.f1 * c.support, 0),
      n,
    ),
    perClass,
    confusion,
  };
}

/** yTrue / yPred: one 0/1 row per example, one column per label. */
export function multilabelReport(yTrue: number[][], yPred: number[][], labels: string[]): MultilabelReport {
  const k = labels.length;
  const tp = new Array<number>(k).fill(0),
    fp = new Array<number>(k).fill(0),
    fn = new Array<number>(k).fill(0);
  let exact = 0;
  let wrong = 0;
  for (let i = 0; i < yTrue.length; i++) {
    let allRight = true;
    for (let c = 0; c < k; c++) {
      const t = yTrue[i][c] > 0,
        p = yPred[i][c] > 0;
      if (t && p) tp[c]++;
      else if (p) fp[c]++;
      else if (t) fn[c]++;
      if (t !== p) {
        allRight = false;
        wrong++;
      }
    }
    if (allRight) exact++;
  }
  const perLabel: ClassReport[] = labels.map((label, c) => {
    const precision = ratio(tp[c], tp[c] + fp[c]);
    const recall = ratio(tp[c], tp[c] + fn[c]);
    return { label, precision, recall, f1: f1Of(precision, recall), support: tp[c] + fn[c] };
  });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const microPrecision = ratio(sum(tp), sum(tp) + sum(fp));
  const microRecall = ratio(sum(tp), sum(tp) + sum(fn));
  return {
    microPrecision,
    microRecall,
    microF1: f1Of(microPrecision, microRecall),
    macroF1: ratio(sum(perLabel.map((l) => l.f1)), k),
    subsetAccuracy: ratio(exact, yTrue.length),
    hammingLoss: ratio(wrong, yTrue.length * k),
    perLabel,
  };
}

export function regressionReport(yTrue: number[], yPred: number[]): RegressionReport {
  const n = yTrue.length;
  if (n === 0) return { mse: 0, rmse: 0, mae: 0, r2: 0, pearson: 0 };
  let se = 0,
    ae = 0,
    mt = 0,
    mp = 0;
  for (let i = 0; i < n; i++) {
    const d = yPred[i] - yTrue[i];
    se += d * d;
    ae += Math.abs(d);
    mt += yTrue[i];
    mp += yPred[i];
  }
  mt /= n;
  mp /= n;
  let sst = 0,
    spp = 0,
    stp = 0;
  for (let i = 0; i < n; i++) {
    sst += (yTrue[i] - mt) ** 2;
    spp += (yPred[i] - mp) ** 2;
    stp += (yTrue[i] - mt) * (yPred[i] - mp);
  }
  const mse = se / n;
  return {
    mse,
    rmse: Math.sqrt(mse),
    mae: ae / n,
    // scikit-learn: a constant target gives 1 for a perfect fit, else 0
    r2: sst === 0 ? (se === 0 ? 1 : 0) : 1 - se / sst,
    pearson: sst === 0 || spp === 0 ? 0 : stp / Math.sqrt(sst * spp),
  };
}

/** Mean and sample standard deviation (n − 1) of each scalar across runs (k-fold cross-validation). */
export function meanStd(runs: Record<string, number>[]): { mean: Record<string, number>; std: Record<string, number> } {
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  if (!runs.length) return { mean, std };
  for (const key of Object.keys(runs[0])) {
    const xs = runs.map((r) => r[key]).filter((x) => typeof x === 'number');
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[key] = m;
    std[key] = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  }
  return { mean, std };
}

export function softmaxRow(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const e = Array.from(logits, (x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}
