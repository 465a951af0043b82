'use client';
// Named-entity evaluation: entity-level scores (exact span and type; fine-tuned and baseline), a per-type table, the
// confusion of entity types with "missed" and "spurious", and the sentences with wrong entities drawn inline.
import type { NerEvaluation } from '@/lib/protocol';
import { fmtCount, pct } from '../ui';
import { MetricsTable } from './MetricsTable';
import { NerSentences } from './NerSentences';
import { typeColours } from './EntitySpans';

export function NerView({ r, headOnly }: { r: NerEvaluation; headOnly: boolean }) {
  const colour = typeColours(r.perType.map((t) => t.type));
  return (
    <>
      <section className="panel" aria-labelledby="metrics-h">
        <h3 id="metrics-h">Test metrics (named entities: exact span and type)</h3>
        <MetricsTable
          headOnly={headOnly}
          columns={['Entity F1', 'Entity precision', 'Entity recall', 'Macro-F1 over types', 'Token accuracy', 'Loss']}
          fineTuned={[pct(r.microF1), pct(r.microPrecision), pct(r.microRecall), pct(r.macroF1), pct(r.tokenAccuracy), r.loss.toFixed(4)]}
          baseline={r.baseline && [pct(r.baseline.microF1), undefined, undefined, pct(r.baseline.macroF1)]}
        />
        <p className="muted small" data-testid="ner-counts">
          {`${fmtCount(r.count)} test sentences, ${fmtCount(r.words)} words: ${fmtCount(r.support)} entities, ` +
            `${fmtCount(r.predicted)} predicted, ${fmtCount(r.correct)} exactly right.`}{' '}
          An entity counts only with its exact words and type (as seqeval); entity F1 is over all entities, macro-F1 the mean over types.
        </p>
      </section>

      <section className="panel" aria-labelledby="pt-h">
        <h3 id="pt-h">Per entity type</h3>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Per-type scores">
          <table className="data-table" data-testid="per-type">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Precision</th>
                <th scope="col">Recall</th>
                <th scope="col">F1</th>
                <th scope="col">Entities</th>
                <th scope="col">Predicted</th>
                <th scope="col">Exactly right</th>
              </tr>
            </thead>
            <tbody>
              {r.perType.map((t) => (
                <tr key={t.type}>
                  <th scope="row">
                    <span className="type-swatch" style={{ background: colour(t.type) }} aria-hidden="true" />
                    {t.type}
                  </th>
                  <td>{pct(t.precision)}</td>
                  <td>{pct(t.recall)}</td>
                  <td>{pct(t.f1)}</td>
                  <td>{t.support}</td>
                  <td>{t.predicted}</td>
                  <td>{t.correct}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="panel" aria-labelledby="ecm-h">
        <h3 id="ecm-h">Entity types confused</h3>
        <EntityConfusion r={r} />
      </section>

      <NerSentences sentences={r.wrongSentences} types={r.perType.map((t) => t.type)} colour={colour} />
    </>
  );
}

const SPURIOUS = 'spurious';
const MISSED = 'missed';

/** Rows: true types and "spurious"; columns: predicted types and "missed"; shaded by row share. */
function EntityConfusion({ r }: { r: NerEvaluation }) {
  const { rows, columns, counts } = r.confusion;
  return (
    <>
      <p className="small muted" id="ecm-note">
        Rows: the true type, and <em>spurious</em> (a predicted entity on no true entity&apos;s words). Columns: the type predicted on
        exactly the true entity&apos;s words, and <em>missed</em> (no prediction on exactly those words). A span cut short or too long
        counts as missed and spurious.
      </p>
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Entity-type confusion" aria-describedby="ecm-note">
        <table className="confusion" data-testid="entity-confusion">
          <caption className="sr-only">Rows: true type · columns: predicted type</caption>
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">True \ predicted</span>
              </th>
              {columns.map((c) => (
                <th key={c} scope="col" className={c === MISSED ? 'confusion-extra' : ''}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {counts.map((row, i) => {
              const total = row.reduce((a, b) => a + b, 0) || 1;
              return (
                <tr key={rows[i]}>
                  <th scope="row" className={rows[i] === SPURIOUS ? 'confusion-extra' : ''}>
                    {rows[i]}
                  </th>
                  {row.map((v, j) => {
                    // spurious × missed cannot happen: a predicted span on no true span has no true entity to miss
                    if (rows[i] === SPURIOUS && columns[j] === MISSED)
                      return (
                        <td key={j} className="muted">
                          <span aria-hidden="true">—</span>
                          <span className="sr-only">not applicable</span>
                        </td>
                      );
                    return (
                      <td
                        key={j}
                        style={{ background: `rgba(0, 114, 178, ${(0.06 + 0.54 * (v / total)).toFixed(3)})` }}
                        className={rows[i] === columns[j] ? 'diag' : ''}
                      >
                        {v}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
