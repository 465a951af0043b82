'use client';
// Cross-validations on the Runs screen: the fold runs of each k-fold cross-validation (grouped by their sweep id),
// each fold's best validation scores, their mean ± standard deviation, and the folds' curves overlaid on request.
import { pct } from '../ui';
import type { RunRecord } from '@/lib/session/types';

function meanStd(xs: number[]): { mean: number; std: number } | null {
  if (!xs.length) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

const pm = (v: { mean: number; std: number } | null) => (v ? `${pct(v.mean)} ± ${pct(v.std)}` : '—');

export function CrossValidations({ runs, onOverlay }: { runs: RunRecord[]; onOverlay: (ids: string[]) => void }) {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (!r.config.fold || !r.sweepId) continue;
    groups.set(r.sweepId, [...(groups.get(r.sweepId) ?? []), r]);
  }
  if (!groups.size) return null;
  return (
    <section className="panel" aria-labelledby="cv-h" data-testid="cross-validations">
      <h3 id="cv-h">Cross-validations</h3>
      {[...groups].map(([id, folds]) => {
        const sorted = [...folds].sort((a, b) => a.config.fold!.index - b.config.fold!.index);
        const k = sorted[0].config.fold!.k;
        const done = sorted.filter((r) => r.best);
        const acc = meanStd(done.map((r) => r.best!.accuracy).filter(Number.isFinite));
        const f1 = meanStd(done.map((r) => r.best!.macroF1).filter(Number.isFinite));
        return (
          <div key={id} className="stack">
            <div className="table-wrap" tabIndex={0} role="region" aria-label={`Cross-validation ${sorted[0].name.replace(/ · fold.*$/, '')}`}>
              <table className="data-table" data-testid="cv-table">
                <caption className="small muted">
                  {sorted[0].name.replace(/ · fold.*$/, '')}: {k} folds, best validation score of each fold ({done.length} of {k} evaluated)
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Fold</th>
                    <th scope="col">Status</th>
                    <th scope="col">Validation accuracy</th>
                    <th scope="col">Validation macro-F1</th>
                  </tr>
                </thead>
                <tbody>
                  {sorted.map((r) => (
                    <tr key={r.id}>
                      <th scope="row">{r.config.fold!.index + 1}</th>
                      <td>
                        <span className={`status status-${r.status}`}>{r.status}</span>
                      </td>
                      <td>{pct(r.best?.accuracy)}</td>
                      <td>{pct(r.best?.macroF1)}</td>
                    </tr>
                  ))}
                  <tr data-testid="cv-mean">
                    <th scope="row">Mean ± std</th>
                    <td />
                    <td>{pm(acc)}</td>
                    <td>{pm(f1)}</td>
                  </tr>
                </tbody>
              </table>
            </div>
            <div className="row">
              <button type="button" onClick={() => onOverlay(sorted.slice(0, 6).map((r) => r.id))}>
                Overlay the folds&apos; curves
              </button>
            </div>
          </div>
        );
      })}
    </section>
  );
}
