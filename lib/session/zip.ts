// Export a run's trained model as one zip in Hugging Face layout (config.json with id2label/label2id,
// model.safetensors with LoRA merged, tokenizer files, run.json, metrics.jsonl), and import such a zip back as a run
// that can be evaluated, tried in the playground, exported again or trained further.
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { UserError } from '../errors';
import { taskModelFiles } from '../models/open';
import type { Command, EvaluationReport } from '../protocol';
import { getSetting, newId } from '../store/db';
import { DexieRunStore } from '../store/db-runs';
import { presetConfig, type RunConfig } from '../run/config';
import { progressReporter, type SessionHost } from './context';
import { evaluationKey, runModel } from './inference';
import type { RunMeta } from './runs';
import { dropWarm, sessionDb } from './state';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

/** Largest zip accepted for import (the whole file is read into memory). */
export const MAX_IMPORT_BYTES = 2 * 1024 ** 3;

const safeName = (s: string) =>
  s
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase() || 'model';

export async function exportZip(host: SessionHost, cmd: Cmd<'export-zip'>): Promise<void> {
  const db = sessionDb();
  const row = await db.runs.get(cmd.runId);
  if (!row) throw new UserError(`there is no run "${cmd.runId}"`, { option: 'run' }, 'it may have been deleted');
  const meta = row.config as RunMeta;
  const progress = progressReporter(host, cmd.requestId, 'Packing the zip');
  progress(0, 4, 'Loading the trained weights');
  const model = await runModel(db, cmd.runId);
  progress(1, 4, 'Writing model.safetensors');
  const files: Zippable = {};
  for (const [name, content] of Object.entries(await taskModelFiles(model))) {
    files[name] =
      name === 'model.safetensors' ? [content as Uint8Array, { level: 0 }] : typeof content === 'string' ? strToU8(content) : content;
  }
  progress(2, 4, 'Adding the run settings and metrics');
  // the latest Evaluate result on the test split, where the person ran one
  const test = await getSetting<EvaluationReport | null>(db, evaluationKey(cmd.runId, 'test'), null);
  if (test) files['evaluation.json'] = strToU8(JSON.stringify(test, null, 2));
  const testScores = test ? Object.fromEntries(Object.entries(test).filter(([, v]) => typeof v === 'number')) : undefined;
  files['run.json'] = strToU8(
    JSON.stringify(
      {
        id: row.id,
        name: row.name,
        config: meta.run,
        labels: model.labels,
        best: meta.best,
        ...(testScores ? { test: testScores } : {}),
        exportedAt: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
  const metrics = await new DexieRunStore(db).readMetrics(cmd.runId);
  files['metrics.jsonl'] = strToU8(metrics.map((m) => JSON.stringify(m)).join('\n') + (metrics.length ? '\n' : ''));
  progress(3, 4, 'Compressing');
  const bytes = zipSync(files, { level: 6 });
  progress(4, 4);
  host.post({ type: 'export-result', requestId: cmd.requestId, fileName: `${safeName(row.name)}.zip`, bytes }, [bytes.buffer]);
}

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
    if (!files[need])
      throw new UserError(
        `the zip has no ${need}`,
        { file: cmd.name },
        'a model zip needs config.json, model.safetensors and tokenizer files (tokenizer.json or vocab.txt)',
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
