// Precision / recall / F1 / support per class (single-label) or per label (multi-label).
import { pct } from '../ui';

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export function ScoreTable({
  id,
  title,
  regionLabel,
  testId,
  rows,
}: {
  id: string;
  title: string;
  regionLabel: string;
  testId: string;
  rows: ClassScores[];
}) {
  return (
    <section className="panel" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      <div className="table-wrap" tabIndex={0} role="region" aria-label={regionLabel}>
        <table className="data-table" data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Precision</th>
              <th scope="col">Recall</th>
              <th scope="col">F1</th>
              <th scope="col">Support</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.label}>
                <th scope="row">{c.label}</th>
                <td>{pct(c.precision)}</td>
                <td>{pct(c.recall)}</td>
                <td>{pct(c.f1)}</td>
                <td>{c.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
