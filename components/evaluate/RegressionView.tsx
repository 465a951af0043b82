'use client';
// Regression evaluation: MSE, RMSE, MAE, R² and Pearson (fine-tuned and baseline), and the examples with the largest
// absolute errors (true value, prediction, |error|).
import { useState } from 'react';
import type { RegressionEvaluation } from '@/lib/protocol';
import { MetricsTable } from './MetricsTable';

const num = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4));

export function RegressionView({ r }: { r: RegressionEvaluation }) {
  const [filter, setFilter] = useState('');
  const rows = r.largestErrors.filter((m) => !filter || m.text.toLowerCase().includes(filter.toLowerCase()));
  return (
    <>
      <section className="panel" aria-labelledby="metrics-h">
        <h3 id="metrics-h">Test metrics (regression)</h3>
        <MetricsTable columns={['MSE', 'RMSE', 'MAE', 'R²', 'Pearson r']} fineTuned={[num(r.mse), num(r.rmse), num(r.mae), num(r.r2), num(r.pearson)]} baseline={r.baseline && [num(r.baseline.mse), num(Math.sqrt(r.baseline.mse)), num(r.baseline.mae), num(r.baseline.r2), num(r.baseline.pearson)]} />
        <p className="muted small">{r.count} test examples. Lower MSE/MAE is better; R² of 1 is a perfect fit, 0 is no better than predicting the mean.</p>
      </section>

      <section className="panel" aria-labelledby="err-h">
        <h3 id="err-h">Largest errors</h3>
        <div className="row">
          <label>
            Search text
            <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
        </div>
        <div className="table-wrap tall" tabIndex={0} role="region" aria-label="Largest errors">
          <table className="data-table" data-testid="largest-errors">
            <thead>
              <tr>
                <th scope="col">Text</th>
                <th scope="col">True</th>
                <th scope="col">Predicted</th>
                <th scope="col">|Error|</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m, i) => (
                <tr key={i}>
                  <td className="text-cell">{m.text}</td>
                  <td>{num(m.trueValue)}</td>
                  <td>{num(m.predicted)}</td>
                  <td>{num(m.error)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {r.largestErrors.length < r.count && <p className="muted small">The {r.largestErrors.length} largest of {r.count} errors.</p>}
      </section>
    </>
  );
}
