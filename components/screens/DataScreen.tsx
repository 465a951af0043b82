'use client';
// Data: pick or drop a file (or the sample), preview it, map columns, set the split, import with progress; then the
// report and cleaning actions; training-data options (imbalance, augmentation, k-fold); stored datasets with size,
// rename and delete; storage use and quota.
import { useRef, useState, type DragEvent } from 'react';
import { engine } from '../engine-client';
import { useStudio, type Task } from '../state/studio';
import { useShallow } from 'zustand/react/shallow';
import { ErrorNote, Help, NextStep, ProgressBar, fmtBytes, fmtCount, toErrorInfoUI } from '../ui';
import { useDatasets } from '../stored';
import { DatasetReport } from './DatasetReport';
import { StoragePanel } from '../data/StoragePanel';
import { TrainingDataPanel } from '../data/TrainingDataPanel';
import { MappingForm, mappingComplete } from '../data/MappingForm';
import type { ErrorInfo } from '@/lib/errors';
import type { StoredDataset } from '@/lib/session/types';

const SAMPLE_URL = '/samples/spam-assassin.csv';

export function DataScreen() {
  const { preview, previewFile, mapping, split, datasetId, setPreview, setMapping, setSplit, setDataset } = useStudio(
    useShallow((s) => ({
      preview: s.preview,
      previewFile: s.previewFile,
      mapping: s.mapping,
      split: s.split,
      datasetId: s.datasetId,
      setPreview: s.setPreview,
      setMapping: s.setMapping,
      setSplit: s.setSplit,
      setDataset: s.setDataset,
    })),
  );
  const datasets = useDatasets();
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [imported, setImported] = useState<{ rows: number; warnings: string[] } | null>(null);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  /** `hasHeader`: read the first row as the column names or as data, as the person chose (left out: detected) */
  const open = async (file: File, hasHeader?: boolean) => {
    setError(null);
    setImported(null);
    setTask({ label: `Reading ${file.name}`, done: 0, total: 0 });
    try {
      const e = engine();
      const ev = await e.request(
        { type: 'dataset-preview', requestId: e.nextId('pv'), file, name: file.name, ...(hasHeader === undefined ? {} : { hasHeader }) },
        'dataset-preview-result',
        (p) => setTask({ label: p.task, done: p.done, total: p.total, etaSec: p.etaSec }),
      );
      setPreview(ev.preview, file);
    } catch (err) {
      setPreview(null, null);
      setError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  const trySample = async () => {
    setError(null);
    try {
      const r = await fetch(SAMPLE_URL);
      if (!r.ok) throw new Error(`The sample file is missing (${r.status}); run \`npm run assets\` to generate it.`);
      const blob = await r.blob();
      await open(new File([blob], 'spam-assassin.csv', { type: 'text/csv' }));
    } catch (err) {
      setError(toErrorInfoUI(err));
    }
  };

  const doImport = async () => {
    if (!previewFile || !mapping || !preview) return;
    setError(null);
    setTask({ label: 'Importing', done: 0, total: previewFile.size });
    try {
      const e = engine();
      const ev = await e.request(
        {
          type: 'dataset-import',
          requestId: e.nextId('imp'),
          file: previewFile,
          name: previewFile.name,
          mapping,
          split,
          hasHeader: preview.hasHeader,
        },
        'dataset-imported',
        (p) => setTask({ label: p.task, done: p.done, total: p.total, etaSec: p.etaSec }),
      );
      setImported({ rows: ev.rows, warnings: ev.warnings });
      setDataset(ev.datasetId);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  const onDrop = (ev: DragEvent) => {
    ev.preventDefault();
    setDragging(false);
    const f = ev.dataTransfer.files[0];
    if (f) void open(f);
  };

  return (
    <div className="stack">
      {datasets.length === 0 && !preview && (
        <section className="panel welcome" aria-labelledby="welcome-h">
          <h3 id="welcome-h">New here?</h3>
          <p>
            Follow the steps left to right: bring labeled text (<strong>Data</strong>), pick an encoder (<strong>Model</strong>), choose a
            preset (<strong>Train</strong>) and watch it learn (<strong>Run</strong>). Then test it in <strong>Evaluate</strong> and{' '}
            <strong>Playground</strong>, and download it from <strong>Export</strong>. Everything stays in this browser.
          </p>
          <button type="button" className="primary" onClick={() => void trySample()}>
            Try a sample (SpamAssassin e-mails: spam vs ham)
          </button>
        </section>
      )}

      <section className="panel" aria-labelledby="pick-h">
        <h3 id="pick-h">Bring a file</h3>
        <div
          className={`dropzone ${dragging ? 'dragging' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <p>Drop a CSV, TSV, JSONL/JSON or CoNLL file here, or</p>
          <label className="button" htmlFor="data-file">
            Choose a file…
          </label>
          <input
            id="data-file"
            ref={inputRef}
            className="visually-hidden-input"
            type="file"
            accept=".csv,.tsv,.txt,.jsonl,.json,.conll"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void open(f);
              e.target.value = '';
            }}
          />
          {datasets.length > 0 && (
            <button type="button" onClick={() => void trySample()}>
              Try a sample
            </button>
          )}
        </div>
        {task && <ProgressBar task={task} testId="data-progress" />}
        <ErrorNote error={error} testId="data-error" />
      </section>

      {preview && mapping && (
        <section className="panel" aria-labelledby="map-h">
          <h3 id="map-h">
            {preview.fileName}{' '}
            <span className="muted small">
              · {fmtBytes(preview.bytes)} · {preview.format} · {preview.encoding}
            </span>
          </h3>
          {preview.warnings.length > 0 && (
            <ul className="warnings" aria-label="Warnings">
              {preview.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          )}
          {preview.headerChoice && previewFile && (
            <div>
              <label className="check">
                <input
                  type="checkbox"
                  checked={preview.hasHeader}
                  disabled={!!task}
                  data-testid="has-header"
                  onChange={(e) => void open(previewFile, e.target.checked)}
                />
                The first row names the columns
              </label>
              <Help>
                Detected from the file. If the names in the table below are really your first row of data, or your column names show up as a
                row, change it here.
              </Help>
            </div>
          )}
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Preview of the first rows">
            <table className="data-table" data-testid="preview-table">
              <thead>
                <tr>
                  {preview.columns.map((c) => (
                    <th key={c} scope="col">
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.slice(0, 8).map((r, i) => (
                  <tr key={i}>
                    {r.map((cell, j) => (
                      <td key={j}>{cell.length > 120 ? `${cell.slice(0, 120)}…` : cell}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <MappingForm columns={preview.columns} mapping={mapping} onChange={setMapping} />
          <fieldset className="grid-form">
            <legend>Split</legend>
            <label>
              Validation share
              <input
                type="number"
                min={0}
                max={0.5}
                step={0.05}
                value={split.validation}
                onChange={(e) => setSplit({ validation: Number(e.target.value) })}
              />
            </label>
            <label>
              Test share
              <input
                type="number"
                min={0}
                max={0.5}
                step={0.05}
                value={split.test}
                onChange={(e) => setSplit({ test: Number(e.target.value) })}
              />
            </label>
            <label>
              Split seed
              <input type="number" min={0} step={1} value={split.seed} onChange={(e) => setSplit({ seed: Number(e.target.value) })} />
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={split.useSplitColumn}
                disabled={!mapping.split}
                onChange={(e) => setSplit({ useSplitColumn: e.target.checked })}
              />
              Use the split column instead
            </label>
            <Help>
              Stratified by {mapping.task === 'token-classification' ? 'entity type' : 'label'} and reproducible from the seed; the test
              split is held out until Evaluate.
            </Help>
          </fieldset>
          <div className="row">
            <button type="button" className="primary" onClick={() => void doImport()} disabled={!!task || !mappingComplete(mapping)}>
              Import {fmtCount(preview.rowCount)} {mapping.task === 'token-classification' ? 'sentences' : 'rows'}
            </button>
          </div>
          {imported && (
            <p className="ok" role="status" data-testid="import-done">
              Imported {fmtCount(imported.rows)} {mapping.task === 'token-classification' ? 'sentences' : 'rows'}.
              {imported.warnings.length > 0 && ` ${imported.warnings.length} warning(s): ${imported.warnings.join('; ')}`}
            </p>
          )}
        </section>
      )}

      {datasetId && <DatasetReport datasetId={datasetId} />}
      {datasetId && <TrainingDataPanel datasetId={datasetId} />}

      <StoredDatasets datasets={datasets} current={datasetId} onUse={setDataset} />
      <StoragePanel revision={datasets.map((d) => `${d.id}:${d.rows}`).join(',')} />
      {datasetId && <NextStep to="model" />}
    </div>
  );
}

function StoredDatasets({
  datasets,
  current,
  onUse,
}: {
  datasets: StoredDataset[];
  current: string | null;
  onUse(id: string | null): void;
}) {
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const rename = async (d: StoredDataset) => {
    try {
      const e = engine();
      await e.request({ type: 'dataset-rename', requestId: e.nextId('ren'), datasetId: d.id, name: draft }, 'ok');
      setRenaming(null);
      setError(null);
    } catch (err) {
      setError(toErrorInfoUI(err));
    }
  };
  const del = async (d: StoredDataset) => {
    if (!confirm(`Delete "${d.name}" and its ${d.rows} rows from this browser?`)) return;
    try {
      const e = engine();
      await e.request({ type: 'dataset-delete', requestId: e.nextId('del'), datasetId: d.id }, 'ok');
      if (current === d.id) onUse(null);
    } catch (err) {
      setError(toErrorInfoUI(err));
    }
  };
  return (
    <section className="panel" aria-labelledby="stored-h">
      <h3 id="stored-h">Stored datasets</h3>
      {datasets.length === 0 ? (
        <p className="muted">None yet. Imported datasets stay in this browser (IndexedDB) until you delete them.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Stored datasets">
          <table className="data-table" data-testid="stored-datasets">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Rows</th>
                <th scope="col">Labels</th>
                <th scope="col">Size</th>
                <th scope="col">Imported</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id} aria-current={d.id === current ? 'true' : undefined} className={d.id === current ? 'selected' : ''}>
                  <td>
                    {renaming === d.id ? (
                      <form
                        className="row"
                        onSubmit={(e) => {
                          e.preventDefault();
                          void rename(d);
                        }}
                      >
                        <label className="sr-only" htmlFor={`rename-${d.id}`}>
                          New name for {d.name}
                        </label>
                        <input
                          id={`rename-${d.id}`}
                          value={draft}
                          autoFocus
                          onChange={(e) => setDraft(e.target.value)}
                          onKeyDown={(e) => {
                            if (e.key === 'Escape') setRenaming(null);
                          }}
                        />
                        <button type="submit">Save name</button>
                        <button type="button" onClick={() => setRenaming(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      d.name
                    )}
                  </td>
                  <td>{fmtCount(d.rows)}</td>
                  <td>{d.labels.length}</td>
                  <td>{fmtBytes(d.bytes)}</td>
                  <td>{new Date(d.createdAt).toLocaleString()}</td>
                  <td className="row">
                    <button type="button" onClick={() => onUse(d.id)} disabled={d.id === current} aria-label={`Use ${d.name}`}>
                      {d.id === current ? 'In use' : 'Use'}
                    </button>
                    <button
                      type="button"
                      onClick={() => {
                        setDraft(d.name);
                        setRenaming(d.id);
                      }}
                      aria-label={`Rename ${d.name}`}
                    >
                      Rename
                    </button>
                    <button type="button" className="danger" onClick={() => void del(d)} aria-label={`Delete ${d.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorNote error={error} testId="stored-error" />
    </section>
  );
}
