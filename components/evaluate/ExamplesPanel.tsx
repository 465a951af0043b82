'use client';
// The examples part of every Evaluate view (misclassified, wrong label sets, largest errors): a text search, an
// optional label filter, and a table of at most `limit` rows.
import { useState, type ReactNode } from 'react';

export function ExamplesPanel<T extends { text: string }>({
  id,
  title,
  testId,
  columns,
  rows,
  cells,
  labelFilter,
  limit = 200,
  footer,
}: {
  id: string;
  title: string;
  testId: string;
  /** header of each column after "Text" */
  columns: string[];
  rows: T[];
  /** the cells after the text cell */
  cells: (row: T) => ReactNode[];
  /** a select over `labels`; `matches` says whether a row belongs to the chosen label */
  labelFilter?: { name: string; labels: string[]; matches: (row: T, label: string) => boolean };
  limit?: number;
  /** what to say below the table; default: how many of the filtered rows are shown */
  footer?: ReactNode;
}) {
  const [text, setText] = useState('');
  const [label, setLabel] = useState('');
  const needle = text.toLowerCase();
  const shown = rows.filter(
    (r) => (!label || !labelFilter || labelFilter.matches(r, label)) && (!needle || r.text.toLowerCase().includes(needle)),
  );
  return (
    <section className="panel" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      <div className="row">
        <label>
          Search text
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        {labelFilter && (
          <label>
            {labelFilter.name}
            <select value={label} onChange={(e) => setLabel(e.target.value)}>
              <option value="">any</option>
              {labelFilter.labels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="table-wrap tall" tabIndex={0} role="region" aria-label={title.replace(/ \(\d+\)$/, '')}>
        <table className="data-table examples-table" data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">Text</th>
              {columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, limit).map((r, i) => (
              <tr key={i}>
                <td className="text-cell">{r.text}</td>
                {cells(r).map((c, j) => (
                  <td key={j}>{c}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {footer ??
        (shown.length > limit && (
          <p className="muted small">
            Showing {limit} of {shown.length}; narrow the filter to see others.
          </p>
        ))}
    </section>
  );
}
