// The TF-IDF + logistic regression baseline (lib/baseline/tfidf.ts; every run fits it, bench:quality prints it):
// scikit-learn's default vectorizer by hand on a toy corpus, a fit that reaches the regularised optimum, and SST-2's
// figures as an independent NumPy/SciPy version of the same defaults computed them (80.72 % test, 79.01 % dev;
// bench/RESULTS.md, session 15).
import { describe, expect, it } from 'vitest';
import { Tfidf, fitLogReg, tfidfBaseline } from '@/lib/baseline/tfidf';
import { sst2Rows } from '@/bench/tfidf';
import { hasShared, sharedPath } from '@/tests/helpers/shared';
import { join } from 'node:path';

describe('TF-IDF + logistic regression baseline', () => {
  it('weights words as scikit-learn does: 2+ characters, smooth idf, raw counts, rows L2-normalised', () => {
    const docs = ['A cat sat', 'the cat', 'dog dog'];
    const v = new Tfidf().fit(docs);
    expect(v.size).toBe(4); // cat, dog, sat, the ("a" is one character)
    const x = v.transform(['cat cat sat unseen']);
    const idf = (df: number) => Math.log(4 / (1 + df)) + 1;
    const raw = [2 * idf(2), idf(1)]; // cat twice, sat once
    const norm = Math.hypot(...raw);
    expect(Array.from(x.col)).toEqual([0, 2]);
    expect(x.val[0]).toBeCloseTo(raw[0] / norm, 12);
    expect(x.val[1]).toBeCloseTo(raw[1] / norm, 12);
  });

  it('normalises a text with more distinct words than a function call takes arguments', () => {
    const long = Array.from({ length: 200_000 }, (_, i) => `w${i}`).join(' ');
    const x = new Tfidf().fit([long, 'w1 w2']).transform([long]);
    let sq = 0;
    for (const v of x.val) sq += v * v;
    expect(x.col.length).toBe(200_000);
    expect(sq).toBeCloseTo(1, 9);
  });

  it('fits to the optimum: the gradient of ½‖W‖² + C·Σ cross-entropy vanishes', () => {
    const v = new Tfidf().fit(['good fine great', 'bad awful poor', 'good great', 'poor bad']);
    const x = v.transform(['good fine great', 'bad awful poor', 'good great', 'poor bad']);
    const y = Int32Array.from([1, 0, 1, 0]);
    const { w, b } = fitLogReg(x, y, 2);
    // at the optimum W = −C·Xᵀ(P − Y) and Σ(P − Y) = 0 per class
    const k = 2;
    const gw = new Float64Array(w.length);
    const gb = new Float64Array(k);
    for (let i = 0; i < 4; i++) {
      const z = Array.from(b);
      for (let e = x.ptr[i]; e < x.ptr[i + 1]; e++) for (let c = 0; c < k; c++) z[c] += x.val[e] * w[x.col[e] * k + c];
      const m = Math.max(...z);
      const s = z.reduce((a, t) => a + Math.exp(t - m), 0);
      for (let c = 0; c < k; c++) {
        const r = Math.exp(z[c] - m) / s - (c === y[i] ? 1 : 0);
        gb[c] += r;
        for (let e = x.ptr[i]; e < x.ptr[i + 1]; e++) gw[x.col[e] * k + c] += r * x.val[e];
      }
    }
    for (let j = 0; j < w.length; j++) expect(Math.abs(gw[j] + w[j])).toBeLessThan(1e-4);
    for (const g of gb) expect(Math.abs(g)).toBeLessThan(1e-4);
  });

  it.skipIf(!hasShared('datasets', 'sst2'))('SST-2: the figures an independent NumPy/SciPy version of the defaults gives', () => {
    const rows = (f: string) => sst2Rows(join(sharedPath('datasets', 'sst2')!, `stsa.binary.${f}`));
    const train = rows('train');
    expect(tfidfBaseline(train, rows('test')).accuracy * 100).toBeCloseTo(80.72, 1);
    expect(tfidfBaseline(train, rows('dev')).accuracy * 100).toBeCloseTo(79.01, 1);
  });
});
