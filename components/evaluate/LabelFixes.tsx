'use client';
// From errors back to better data: the misclassified examples of Evaluate with a "fix" choice per row (the label is
// wrong and should be X, or drop the row), the fixes pending, saving them as a new dataset version (the original
// stays, as cleaning does), and retraining with the same settings on the fixed data as a new run beside the old one.
import { useState } from 'react';
import { engine } from '../engine-client';
import { useStudio } from '../state/studio';
import { startRunAndShow } from '../start-run';
import { ErrorNote, pct, toErrorInfoUI } from '../ui';
import { ExamplesPanel } from './ExamplesPanel';
import type { ErrorInfo } from '@/lib/errors';
import type { EvaluationResult, Misclassified, RunRecord } from '@/lib/session/types';

type Fix = { label: string } | { drop: true };

export function LabelFixes({ r, run }: { r: EvaluationResult; run: RunRecord }) {
  const [fixes, setFixes] = useState<Map<number, Fix>>(new Map());
  const [saved, setSaved] = useState<{ datasetId: string; name: string } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const { setDataset } = useStudio.getState();

  const choose = (m: Misclassified, value: string) => {
    if (m.row === undefined) return;
    const next = new Map(fixes);
    if (value === '') next.delete(m.row);
    else next.set(m.row, value === '\u0000drop' ? { drop: true } : { label: value });
    setFixes(next);
    setSaved(null);
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const e = engine();
      const list = [...fixes].map(([row, f]) => ({ row, ...('drop' in f ? { drop: true } : { label: f.label }) }));
      const ev = await e.request(
        { type: 'dataset-fix', requestId: e.nextId('fix'), datasetId: run.config.datasetId, fixes: list },
        'dataset-fixed',
      );
      setSaved({ datasetId: ev.datasetId, name: ev.name });
      setFixes(new Map());
      setDataset(ev.datasetId);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setBusy(false);
    }
  };

  const retrain = async () => {
    if (!saved) return;
    setBusy(true);
    setError(null);
    try {
      await startRunAndShow({ ...run.config, datasetId: saved.datasetId, name: `${run.name} · fixed data` });
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setBusy(false);
    }
  };

  const [suspicious, setSuspicious] = useState<{ rows: Misclassified[]; scored: number } | null>(null);
  const rank = async () => {
    setBusy(true);
    setError(null);
    try {
      const e = engine();
      const ev = await e.request(
        { type: 'suspicious-rows', requestId: e.nextId('sus'), runId: run.id, limit: 50 },
        'suspicious-rows-result',
      );
      setSuspicious({ rows: ev.rows, scored: ev.scored });
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setBusy(false);
    }
  };

  const fixCell = (m: Misclassified) => (
    <select
      key="fix"
      className="fix-select"
      aria-label={`Fix the label of: ${m.text.slice(0, 60)}`}
      value={valueOf(m)}
      disabled={m.row === undefined}
      onChange={(e) => choose(m, e.target.value)}
    >
      <option value="">Label is right</option>
      {r.labels
        .filter((l) => l !== m.trueLabel)
        .map((l) => (
          <option key={l} value={l}>
            Label is wrong → {l}
          </option>
        ))}
      <option value={'\u0000drop'}>Drop this row</option>
    </select>
  );

  const valueOf = (m: Misclassified) => {
    const f = m.row === undefined ? undefined : fixes.get(m.row);
    return !f ? '' : 'drop' in f ? '\u0000drop' : f.label;
  };

  return (
    <>
      <ExamplesPanel
        id="mis-h"
        title={`Misclassified examples (${r.misclassified.length})`}
        testId="misclassified"
        columns={['True', 'Predicted', 'Confidence', 'Fix']}
        rows={r.misclassified}
        cells={(m) => [m.trueLabel, m.predicted, pct(m.confidence), fixCell(m)]}
        labelFilter={{ name: 'True label', labels: r.labels, matches: (m, l) => m.trueLabel === l }}
      />
      <section className="panel" aria-labelledby="sus-h">
        <h3 id="sus-h">Suspicious training rows</h3>
        <p className="small">
          Label mistakes in the training data teach the model wrong things. This ranks the training rows by how unlikely the trained model
          finds their label (the highest loss first): the top of the list is where wrong labels usually are.
        </p>
        <button type="button" onClick={() => void rank()} disabled={busy}>
          Rank the training rows
        </button>
      </section>
      {suspicious && (
        <ExamplesPanel
          id="sus-list-h"
          title={`The ${suspicious.rows.length} most suspicious of ${suspicious.scored.toLocaleString('en')} training rows`}
          testId="suspicious-rows"
          columns={['Label', 'Model says', 'Confidence', 'Fix']}
          rows={suspicious.rows}
          cells={(m) => [m.trueLabel, m.predicted, pct(m.confidence), fixCell(m)]}
        />
      )}
      <section className="panel" aria-labelledby="fixes-h" data-testid="label-fixes">
        <h3 id="fixes-h">Fix the data</h3>
        {fixes.size > 0 ? (
          <div className="row">
            <span data-testid="fixes-pending">
              {fixes.size} fix{fixes.size === 1 ? '' : 'es'} pending
            </span>
            <button type="button" className="primary" onClick={() => void save()} disabled={busy}>
              Save as a new dataset version
            </button>
          </div>
        ) : (
          !saved && (
            <p className="small muted">
              Mark misclassified examples whose label is wrong (or that should go); the fixes become a new version of the dataset and the
              original stays.
            </p>
          )
        )}
        {saved && (
          <div className="row">
            <span data-testid="fixes-saved">Saved as “{saved.name}”.</span>
            <button type="button" className="primary" onClick={() => void retrain()} disabled={busy}>
              Retrain with the same settings on the fixed data
            </button>
          </div>
        )}
        <ErrorNote error={error} testId="fix-error" />
      </section>
    </>
  );
}
