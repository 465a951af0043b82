'use client';
// Regression evaluation: MSE, RMSE, MAE, R² and Pearson (fine-tuned and baseline), and the examples with the largest
// absolute errors (true value, prediction, |error|).
import type { RegressionEvaluation } from '@/lib/protocol';
import { ExamplesPanel } from './ExamplesPanel';
import { MetricsTable } from './MetricsTable';

const num = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '—' : Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4);

export function RegressionView({ r, headOnly }: { r: RegressionEvaluation; headOnly: boolean }) {
  return (
    <>
      <section className="panel" aria-labelledby="metrics-h">
        <h3 id="metrics-h">Test metrics (regression)</h3>
        <MetricsTable
          headOnly={headOnly}
          columns={['MSE', 'RMSE', 'MAE', 'R²', 'Pearson r']}
          fineTuned={[num(r.mse), num(r.rmse), num(r.mae), num(r.r2), num(r.pearson)]}
          baseline={
            r.baseline && [
              num(r.baseline.mse),
              num(Math.sqrt(r.baseline.mse)),
              num(r.baseline.mae),
              num(r.baseline.r2),
              num(r.baseline.pearson),
            ]
          }
        />
        <p className="muted small">
          {r.count} test examples. Lower MSE/MAE is better; R² of 1 is a perfect fit, 0 is no better than predicting the mean.
        </p>
      </section>

      <ExamplesPanel
        id="err-h"
        title="Largest errors"
        testId="largest-errors"
        columns={['True', 'Predicted', '|Error|']}
        rows={r.largestErrors}
        cells={(m) => [num(m.trueValue), num(m.predicted), num(m.error)]}
        limit={r.largestErrors.length}
        footer={
          r.largestErrors.length < r.count && (
            <p className="muted small">
              The {r.largestErrors.length} largest of {r.count} errors.
            </p>
          )
        }
      />
    </>
  );
}
