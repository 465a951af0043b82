'use client';
// Multi-label evaluation: micro/macro F1 (fine-tuned and baseline), a per-label table, and the examples with any
// wrong label, with their true and predicted label sets (no confusion matrix: labels are independent decisions).
import { useState } from 'react';
import { pct } from '../ui';
import type { MultilabelEvaluation } from '@/lib/protocol';
import { ScoreTable } from './ScoreTable';
import { MetricsTable } from './MetricsTable';

const setText = (labels: string[]) => (labels.length ? labels.join(', ') : '(none)');

export function MultilabelView({ r }: { r: MultilabelEvaluation }) {
  const [filter, setFilter] = useState('');
  const [labelFilter, setLabelFilter] = useState('');
  const mis = r.misclassified.filter(
    (m) => (!labelFilter || m.trueLabels.includes(labelFilter) || m.predicted.includes(labelFilter)) && (!filter || m.text.toLowerCase().includes(filter.toLowerCase())),
  );
  return (
    <>
      <section className="panel" aria-labelledby="metrics-h">
        <h3 id="metrics-h">Test metrics (multi-label, threshold {r.threshold})</h3>
        <MetricsTable columns={['Micro-F1', 'Macro-F1', 'Micro precision', 'Micro recall', 'Exact match', 'Hamming loss', 'Loss']} fineTuned={[pct(r.microF1), pct(r.macroF1), pct(r.microPrecision), pct(r.microRecall), pct(r.subsetAccuracy), r.hammingLoss.toFixed(4), r.loss.toFixed(4)]} baseline={r.baseline && [pct(r.baseline.microF1), pct(r.baseline.macroF1)]} />
        <p className="muted small">{r.count} test examples. Exact match: every label right for an example.</p>
      </section>

      <ScoreTable id="pl-h" title="Per label" regionLabel="Per-label scores" testId="per-label" rows={r.perLabel} />

      <section className="panel" aria-labelledby="mis-h">
        <h3 id="mis-h">Examples with a wrong label ({r.misclassified.length})</h3>
        <div className="row">
          <label>
            Search text
            <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
          <label>
            Label (true or predicted)
            <select value={labelFilter} onChange={(e) => setLabelFilter(e.target.value)}>
              <option value="">any</option>
              {r.labels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="table-wrap tall" tabIndex={0} role="region" aria-label="Examples with a wrong label">
          <table className="data-table" data-testid="misclassified">
            <thead>
              <tr>
                <th scope="col">Text</th>
                <th scope="col">True labels</th>
                <th scope="col">Predicted labels</th>
                <th scope="col">Wrong</th>
              </tr>
            </thead>
            <tbody>
              {mis.slice(0, 200).map((m, i) => (
                <tr key={i}>
                  <td className="text-cell">{m.text}</td>
                  <td>{setText(m.trueLabels)}</td>
                  <td>{setText(m.predicted)}</td>
                  <td>{m.wrong}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {mis.length > 200 && <p className="muted small">Showing 200 of {mis.length}; narrow the filter to see others.</p>}
      </section>
    </>
  );
}
