'use client';
// Multi-label evaluation: micro/macro F1 (fine-tuned and baseline), a per-label table, and the examples with any
// wrong label, with their true and predicted label sets (no confusion matrix: labels are independent decisions).
import { pct } from '../ui';
import type { MultilabelEvaluation } from '@/lib/protocol';
import { ScoreTable } from './ScoreTable';
import { ExamplesPanel } from './ExamplesPanel';
import { MetricsTable } from './MetricsTable';

const setText = (labels: string[]) => (labels.length ? labels.join(', ') : '(none)');

export function MultilabelView({ r, headOnly }: { r: MultilabelEvaluation; headOnly: boolean }) {
  return (
    <>
      <section className="panel" aria-labelledby="metrics-h">
        <h3 id="metrics-h">Test metrics (multi-label, threshold {r.threshold})</h3>
        <MetricsTable
          headOnly={headOnly}
          columns={['Micro-F1', 'Macro-F1', 'Micro precision', 'Micro recall', 'Exact match', 'Hamming loss', 'Loss']}
          fineTuned={[
            pct(r.microF1),
            pct(r.macroF1),
            pct(r.microPrecision),
            pct(r.microRecall),
            pct(r.subsetAccuracy),
            r.hammingLoss.toFixed(4),
            r.loss.toFixed(4),
          ]}
          baseline={r.baseline && [pct(r.baseline.microF1), pct(r.baseline.macroF1)]}
        />
        <p className="muted small">{r.count} test examples. Exact match: every label right for an example.</p>
      </section>

      <ScoreTable id="pl-h" title="Per label" regionLabel="Per-label scores" testId="per-label" rows={r.perLabel} />

      <ExamplesPanel
        id="mis-h"
        title={`Examples with a wrong label (${r.misclassified.length})`}
        testId="misclassified"
        columns={['True labels', 'Predicted labels', 'Wrong']}
        rows={r.misclassified}
        cells={(m) => [setText(m.trueLabels), setText(m.predicted), m.wrong]}
        labelFilter={{
          name: 'Label (true or predicted)',
          labels: r.labels,
          matches: (m, l) => m.trueLabels.includes(l) || m.predicted.includes(l),
        }}
      />
    </>
  );
}
