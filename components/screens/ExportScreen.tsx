'use client';
// Export: a trained checkpoint as one zip in Hugging Face layout (config.json with id2label, model.safetensors,
// tokenizer files, the run's config and metrics); import such a zip back to test it or keep training. The home for
// more formats later.
import { useState } from 'react';
import { engine } from '../engine-client';
import { useStudio, type Task } from '../state/studio';
import { ErrorNote, Help, ProgressBar, download, fmtBytes, toErrorInfoUI } from '../ui';
import { RunPicker, usePickedRun } from './RunPicker';
import type { ErrorInfo } from '@/lib/errors';

export function ExportScreen() {
  const { run } = usePickedRun();
  const setCurrentRun = useStudio((s) => s.setCurrentRun);
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [importError, setImportError] = useState<ErrorInfo | null>(null);

  const exportZip = async () => {
    if (!run) return;
    setError(null);
    setMsg(null);
    setTask({ label: 'Packing the zip', done: 0, total: 0 });
    try {
      const e = engine();
      const ev = await e.request({ type: 'export-zip', requestId: e.nextId('exp'), runId: run.id }, 'export-result', (p) =>
        setTask({ label: p.task, done: p.done, total: p.total }),
      );
      download(ev.fileName, ev.bytes as Uint8Array<ArrayBuffer>, 'application/zip');
      setMsg(`Downloaded ${ev.fileName} (${fmtBytes(ev.bytes.byteLength)}).`);
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  const importZip = async (file: File) => {
    setImportError(null);
    setMsg(null);
    setTask({ label: `Reading ${file.name}`, done: 0, total: file.size });
    try {
      const e = engine();
      const ev = await e.request({ type: 'import-zip', requestId: e.nextId('imp'), file, name: file.name }, 'import-result', (p) =>
        setTask({ label: p.task, done: p.done, total: p.total }),
      );
      setCurrentRun(ev.runId);
      setMsg(`Imported ${file.name}. It is now selected on Evaluate and Playground, and listed under Runs.`);
    } catch (err) {
      setImportError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  return (
    <div className="stack">
      <RunPicker />
      {run && (
        <section className="panel" aria-labelledby="hf-h">
          <h3 id="hf-h">Hugging Face layout (zip)</h3>
          <p className="small">
            config.json (with id2label and label2id), model.safetensors, the tokenizer files, plus run.json (settings, and the test scores
            when you ran Evaluate on the test split), evaluation.json (that Evaluate report) and metrics.jsonl. LoRA adapters are merged
            into the weights.
          </p>
          <p className="small" data-testid="export-loaders">
            {run.config.model.kind === 'bundled' || run.modelLabel?.toLowerCase().includes('use-lite')
              ? 'This run fine-tuned USE-Lite, which is not a transformers architecture: the zip loads back into this studio ' +
                '(Import a zip, below) and into the finetune command line (npx finetune predict --model FOLDER, eval, ' +
                'train --model FOLDER). Its folder holds config.json (model_type use-lite), model.safetensors under ' +
                "the original graph's weight names, and tokenizer.json."
              : 'This run fine-tuned a BERT-family model: the zip loads in Python transformers ' +
                '(AutoModelForSequenceClassification.from_pretrained on the unzipped folder), back into this studio, ' +
                'and into the finetune command line (npx finetune predict --model FOLDER).'}
          </p>
          <button type="button" className="primary" onClick={() => void exportZip()} disabled={!!task}>
            Download zip
          </button>
          <ErrorNote error={error} testId="export-error" />
        </section>
      )}
      <section className="panel" aria-labelledby="imp-h">
        <h3 id="imp-h">Import a zip</h3>
        <label className="button" htmlFor="import-zip">
          Choose a zip…
        </label>
        <input
          id="import-zip"
          className="visually-hidden-input"
          type="file"
          accept=".zip,application/zip"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importZip(f);
            e.target.value = '';
          }}
        />
        <Help>
          A zip exported here (or any folder in Hugging Face layout, zipped) becomes a run you can evaluate, try, or keep training.
        </Help>
        <ErrorNote error={importError} testId="import-error" />
      </section>
      {task && <ProgressBar task={task} />}
      {msg && (
        <p className="ok" role="status" data-testid="export-status">
          {msg}
        </p>
      )}
      <section className="panel muted small" aria-label="More formats">
        More formats (ONNX, TF.js graph model) will appear here.
      </section>
    </div>
  );
}
