'use client';
// The dataset report (counts, label distribution, token lengths, duplicates, conflicts; for named entities the entity
// types and sentence lengths) and cleaning actions, each showing how many rows it changes before it is applied.
import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { engine } from '../engine-client';
import { useStudio } from '../state/studio';
import { ErrorNote, fmtCount, pct, toErrorInfoUI } from '../ui';
import { PALETTE } from '../charts/palette';
import { EntityTypeChart, NerDataReport } from '../data/NerDataReport';
import type { ErrorInfo } from '@/lib/errors';
import type { DatasetSummary } from '@/lib/session/types';

export function DatasetReport({ datasetId }: { datasetId: string }) {
  const maxLength = useStudio((s) => s.config.maxLength);
  const windows = useStudio((s) => s.config.textWindows);
  const setDataset = useStudio((s) => s.setDataset);
  const [report, setReport] = useState<DatasetSummary | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [applied, setApplied] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setReport(null);
    setError(null);
    const e = engine();
    e.request({ type: 'dataset-report', requestId: e.nextId('rep'), datasetId, maxLength }, 'dataset-report-result')
      .then((ev) => live && setReport(ev.report))
      .catch((err) => live && setError(toErrorInfoUI(err)));
    return () => {
      live = false;
    };
  }, [datasetId, maxLength]);

  const apply = async () => {
    setBusy(true);
    setError(null);
    try {
      const e = engine();
      const ev = await e.request(
        { type: 'dataset-clean', requestId: e.nextId('clean'), datasetId, actions: [...picked], apply: true },
        'dataset-clean-result',
      );
      setApplied(`Cleaned: ${ev.changes.map((c) => `${c.action} (${c.rows} rows)`).join(', ')}. The original stays stored.`);
      setPicked(new Set());
      setDataset(ev.datasetId);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setBusy(false);
    }
  };

  const ner = report?.ner;
  return (
    <section className="panel" aria-labelledby="report-h" data-testid="dataset-report">
      <h3 id="report-h">Dataset report{report && <span className="muted small"> · {report.name}</span>}</h3>
      <ErrorNote error={error} />
      {!report && !error && <p className="muted">Computing the report…</p>}
      {report && (
        <>
          <dl className="stats">
            <div>
              <dt>{ner ? 'Sentences' : 'Rows'}</dt>
              <dd>{fmtCount(report.rows)}</dd>
            </div>
            <div>
              <dt>Train / validation / test</dt>
              <dd>
                {fmtCount(report.splits.train)} / {fmtCount(report.splits.validation)} / {fmtCount(report.splits.test)}
              </dd>
            </div>
            <div>
              <dt>{ner ? 'Tags (BIO)' : 'Labels'}</dt>
              <dd>{report.labels.length}</dd>
            </div>
            <div>
              <dt>Duplicates (exact / normalised)</dt>
              <dd>
                {report.exactDuplicates} / {report.normalizedDuplicates}
              </dd>
            </div>
            <div>
              <dt>{ner ? 'Same words, different tags' : 'Conflicting labels'}</dt>
              <dd>{report.conflicts}</dd>
            </div>
            <div>
              <dt>Empty texts</dt>
              <dd>{report.empty}</dd>
            </div>
            {report.tokenLengths && !ner && (
              <div>
                <dt>
                  Longer than {report.tokenLengths.maxLength} tokens ({windows > 1 ? `read in up to ${windows} windows` : 'truncated'})
                </dt>
                <dd>{pct(report.tokenLengths.truncatedShare)}</dd>
              </div>
            )}
          </dl>
          {ner && <NerDataReport ner={ner} />}
          <div className="chart-pair">
            {ner ? (
              <EntityTypeChart ner={ner} />
            ) : (
              <figure>
                <figcaption>Label distribution</figcaption>
                <ResponsiveContainer width="100%" height={180}>
                  <BarChart data={report.labels.slice(0, 40)} margin={{ left: 8, right: 8 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
                    <XAxis dataKey="label" stroke="var(--muted)" tick={{ fontSize: 12 }} />
                    <YAxis stroke="var(--muted)" tick={{ fontSize: 12 }} />
                    <Tooltip contentStyle={{ background: 'var(--panel)', color: 'var(--fg)' }} />
                    <Bar dataKey="count" fill={PALETTE[0]} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </figure>
            )}
            {report.tokenLengths && (
              <figure>
                <figcaption>Token lengths (this model&apos;s tokenizer)</figcaption>
                <ResponsiveContainer width="100%" height={180}>
                  <BarChart
                    data={report.tokenLengths.bins.map((b) => ({ range: `${b.from}–${b.to}`, count: b.count }))}
                    margin={{ left: 8, right: 8 }}
                  >
                    <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
                    <XAxis dataKey="range" stroke="var(--muted)" tick={{ fontSize: 12 }} />
                    <YAxis stroke="var(--muted)" tick={{ fontSize: 12 }} />
                    <Tooltip contentStyle={{ background: 'var(--panel)', color: 'var(--fg)' }} />
                    <Bar dataKey="count" fill={PALETTE[1]} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </figure>
            )}
          </div>
          {!report.tokenLengths && (
            <p className="muted small">
              Load a model on the Model screen to see token lengths and how many{' '}
              {ner ? 'sentences exceed the max length' : 'texts are longer than the max length'}.
            </p>
          )}
          {report.cleaning.length > 0 && (
            <fieldset>
              <legend>Cleaning (a new version is stored; the original stays)</legend>
              {report.cleaning.map((c) => (
                <label key={c.action} className="check">
                  <input
                    type="checkbox"
                    checked={picked.has(c.action)}
                    disabled={c.rows === 0}
                    onChange={(e) => {
                      const n = new Set(picked);
                      if (e.target.checked) n.add(c.action);
                      else n.delete(c.action);
                      setPicked(n);
                    }}
                  />
                  {c.label} — changes {fmtCount(c.rows)} row{c.rows === 1 ? '' : 's'}
                </label>
              ))}
              <button type="button" onClick={() => void apply()} disabled={busy || picked.size === 0}>
                Apply cleaning
              </button>
            </fieldset>
          )}
          {applied && (
            <p className="ok" role="status">
              {applied}
            </p>
          )}
        </>
      )}
    </section>
  );
}
