// The test-metrics table: the evaluated model (fine-tuned, or a head on the frozen encoder), and the head-only baseline
// and the word-count baseline (TF-IDF + logistic regression) where they were scored ("—" where a metric was not
// computed for one).
export function MetricsTable({
  columns,
  fineTuned,
  baseline,
  wordBaseline,
  headOnly = false,
}: {
  columns: string[];
  fineTuned: string[];
  baseline?: (string | undefined)[];
  wordBaseline?: (string | undefined)[];
  /** the evaluated run trained only a head: its row is not called fine-tuned */
  headOnly?: boolean;
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
          <th scope="row">{headOnly ? 'Head only (frozen encoder)' : 'Fine-tuned'}</th>
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
        {wordBaseline && (
          <tr data-testid="word-baseline-row">
            <th scope="row">Word-count baseline (TF-IDF + logistic regression, same training rows)</th>
            {columns.map((c, i) => (
              <td key={c}>{wordBaseline[i] ?? '—'}</td>
            ))}
          </tr>
        )}
      </tbody>
    </table>
  );
}
