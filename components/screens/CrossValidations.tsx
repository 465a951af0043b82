'use client';
// Cross-validations on the Runs screen: the fold runs of each k-fold cross-validation (grouped by their sweep id),
// each fold's best validation scores, their mean ± standard deviation, and the folds' curves overlaid on request.
import { pct } from '../ui';
import { meanStd } from '@/lib/train/metrics';
import type { RunRecord } from '@/lib/session/types';

const pm = (s: ReturnType<typeof meanStd>, key: string) => (key in s.mean ? `${pct(s.mean[key])} ± ${pct(s.std[key])}` : '—');

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
        // the same mean ± sample standard deviation as the CLI's --folds (lib/train/metrics.ts)
        const summary = meanStd(done.map((r) => ({ accuracy: r.best!.accuracy, macroF1: r.best!.macroF1 })));
        return (
          <div key={id} className="stack">
            <div
              className="table-wrap"
              tabIndex={0}
              role="region"
              aria-label={`Cross-validation ${sorted[0].name.replace(/ · fold.*$/, '')}`}
            >
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
                    <td>{pm(summary, 'accuracy')}</td>
                    <td>{pm(summary, 'macroF1')}</td>
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
