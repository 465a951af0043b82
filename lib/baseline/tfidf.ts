// The baseline a user would pick instead of fine-tuning: TF-IDF + logistic regression, as scikit-learn's defaults
// make it (TfidfVectorizer(): lowercase, tokens of 2+ word characters, unigrams, smooth idf ln((1 + n) / (1 + df)) + 1,
// raw counts, rows L2-normalised; LogisticRegression(): multinomial, L2 with C = 1 on the weights, not the intercept,
// solved with L-BFGS to the optimum). A run fits it on its training split and scores its validation split
// (lib/run/train-run.ts), so the studio and the CLI show the line a fine-tuned model has to beat; the benchmarks print
// it beside their runs (bench/quality.ts).
import type { Example } from '../data/types';
import { classificationReport } from '../train/metrics';

export interface LabeledText {
  text: string;
  label: string;
}

const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** Seconds per training word × label the fit takes: 1.0–4.4 µs on five datasets here (SST-2, Banking77, SMS Spam and
 *  two unseen files: 0.3–8.9 s; session 22, README), so 3 µs, within about 3× either way. */
const SEC_PER_WORD_LABEL = 3e-6;

/** About how long fitting the baseline on `train` over `labels` labels takes (for a run's time estimate). */
export function wordBaselineSeconds(train: LabeledText[], labels: number): number {
  let words = 0;
  for (const r of train) words += r.text.match(TOKEN)?.length ?? 0;
  return words * labels * SEC_PER_WORD_LABEL;
}

/** Sparse TF-IDF rows (CSR) over the training vocabulary; words unseen in training are dropped. */
export class Tfidf {
  private vocab = new Map<string, number>();
  private idf: Float64Array = new Float64Array(0);

  get size(): number {
    return this.vocab.size;
  }

  fit(texts: string[]): this {
    const df = new Map<string, number>();
    for (const t of texts) for (const w of new Set(t.toLowerCase().match(TOKEN) ?? [])) df.set(w, (df.get(w) ?? 0) + 1);
    const words = [...df.keys()].sort();
    words.forEach((w, i) => this.vocab.set(w, i));
    this.idf = Float64Array.from(words, (w) => Math.log((1 + texts.length) / (1 + df.get(w)!)) + 1);
    return this;
  }

  transform(texts: string[]): Csr {
    const ptr = [0];
    const col: number[] = [];
    const val: number[] = [];
    for (const t of texts) {
      const counts = new Map<number, number>();
      for (const w of t.toLowerCase().match(TOKEN) ?? []) {
        const j = this.vocab.get(w);
        if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      const js = [...counts.keys()].sort((a, b) => a - b);
      const vs = js.map((j) => counts.get(j)! * this.idf[j]);
      // a loop, not Math.hypot(...vs): a 100,000-character text can have more distinct words than a call takes arguments
      let sq = 0;
      for (const v of vs) sq += v * v;
      const norm = Math.sqrt(sq) || 1;
      js.forEach((j, i) => {
        col.push(j);
        val.push(vs[i] / norm);
      });
      ptr.push(col.length);
    }
    return { ptr: Int32Array.from(ptr), col: Int32Array.from(col), val: Float64Array.from(val), cols: this.vocab.size };
  }
}

export interface Csr {
  ptr: Int32Array;
  col: Int32Array;
  val: Float64Array;
  cols: number;
}

/** Multinomial logistic regression: minimises ½‖W‖² + C · Σ cross-entropy (intercepts unpenalised) with L-BFGS. */
export function fitLogReg(x: Csr, y: Int32Array, k: number, C = 1, maxIter = 1000): { w: Float64Array; b: Float64Array } {
  const d = x.cols;
  const n = y.length;
  const size = d * k + k;
  const objective = (p: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let loss = 0;
    const z = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) z[c] = p[d * k + c];
      for (let e = x.ptr[i]; e < x.ptr[i + 1]; e++) {
        const off = x.col[e] * k;
        for (let c = 0; c < k; c++) z[c] += x.val[e] * p[off + c];
      }
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, z[c]);
      const zy = z[y[i]];
      let sum = 0;
      for (let c = 0; c < k; c++) {
        z[c] = Math.exp(z[c] - max);
        sum += z[c];
      }
      loss += C * (max + Math.log(sum) - zy);
      // z becomes the residual C·(softmax − one-hot); each feature's k gradients are adjacent in g
      for (let c = 0; c < k; c++) {
        z[c] = C * (z[c] / sum - (c === y[i] ? 1 : 0));
        g[d * k + c] += z[c];
      }
      for (let e = x.ptr[i]; e < x.ptr[i + 1]; e++) {
        const off = x.col[e] * k;
        const v = x.val[e];
        for (let c = 0; c < k; c++) g[off + c] += z[c] * v;
      }
    }
    for (let j = 0; j < d * k; j++) {
      loss += 0.5 * p[j] * p[j];
      g[j] += p[j];
    }
    return loss;
  };
  const p = lbfgs(objective, new Float64Array(size), maxIter);
  return { w: p.subarray(0, d * k), b: p.subarray(d * k) };
}

/** L-BFGS (memory 10) with a backtracking Armijo line search; stops when the gradient's max norm is under 1e-4. */
function lbfgs(f: (p: Float64Array, g: Float64Array) => number, p: Float64Array, maxIter: number): Float64Array {
  const m = 10;
  const size = p.length;
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < size; i++) s += a[i] * b[i];
    return s;
  };
  let g = new Float64Array(size);
  let fx = f(p, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  for (let it = 0; it < maxIter; it++) {
    if (g.reduce((a, v) => Math.max(a, Math.abs(v)), 0) < 1e-4) break;
    // two-loop recursion: dir = −H·g
    const q = Float64Array.from(g);
    const alpha: number[] = [];
    for (let i = S.length - 1; i >= 0; i--) {
      const a = dot(S[i], q) / dot(Y[i], S[i]);
      alpha[i] = a;
      for (let j = 0; j < size; j++) q[j] -= a * Y[i][j];
    }
    const gamma = S.length ? dot(S.at(-1)!, Y.at(-1)!) / dot(Y.at(-1)!, Y.at(-1)!) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let j = 0; j < size; j++) q[j] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const b = dot(Y[i], q) / dot(Y[i], S[i]);
      for (let j = 0; j < size; j++) q[j] += S[i][j] * (alpha[i] - b);
    }
    const slope = -dot(g, q);
    if (slope >= 0) break;
    let step = 1;
    const next = new Float64Array(size);
    const g2 = new Float64Array(size);
    let f2 = Infinity;
    for (let tries = 0; tries < 30; tries++, step /= 2) {
      for (let j = 0; j < size; j++) next[j] = p[j] - step * q[j];
      f2 = f(next, g2);
      if (f2 <= fx + 1e-4 * step * slope) break;
    }
    if (!(f2 < fx)) break;
    const s = new Float64Array(size);
    const yv = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      s[j] = next[j] - p[j];
      yv[j] = g2[j] - g[j];
    }
    if (dot(s, yv) > 1e-10) {
      S.push(s);
      Y.push(yv);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    p.set(next);
    g = g2;
    const rel = (fx - f2) / Math.max(Math.abs(fx), Math.abs(f2), 1);
    fx = f2;
    if (rel < 1e-10) break;
  }
  return p;
}

/** An example as the baseline reads it: a pair's two texts as one. */
export const labeledTextOf = (e: Pick<Example, 'text' | 'textPair' | 'label'>): LabeledText => ({
  text: e.textPair ? `${e.text} ${e.textPair}` : e.text,
  label: String(e.label),
});

/** A fitted baseline: the label (index into `labels`) it predicts for each text. */
export interface WordBaseline {
  labels: string[];
  vocabulary: number;
  predict(texts: string[]): number[];
}

/** Fits TF-IDF + logistic regression on `train`; `labels`: the label names in id order (default: the training
 *  labels, sorted). */
export function fitWordBaseline(train: LabeledText[], labels = [...new Set(train.map((r) => r.label))].sort()): WordBaseline {
  const index = new Map(labels.map((l, i) => [l, i]));
  const rows = train.filter((r) => index.has(r.label));
  const vec = new Tfidf().fit(rows.map((r) => r.text));
  const k = labels.length;
  const { w, b } = fitLogReg(
    vec.transform(rows.map((r) => r.text)),
    Int32Array.from(rows, (r) => index.get(r.label)!),
    k,
  );
  return {
    labels,
    vocabulary: vec.size,
    predict(texts) {
      const x = vec.transform(texts);
      return texts.map((_, i) => {
        const z = Float64Array.from(b);
        for (let e = x.ptr[i]; e < x.ptr[i + 1]; e++) for (let c = 0; c < k; c++) z[c] += x.val[e] * w[x.col[e] * k + c];
        let best = 0;
        for (let c = 1; c < k; c++) if (z[c] > z[best]) best = c;
        return best;
      });
    },
  };
}

export interface BaselineScore {
  accuracy: number;
  macroF1: number;
  vocabulary: number;
  /** fitting and scoring */
  seconds: number;
}

/** Fits on `train`, scores `test` with the runs' own metrics (lib/train/metrics.ts): accuracy and macro-F1 over the
 *  labels (default: the training labels); a test label the training rows lack counts as a miss. */
export function tfidfBaseline(train: LabeledText[], test: LabeledText[], labels?: string[]): BaselineScore {
  const t0 = performance.now();
  const model = fitWordBaseline(train, labels);
  return { ...scoreWordBaseline(model, test), vocabulary: model.vocabulary, seconds: (performance.now() - t0) / 1000 };
}

/** A fitted baseline's accuracy and macro-F1 on `test` (see tfidfBaseline). */
export function scoreWordBaseline(model: WordBaseline, test: LabeledText[]): { accuracy: number; macroF1: number } {
  const index = new Map(model.labels.map((l, i) => [l, i]));
  const kept = test.filter((r) => index.has(r.label));
  const report = classificationReport(
    kept.map((r) => index.get(r.label)!),
    model.predict(kept.map((r) => r.text)),
    model.labels,
  );
  return { accuracy: (report.accuracy * kept.length) / Math.max(1, test.length), macroF1: report.macroF1 };
}
