'use client';
// Export: a trained run as one zip in the chosen format (Hugging Face folder, ONNX folder, Python recipe; the engine
// writes them, lib/export/), a project bundle of everything stored (BundlePanel), and a model zip imported back to
// test it or train it further (from the Model screen, with a fresh optimizer).
import { useState } from 'react';
import { engine } from '../engine-client';
import { useStudio, type Task } from '../state/studio';
import { ErrorNote, Help, ProgressBar, download, fmtBytes, toErrorInfoUI } from '../ui';
import { RunPicker, usePickedRun } from './RunPicker';
import { BundlePanel } from './BundlePanel';
import type { ErrorInfo } from '@/lib/errors';

type Format = 'hf' | 'onnx' | 'recipe';

const FORMATS: { id: Format; title: string; what: string }[] = [
  {
    id: 'hf',
    title: 'Hugging Face folder',
    what:
      'config.json (id2label, problem_type), model.safetensors (LoRA merged), the tokenizer files, a model card (README.md), ' +
      'run.json, metrics.jsonl and the Evaluate report.',
  },
  {
    id: 'onnx',
    title: 'ONNX',
    what:
      'onnx/model.onnx (opset 14, fp32: token ids and attention mask in, logits and last_hidden_state out) with config.json, ' +
      'the tokenizer files and the model card, laid out as transformers.js loads a model folder.',
  },
  {
    id: 'recipe',
    title: 'Python training recipe',
    what:
      "the run's exact split CSVs, train.py (Hugging Face Trainer with this run's model, labels and hyperparameters; LoRA via " +
      'peft), requirements.txt and a README with python train.py and accelerate launch for several GPUs.',
  },
];

function loadersText(format: Format, useLite: boolean): string {
  if (format === 'recipe')
    return useLite
      ? 'USE-Lite is not a transformers model: train.py names a small sentence encoder in its place (said at its top); change it there.'
      : 'Runs wherever Python and PyTorch are: pip install -r requirements.txt, then python train.py.';
  if (format === 'onnx')
    return useLite
      ? 'Runs in onnxruntime (Python, Node, the web) on token ids from tokenizer.json; the folder also imports back here.'
      : "Loads in transformers.js (pipeline('text-classification', folder)) and onnxruntime, and imports back here.";
  return useLite
    ? 'This run fine-tuned USE-Lite, which is not a transformers architecture: the zip loads back into this studio ' +
        '(Import a zip, below) and into the finetune command line (npx finetune predict --model FOLDER, eval, ' +
        'train --model FOLDER). Its folder holds config.json (model_type use-lite), model.safetensors under ' +
        "the original graph's weight names, and tokenizer.json; the model card describes the format."
    : 'This run fine-tuned a BERT-family model: the zip loads in Python transformers ' +
        '(AutoModelForSequenceClassification.from_pretrained on the unzipped folder), back into this studio, ' +
        'and into the finetune command line (npx finetune predict --model FOLDER).';
}

export function ExportScreen() {
  const { run } = usePickedRun();
  const [picked, setFormat] = useState<Format>('hf');
  const format: Format = picked === 'recipe' && run?.imported ? 'hf' : picked;
  const useLite = !!run && (run.config.model.kind === 'bundled' || run.modelLabel?.toLowerCase().includes('use-lite'));
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
      const ev = await e.request({ type: 'export-zip', requestId: e.nextId('exp'), runId: run.id, format }, 'export-result', (p) =>
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
      setMsg(
        `Imported ${file.name}. It is now selected on Evaluate and Playground, and listed under Runs. To train it further, ` +
          'load it on the Model screen ("An imported model"): training starts from its weights with a fresh optimizer.',
      );
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
        <section className="panel" aria-labelledby="fmt-h">
          <h3 id="fmt-h">Download the model</h3>
          <fieldset className="formats">
            <legend className="small">Format</legend>
            {FORMATS.map((f) => {
              // an imported model carries no training data, which the recipe is made of
              const off = f.id === 'recipe' && !!run.imported;
              return (
                <label key={f.id} className="format-choice">
                  <input
                    type="radio"
                    name="export-format"
                    value={f.id}
                    checked={format === f.id && !off}
                    disabled={off}
                    onChange={() => setFormat(f.id)}
                  />{' '}
                  <strong>{f.title}</strong>
                  <span className="small"> {off ? 'not for an imported model: it carries no training data.' : f.what}</span>
                </label>
              );
            })}
          </fieldset>
          <p className="small" data-testid="export-loaders">
            {loadersText(format, useLite)}
          </p>
          <button type="button" className="primary" onClick={() => void exportZip()} disabled={!!task} data-testid="export-download">
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
          A zip exported here (Hugging Face or ONNX folder), or any folder in Hugging Face layout zipped, becomes a run you can evaluate,
          try, or train further from the Model screen.
        </Help>
        <ErrorNote error={importError} testId="import-error" />
      </section>
      {task && <ProgressBar task={task} />}
      {msg && (
        <p className="ok" role="status" data-testid="export-status">
          {msg}
        </p>
      )}
      <BundlePanel />
    </div>
  );
}
