// The Export screen's downloads: a stored run's model as one zip in the chosen format (lib/export/formats.ts): the
// Hugging Face folder or the ONNX folder, each with its model card and the run's settings and metrics, or the Python
// recipe with the run's exact split rows.
import { strToU8, zipSync, type Zippable } from 'fflate';
import { UserError } from '../errors';
import { baseOf, labelCounts } from '../export/card-facts';
import { modelExportFiles, type ModelFormat } from '../export/formats';
import type { ModelCardInput } from '../export/model-card';
import { recipeRows, type RecipeInput } from '../export/recipe';
import type { TaskModel } from '../models/types';
import type { Command, EvaluationReport } from '../protocol';
import { getSetting, type RunRow, type StudioDb } from '../store/db';
import { getDataset } from '../store/db-datasets';
import { DexieRunStore } from '../store/db-runs';
import { progressReporter, type SessionHost } from './context';
import { splitSettingsOf, toDataSplit } from './datasets';
import { evaluationKey, runModel } from './inference';
import type { RunMeta } from './records';
import { sessionDb } from './state';
import { loadLabeledData } from './stored-data';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

const safeName = (s: string) =>
  s
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase() || 'model';

const SUFFIX: Record<ModelFormat, string> = { hf: '', onnx: '-onnx', recipe: '-recipe' };

/** The run's dataset as the run saw it (its stored split); null when the dataset is gone or the run was imported. */
async function runData(db: StudioDb, meta: RunMeta) {
  if (meta.imported || !meta.run.datasetId || !(await db.datasets.get(meta.run.datasetId))) return null;
  return loadLabeledData(db, meta.run.datasetId, toDataSplit(await splitSettingsOf(db, meta.run.datasetId)));
}

async function cardOf(db: StudioDb, row: RunRow, meta: RunMeta, model: TaskModel, test: EvaluationReport | null): Promise<ModelCardInput> {
  const data = await runData(db, meta);
  const arch = model.encoder.arch;
  return {
    name: row.name,
    arch,
    task: model.task,
    labels: model.labels,
    base: baseOf(meta.run.model, arch, meta.modelLabel, model.tokenizer.modelMaxLength),
    data: {
      name: meta.datasetName,
      splits: { train: data?.train.length ?? 0, validation: data?.validation.length ?? 0, test: data?.test.length ?? 0 },
      labelCounts: data ? labelCounts(model.task, model.labels, data.train) : undefined,
    },
    config: meta.imported ? undefined : meta.run,
    evaluation: test ?? undefined,
    trainingSeconds: meta.progress?.elapsedSec ?? 0,
    backend: meta.backend ?? 'not recorded',
    threads: meta.threads ?? 1,
  };
}

async function recipeOf(db: StudioDb, meta: RunMeta, model: TaskModel): Promise<RecipeInput> {
  const data = await runData(db, meta);
  if (!data)
    throw new UserError(
      meta.imported ? 'an imported model carries no training data for the recipe' : "this run's dataset is no longer stored",
      { option: 'format' },
      'export the recipe of a run trained in this studio on a dataset that is still listed on the Data screen',
    );
  const mapping = (await getDataset(db, meta.run.datasetId))?.mapping;
  const label = mapping?.label;
  return {
    config: meta.run,
    labels: model.labels,
    rows: { train: recipeRows(data.train), validation: recipeRows(data.validation), test: recipeRows(data.test) },
    columns: { text: mapping?.text, pair: mapping?.textPair, label: label?.length === 1 ? label[0] : undefined },
    arch: model.encoder.arch,
  };
}

export async function exportRun(host: SessionHost, cmd: Cmd<'export-zip'>): Promise<void> {
  const db = sessionDb();
  const format = cmd.format ?? 'hf';
  const row = await db.runs.get(cmd.runId);
  if (!row) throw new UserError(`there is no run "${cmd.runId}"`, { option: 'run' }, 'it may have been deleted');
  const meta = row.config as RunMeta;
  const progress = progressReporter(host, cmd.requestId, 'Packing the zip');
  const steps = 5;
  let step = 0;
  progress(step++, steps, 'Loading the trained weights');
  const model = await runModel(db, cmd.runId);
  // the latest Evaluate result on the test split, where the person ran one
  const test = await getSetting<EvaluationReport | null>(db, evaluationKey(cmd.runId, 'test'), null);
  const extras: Record<string, string> = {};
  if (format !== 'recipe') {
    progress(step++, steps, 'Adding the run settings and metrics');
    if (test) extras['evaluation.json'] = JSON.stringify(test, null, 2);
    const testScores = test ? Object.fromEntries(Object.entries(test).filter(([, v]) => typeof v === 'number')) : undefined;
    const runJson = {
      id: row.id,
      name: row.name,
      config: meta.run,
      labels: model.labels,
      best: meta.best,
      exportedAt: new Date().toISOString(),
    };
    extras['run.json'] = JSON.stringify({ ...runJson, ...(testScores ? { test: testScores } : {}) }, null, 2);
    const metrics = await new DexieRunStore(db).readMetrics(cmd.runId);
    extras['metrics.jsonl'] = metrics.map((m) => JSON.stringify(m)).join('\n') + (metrics.length ? '\n' : '');
  }
  const files = await modelExportFiles(
    format,
    { model, card: await cardOf(db, row, meta, model, test), recipe: () => recipeOf(db, meta, model), extras },
    (label) => progress(Math.min(step++, steps - 1), steps, label),
  );
  progress(steps - 1, steps, 'Compressing');
  const zippable: Zippable = {};
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? strToU8(content) : content;
    // weights do not compress: store them as they are
    zippable[name] = name.endsWith('.safetensors') || name.endsWith('.onnx') ? [bytes, { level: 0 }] : bytes;
  }
  const bytes = zipSync(zippable, { level: 6 });
  progress(steps, steps);
  const fileName = `${safeName(row.name)}${SUFFIX[format]}.zip`;
  host.post({ type: 'export-result', requestId: cmd.requestId, fileName, bytes }, [bytes.buffer]);
}
