// The test-metrics table: the fine-tuned model, and the head-only baseline where it was scored ("—" where a metric
// was not computed for it).
export function MetricsTable({
  columns,
  fineTuned,
  baseline,
}: {
  columns: string[];
  fineTuned: string[];
  baseline?: (string | undefined)[];
}) {
  return (
    <table className="data-table" data-testid="test-metrics">
      <thead>
        <tr>
          <th scope="col">Model</th>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row">Fine-tuned</th>
          {fineTuned.map((v, i) => (
            <td key={columns[i]}>{v}</td>
          ))}
        </tr>
        {baseline && (
          <tr>
            <th scope="row">Baseline (head only, frozen pre-trained encoder)</th>
            {columns.map((c, i) => (
              <td key={c}>{baseline[i] ?? '—'}</td>
            ))}
          </tr>
        )}
      </tbody>
    </table>
  );
}
