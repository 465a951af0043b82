// Import a model zip (what the Export screen writes: a Hugging Face folder, or an ONNX folder with its config and
// tokenizer) back as a run that can be evaluated, tried in the playground, exported again or trained further.
import { unzipSync } from 'fflate';
import { UserError } from '../errors';
import type { Command } from '../protocol';
import { newId } from '../store/db';
import { presetConfig, type RunConfig } from '../run/config';
import { taskOfConfig } from '../models/open';
import { progressReporter, type SessionHost } from './context';
import { runModel } from './trained';
import type { RunMeta } from './runs';
import { dropWarm, sessionDb } from './state';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

/** Largest zip accepted for import (the whole file is read into memory). */
export const MAX_IMPORT_BYTES = 2 * 1024 ** 3;

/** Zip entries by path, with one common top folder removed ("my-model/config.json" -> "config.json"). */
export function unpack(bytes: Uint8Array, name: string): Record<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new UserError(
      `this is not a readable zip file (${(e as Error).message})`,
      { file: name },
      'choose a zip exported from the studio or a zipped Hugging Face model folder',
    );
  }
  const files = Object.entries(entries).filter(([p]) => !p.endsWith('/') && !p.startsWith('__MACOSX/'));
  const tops = new Set(files.map(([p]) => (p.includes('/') ? p.split('/')[0] : '')));
  const strip = tops.size === 1 && !tops.has('') ? [...tops][0].length + 1 : 0;
  return Object.fromEntries(files.map(([p, b]) => [p.slice(strip), b]));
}

export async function importZip(host: SessionHost, cmd: Cmd<'import-zip'>): Promise<void> {
  if (cmd.file.size > MAX_IMPORT_BYTES)
    throw new UserError(
      `the zip is ${(cmd.file.size / 1e9).toFixed(1)} GB, more than this browser import allows`,
      { file: cmd.name },
      'import a smaller model',
    );
  const progress = progressReporter(host, cmd.requestId, `Reading ${cmd.name}`);
  progress(0, 3);
  const files = unpack(new Uint8Array(await cmd.file.arrayBuffer()), cmd.name);
  for (const need of ['config.json', 'model.safetensors']) {
    // an ONNX folder's weights are its graph's initializers (lib/models/open.ts reads them)
    if (!files[need] && !(need === 'model.safetensors' && files['onnx/model.onnx']))
      throw new UserError(
        `the zip has no ${need}`,
        { file: cmd.name },
        'a model zip needs config.json, model.safetensors (or onnx/model.onnx) and tokenizer files (tokenizer.json or vocab.txt)',
      );
  }
  let config: { id2label?: Record<string, string>; problem_type?: string };
  try {
    config = JSON.parse(new TextDecoder().decode(files['config.json']));
  } catch (e) {
    throw new UserError(
      `config.json is not valid JSON (${(e as Error).message})`,
      { file: `${cmd.name}/config.json` },
      'export the model again',
    );
  }
  let run: Partial<RunConfig> = {};
  if (files['run.json']) {
    try {
      run = (JSON.parse(new TextDecoder().decode(files['run.json'])) as { config?: RunConfig }).config ?? {};
    } catch {
      run = {};
    }
  }
  const labels = config.id2label
    ? Object.keys(config.id2label)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => config.id2label![k])
    : [];
  const task: RunConfig['task'] =
    config.problem_type === 'regression'
      ? 'regression'
      : config.problem_type === 'multi_label_classification'
        ? 'multilabel'
        : 'classification';
  const db = sessionDb();
  const runId = newId('run');
  const name = `${cmd.name.replace(/\.zip$/i, '')} (imported)`;
  const c: RunConfig = { ...presetConfig('quick'), ...run, name, task, model: { kind: 'run', runId } };
  const meta: RunMeta = { run: c, datasetName: run.datasetId ? 'from the export' : '—', modelLabel: cmd.name, labels, imported: true };
  // a named-entity head is not one of the form's tasks: the config's architecture says it (BertForTokenClassification, ...)
  if (taskOfConfig(config as Record<string, unknown>) === 'token-classification') meta.task = 'token-classification';
  progress(1, 3, 'Storing the model files');
  await db.transaction('rw', db.runs, db.settings, async () => {
    await db.runs.add({
      id: runId,
      name,
      datasetId: c.datasetId || null,
      config: meta,
      status: 'completed',
      createdAt: Date.now(),
      updatedAt: Date.now(),
    });
    await db.settings.put({ key: `model-files:${runId}`, value: files });
  });
  progress(2, 3, 'Loading the model');
  try {
    await runModel(db, runId);
  } catch (e) {
    dropWarm(runId);
    await db.transaction('rw', db.runs, db.settings, async () => {
      await db.runs.delete(runId);
      await db.settings.delete(`model-files:${runId}`);
    });
    throw e;
  }
  progress(3, 3);
  host.post({ type: 'import-result', requestId: cmd.requestId, runId });
}
