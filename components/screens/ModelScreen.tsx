'use client';
// Model: the bundled USE-Lite (ready offline), a Hugging Face Hub id (downloaded in this browser, cached), a local
// folder in Hugging Face layout, or a model imported on the Export screen. Shows architecture, parameter count, cache
// state and rough memory/time estimates.
import { useEffect, useState } from 'react';
import { engine } from '../engine-client';
import { useRuns } from '../stored';
import { useStudio, type Task } from '../state/studio';
import { useShallow } from 'zustand/react/shallow';
import { ErrorNote, Help, NextStep, ProgressBar, fmtBytes, fmtCount, fmtDuration, toErrorInfoUI } from '../ui';
import type { ErrorInfo } from '@/lib/errors';
import type { ModelSpec } from '@/lib/run/config';

const DEFAULT_ENDPOINT = 'https://huggingface.co';
const ENDPOINT_KEY = 'finetune.hubEndpoint';

const SUGGESTIONS = [
  'google/bert_uncased_L-2_H-128_A-2',
  'google/bert_uncased_L-4_H-256_A-4',
  'sentence-transformers/all-MiniLM-L6-v2',
  'distilbert-base-uncased',
  'roberta-base',
];

export function ModelScreen() {
  const { model, setModel, config } = useStudio(useShallow((s) => ({ model: s.model, setModel: s.setModel, config: s.config })));
  const [hubId, setHubId] = useState('');
  const [revision, setRevision] = useState('main');
  const [endpoint, setEndpointState] = useState(DEFAULT_ENDPOINT);
  // the endpoint is a per-browser setting, read after mount so the server-rendered HTML matches
  useEffect(() => setEndpointState(localStorage.getItem(ENDPOINT_KEY) || DEFAULT_ENDPOINT), []);
  const setEndpoint = (v: string) => {
    setEndpointState(v);
    localStorage.setItem(ENDPOINT_KEY, v);
  };
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const imported = useRuns().filter((r) => r.imported);
  const [importedId, setImportedId] = useState('');

  const load = async (spec: ModelSpec, files?: File[]) => {
    setError(null);
    setTask({ label: 'Loading the model', done: 0, total: 0 });
    try {
      const e = engine();
      const ev = await e.request({ type: 'model-load', requestId: e.nextId('model'), spec, files }, 'model-loaded', (p) =>
        setTask({ label: p.task, done: p.done, total: p.total, etaSec: p.etaSec }),
      );
      setModel(ev.info);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  return (
    <div className="stack">
      <div className="cards">
        <section className="panel card" aria-labelledby="bundled-h">
          <h3 id="bundled-h">USE-Lite (bundled)</h3>
          <p>
            Universal Sentence Encoder Lite: 2 transformer layers, 8,000-piece SentencePiece vocabulary, 512-d sentence embeddings. Ships
            with the studio: <strong className="ok">ready offline</strong>.
          </p>
          <button type="button" className="primary" onClick={() => void load({ kind: 'bundled' })} disabled={!!task}>
            Use USE-Lite
          </button>
        </section>

        <section className="panel card" aria-labelledby="hub-h">
          <h3 id="hub-h">From the Hugging Face Hub</h3>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const ep = endpoint.trim().replace(/\/+$/, '');
              if (hubId.trim())
                void load({
                  kind: 'hub',
                  id: hubId.trim(),
                  revision: revision.trim() || 'main',
                  ...(ep && ep !== DEFAULT_ENDPOINT ? { endpoint: ep } : {}),
                });
            }}
          >
            <label>
              Model id
              <input
                list="hub-suggestions"
                value={hubId}
                onChange={(e) => setHubId(e.target.value)}
                placeholder="google/bert_uncased_L-2_H-128_A-2"
                spellCheck={false}
              />
            </label>
            <datalist id="hub-suggestions">
              {SUGGESTIONS.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
            <label>
              Revision
              <input value={revision} onChange={(e) => setRevision(e.target.value)} spellCheck={false} />
            </label>
            <details>
              <summary>Advanced: Hub endpoint</summary>
              <label>
                Hub endpoint
                <input value={endpoint} onChange={(e) => setEndpoint(e.target.value)} placeholder={DEFAULT_ENDPOINT} spellCheck={false} />
              </label>
              <Help>
                Where files are downloaded from (a Hub mirror serving /&lt;id&gt;/resolve/&lt;revision&gt;/&lt;file&gt;); the page may only
                reach origins its Content-Security-Policy allows.
              </Help>
            </details>
            <Help>
              BERT, DistilBERT and RoBERTa checkpoints with model.safetensors. Files download once into this browser and are cached.
            </Help>
            <button type="submit" disabled={!!task || !hubId.trim()}>
              Download and load
            </button>
          </form>
        </section>

        <section className="panel card" aria-labelledby="folder-h">
          <h3 id="folder-h">From a local folder</h3>
          <p className="small">A folder in Hugging Face layout: config.json, model.safetensors, and tokenizer.json or vocab.txt.</p>
          <label className="button" htmlFor="model-folder">
            Choose a folder…
          </label>
          <input
            id="model-folder"
            className="visually-hidden-input"
            type="file"
            multiple
            // @ts-expect-error non-standard but supported by Chromium, Firefox and Safari
            webkitdirectory=""
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              if (files.length) {
                const name = (files[0] as File & { webkitRelativePath?: string }).webkitRelativePath?.split('/')[0] || 'folder';
                void load({ kind: 'folder', name }, files);
              }
              e.target.value = '';
            }}
          />
        </section>
        {imported.length > 0 && (
          <section className="panel card" aria-labelledby="imported-h">
            <h3 id="imported-h">An imported model</h3>
            <p className="small">A model imported on the Export screen, to train further on your data.</p>
            <select aria-label="Imported model" value={importedId} onChange={(e) => setImportedId(e.target.value)}>
              {imported.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>{' '}
            <button
              type="button"
              onClick={() => void load({ kind: 'run', runId: importedId || imported[0].id })}
              disabled={!!task}
              data-testid="load-imported"
            >
              Load
            </button>
          </section>
        )}
      </div>

      {task && <ProgressBar task={task} testId="model-progress" />}
      <ErrorNote error={error} testId="model-error" />

      {model && (
        <section className="panel" aria-labelledby="loaded-h" data-testid="model-info">
          <h3 id="loaded-h">Loaded: {model.label}</h3>
          <dl className="stats">
            <div>
              <dt>Architecture</dt>
              <dd data-testid="model-arch">{model.arch}</dd>
            </div>
            <div>
              <dt>Parameters</dt>
              <dd data-testid="model-params" data-value={model.params}>
                {fmtCount(model.params)}
              </dd>
            </div>
            <div>
              <dt>Layers · hidden size</dt>
              <dd>
                {model.layers} · {model.hiddenSize}
              </dd>
            </div>
            <div>
              <dt>Max tokens · vocabulary</dt>
              <dd>
                {model.maxLength} · {fmtCount(model.vocabSize)}
              </dd>
            </div>
            <div>
              <dt>Stored</dt>
              <dd>
                {model.spec.kind === 'bundled' ? 'bundled with the studio' : model.cached ? 'cached in this browser' : 'in memory only'}
              </dd>
            </div>
            <div>
              <dt>Memory for full fine-tuning</dt>
              <dd>≈ {fmtBytes(model.estimate?.memoryMB ? model.estimate.memoryMB * 2 ** 20 : model.params * 16)}</dd>
            </div>
            {model.estimate?.samplesPerSec && (
              <div>
                <dt>Time per epoch (this backend)</dt>
                <dd>≈ {fmtDuration(1000 / model.estimate.samplesPerSec)} per 1,000 examples</dd>
              </div>
            )}
          </dl>
          {model.spec.kind === 'run' && (
            <p className="small" data-testid="model-fresh-start">
              Training starts from this model&apos;s weights, its head included when your data has the same labels, with a fresh optimizer:
              step 0 and a new learning-rate schedule (the optimizer state is not part of an exported model).
            </p>
          )}
          <Help>
            Memory counts weights, gradients and the two Adam moments (4 × parameters × 4 bytes) plus activations for batch{' '}
            {config.batchSize}.
          </Help>
        </section>
      )}
      {model && <NextStep to="train" />}
    </div>
  );
}
