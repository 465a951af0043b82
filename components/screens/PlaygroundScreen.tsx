'use client';
// Playground: type a text (or a pair) and see the predicted label with top-k probability bars, updated as you type
// (debounced; the model runs in the worker). Batch prediction over a CSV gives a downloadable predictions CSV. A
// named-entity run shows the text with its entities instead (./EntityPlayground.tsx).
import { useEffect, useRef, useState } from 'react';
import { engine } from '../engine-client';
import type { Task } from '../state/studio';
import { download, ErrorNote, Help, NextStep, ProgressBar, toErrorInfoUI, TryText } from '../ui';
import { RunPicker, usePickedRun } from './RunPicker';
import { EntityPlayground } from './EntityPlayground';
import { PALETTE } from '../charts/palette';
import type { ErrorInfo } from '@/lib/errors';
import type { Prediction } from '@/lib/session/types';

const DEBOUNCE_MS = 250;

export function PlaygroundScreen() {
  const { run } = usePickedRun();
  const [text, setText] = useState('');
  const [pair, setPair] = useState('');
  const [pred, setPred] = useState<Prediction | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const latest = useRef(0);
  const [usePair, setUsePair] = useState(false);
  const ner = run?.task === 'token-classification';

  useEffect(() => {
    if (!run || ner || !text.trim()) {
      setPred(null);
      return;
    }
    const id = ++latest.current;
    const t = setTimeout(async () => {
      setBusy(true);
      try {
        const e = engine();
        const ev = await e.request(
          {
            type: 'predict',
            requestId: e.nextId('pred'),
            runId: run.id,
            inputs: [{ text, pair: usePair && pair ? pair : undefined }],
            topK: 5,
          },
          'predictions',
        );
        if (id === latest.current) {
          setPred(ev.predictions[0]);
          setError(null);
        }
      } catch (err) {
        if (id === latest.current) setError(toErrorInfoUI(err));
      } finally {
        if (id === latest.current) setBusy(false);
      }
    }, DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, pair, usePair, run, ner]);

  return (
    <div className="stack">
      <RunPicker />
      {run && ner && <EntityPlayground key={run.id} run={run} />}
      {run && !ner && (
        <section className="panel" aria-labelledby="try-h">
          <TryText value={text} onChange={setText} placeholder="Type or paste a text to classify…" />
          <label className="check">
            <input type="checkbox" checked={usePair} onChange={(e) => setUsePair(e.target.checked)} /> Sentence pair
          </label>
          {usePair && (
            <>
              <label className="block" htmlFor="pg-pair">
                Second text (pair)
              </label>
              <textarea id="pg-pair" rows={2} value={pair} onChange={(e) => setPair(e.target.value)} />
            </>
          )}
          <ErrorNote error={error} testId="predict-error" />
          <div aria-live="polite" data-testid="prediction" aria-busy={busy}>
            {pred && (
              <>
                <p>
                  Predicted: <strong data-testid="predicted-label">{pred.label}</strong>
                </p>
                <ul className="prob-bars" aria-label="Probabilities">
                  {pred.top.map((t, i) => (
                    <li key={t.label}>
                      <span className="prob-label">{t.label}</span>
                      <span className="prob-track">
                        <span className="prob-fill" style={{ width: `${(t.p * 100).toFixed(1)}%`, background: PALETTE[i === 0 ? 0 : 4] }} />
                      </span>
                      <span className="prob-value" data-testid="prob-value">
                        {(t.p * 100).toFixed(1)}%
                      </span>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        </section>
      )}
      {run && !ner && <BatchPredict runId={run.id} />}
      {run && <NextStep to="export" />}
    </div>
  );
}

function BatchPredict({ runId }: { runId: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [textColumn, setTextColumn] = useState('text');
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const run = async () => {
    if (!file) return;
    setError(null);
    setDone(null);
    setTask({ label: 'Predicting', done: 0, total: 0 });
    try {
      const e = engine();
      const ev = await e.request({ type: 'predict-csv', requestId: e.nextId('pcsv'), runId, file, textColumn }, 'predict-csv-result', (p) =>
        setTask({ label: p.task, done: p.done, total: p.total, etaSec: p.etaSec }),
      );
      download(file.name.replace(/\.\w+$/, '') + '.predictions.csv', ev.csv, 'text/csv');
      setDone(`Predicted ${ev.rows} rows; the CSV was downloaded.`);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  return (
    <section className="panel" aria-labelledby="batch-h">
      <h3 id="batch-h">Batch prediction</h3>
      <div className="row">
        <label className="button" htmlFor="batch-file">
          Choose a CSV…
        </label>
        <input
          id="batch-file"
          className="visually-hidden-input"
          type="file"
          accept=".csv,.tsv,.txt,.jsonl"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
        {file && <span className="small">{file.name}</span>}
        <label>
          Text column
          <input value={textColumn} onChange={(e) => setTextColumn(e.target.value)} />
        </label>
        <button type="button" onClick={() => void run()} disabled={!file || !!task}>
          Predict and download
        </button>
      </div>
      <Help>
        Adds predicted_label and one probability column per label. Cells starting with = + - @ are prefixed with &apos; so spreadsheets do
        not run them as formulas.
      </Help>
      {task && <ProgressBar task={task} />}
      <ErrorNote error={error} />
      {done && (
        <p className="ok" role="status">
          {done}
        </p>
      )}
    </section>
  );
}
