'use client';
// Multi-label evaluation: micro/macro F1 (fine-tuned and baseline), a per-label table, and the examples with any
// wrong label, with their true and predicted label sets (no confusion matrix: labels are independent decisions).
import { useState } from 'react';
import { pct } from '../ui';
import type { MultilabelEvaluation } from '@/lib/protocol';
import { ScoreTable } from './ScoreTable';

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
        <table className="data-table" data-testid="test-metrics">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Micro-F1</th>
              <th scope="col">Macro-F1</th>
              <th scope="col">Micro precision</th>
              <th scope="col">Micro recall</th>
              <th scope="col">Exact match</th>
              <th scope="col">Hamming loss</th>
              <th scope="col">Loss</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Fine-tuned</th>
              <td>{pct(r.microF1)}</td>
              <td>{pct(r.macroF1)}</td>
              <td>{pct(r.microPrecision)}</td>
              <td>{pct(r.microRecall)}</td>
              <td>{pct(r.subsetAccuracy)}</td>
              <td>{r.hammingLoss.toFixed(4)}</td>
              <td>{r.loss.toFixed(4)}</td>
            </tr>
            {r.baseline && (
              <tr>
                <th scope="row">Baseline (head only, frozen pre-trained encoder)</th>
                <td>{pct(r.baseline.microF1)}</td>
                <td>{pct(r.baseline.macroF1)}</td>
                <td>—</td>
                <td>—</td>
                <td>—</td>
                <td>—</td>
                <td>—</td>
              </tr>
            )}
          </tbody>
        </table>
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
