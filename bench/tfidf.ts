// The baseline a user would pick instead of fine-tuning: TF-IDF + logistic regression, as scikit-learn's defaults
// make it (TfidfVectorizer(): lowercase, tokens of 2+ word characters, unigrams, smooth idf ln((1 + n) / (1 + df)) + 1,
// raw counts, rows L2-normalised; LogisticRegression(): multinomial, L2 with C = 1 on the weights, not the intercept,
// solved with L-BFGS). `bench:quality` prints it beside each run, trained on the same training file and scored on the
// same test file. `node --import tsx bench/tfidf.ts` prints it for SST-2 and Banking77 alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFile } from '../lib/data/parse';
import { sharedPath } from '../tests/helpers/shared';

export interface LabeledText {
  text: string;
  label: string;
}

const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

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
      const norm = Math.hypot(...vs) || 1;
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
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(z[c] - max);
      const lse = max + Math.log(sum);
      loss += C * (lse - z[y[i]]);
      for (let c = 0; c < k; c++) {
        const r = C * (Math.exp(z[c] - lse) - (c === y[i] ? 1 : 0));
        g[d * k + c] += r;
        for (let e = x.ptr[i]; e < x.ptr[i + 1]; e++) g[x.col[e] * k + c] += r * x.val[e];
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

/** Fits on `train`, scores `test`: accuracy and macro-F1 over the training labels, and the seconds it took. */
export function tfidfBaseline(
  train: LabeledText[],
  test: LabeledText[],
): { accuracy: number; macroF1: number; vocabulary: number; seconds: number } {
  const t0 = performance.now();
  const labels = [...new Set(train.map((r) => r.label))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const vec = new Tfidf().fit(train.map((r) => r.text));
  const k = labels.length;
  const { w, b } = fitLogReg(
    vec.transform(train.map((r) => r.text)),
    Int32Array.from(train, (r) => index.get(r.label)!),
    k,
  );
  const x = vec.transform(test.map((r) => r.text));
  const tp = new Float64Array(k);
  const fp = new Float64Array(k);
  const fn = new Float64Array(k);
  let right = 0;
  test.forEach((r, i) => {
    const z = Float64Array.from(b);
    for (let e = x.ptr[i]; e < x.ptr[i + 1]; e++) for (let c = 0; c < k; c++) z[c] += x.val[e] * w[x.col[e] * k + c];
    const pred = z.indexOf(Math.max(...z));
    const truth = index.get(r.label) ?? -1;
    if (pred === truth) {
      right++;
      tp[pred]++;
    } else {
      fp[pred]++;
      if (truth >= 0) fn[truth]++;
    }
  });
  const f1 = labels.map((_, c) => (tp[c] ? (2 * tp[c]) / (2 * tp[c] + fp[c] + fn[c]) : 0));
  return {
    accuracy: right / test.length,
    macroF1: f1.reduce((a, v) => a + v, 0) / k,
    vocabulary: vec.size,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Rows of a CSV file's text and label columns. */
export function csvRows(path: string, text: string, label: string): LabeledText[] {
  const t = parseFile(new Uint8Array(readFileSync(path)));
  const ti = t.columns.indexOf(text);
  const li = t.columns.indexOf(label);
  return t.rows.map((r) => ({ text: String(r[ti] ?? ''), label: String(r[li] ?? '') }));
}

/** SST-2's "<label> <sentence>" lines. */
export const sst2Rows = (path: string): LabeledText[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ({ label: l[0], text: l.slice(2).trim() }));

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const d = sharedPath('datasets');
  if (!d) throw new Error('../shared/datasets not found (set FINETUNE_SHARED)');
  const sst = (f: string) => sst2Rows(join(d, 'sst2', `stsa.binary.${f}`));
  const b77 = (f: string) => csvRows(join(d, 'banking77', f), 'text', 'category');
  for (const [name, train, test] of [
    ['sst2 dev', sst('train'), sst('dev')],
    ['sst2 test', sst('train'), sst('test')],
    ['banking77 test', b77('train.csv'), b77('test.csv')],
  ] as const) {
    process.stdout.write(`${JSON.stringify({ bench: 'tfidf-logreg', data: name, ...tfidfBaseline(train, test) })}\n`);
  }
}
