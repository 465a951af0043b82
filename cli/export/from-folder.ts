// What `finetune export` knows about a model folder: for a `finetune train --out` folder, its run.json (settings, data
// files, split seed, result) and metrics.jsonl; for any other Hugging Face folder, only what config.json says. The
// card and the recipe inputs are built from that; the formats themselves are lib/export/formats.ts.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../../lib/errors';
import { baseOf } from '../../lib/export/card-facts';
import type { ModelCardInput } from '../../lib/export/model-card';
import type { RecipeInput } from '../../lib/export/recipe';
import { recipeRows } from '../../lib/export/recipe';
import type { TaskModel } from '../../lib/models/types';
import type { ModelSpec, RunConfig } from '../../lib/run/config';
import type { EvaluationReport } from '../../lib/protocol';
import type { ParsedOptions } from '../args';
import type { Cli } from '../context';
import { loadRunData, loadTestExamples } from '../train/inputs';

/** The parts of a finetune train run.json the export reads. */
export interface TrainedFolder {
  args: ParsedOptions;
  model: string;
  run: RunConfig;
  labels?: string[];
  mapping?: { text: string; textPair?: string; label?: string[] };
  trainExamples?: number;
  validationExamples?: number;
  labelCounts?: { label: string; count: number }[];
  evaluation?: EvaluationReport;
  backend?: string;
  threads?: number;
  result?: { trainSeconds?: number };
}

/** run.json of a finished `finetune train` folder; null for any other folder. */
export async function readTrainedFolder(dir: string): Promise<TrainedFolder | null> {
  const path = join(dir, 'run.json');
  if (!existsSync(path)) return null;
  let run: Partial<TrainedFolder>;
  try {
    run = JSON.parse(await readFile(path, 'utf8')) as Partial<TrainedFolder>;
  } catch (e) {
    throw new UserError(`run.json is not valid JSON (${(e as Error).message})`, { file: path, option: '--model' }, 'train the model again');
  }
  return run.args && run.run && run.model ? (run as TrainedFolder) : null;
}

/** How run.json names the base model, as a ModelSpec (a Hub id gives the card its base_model). */
function specOf(model: string): ModelSpec {
  if (model === 'use-lite') return { kind: 'bundled' };
  if (existsSync(model) || model.startsWith('.') || model.startsWith('/')) return { kind: 'folder', name: model };
  return { kind: 'hub', id: model };
}

/** The model card's inputs. */
export function cardInput(dir: string, model: TaskModel, run: TrainedFolder | null, config: Record<string, unknown>): ModelCardInput {
  const arch = model.encoder.arch;
  const baseLabel = run ? (run.model === 'use-lite' ? 'USE-Lite (bundled)' : run.model) : String(config._name_or_path ?? basename(dir));
  const evaluation = run?.evaluation;
  const dataPath = typeof run?.args.data === 'string' ? run.args.data : undefined;
  return {
    name: basename(dir),
    arch,
    task: model.task,
    labels: model.labels,
    base: baseOf(run ? specOf(run.model) : { kind: 'folder', name: baseLabel }, arch, baseLabel, model.tokenizer.modelMaxLength),
    data: {
      name: dataPath ? basename(dataPath) : 'not recorded',
      splits: {
        train: run?.trainExamples ?? 0,
        validation: run?.validationExamples ?? 0,
        test: evaluation?.split === 'test' ? countOf(evaluation) : 0,
      },
      labelCounts: run?.labelCounts,
    },
    config: run?.run,
    evaluation,
    trainingSeconds: run?.result?.trainSeconds ?? 0,
    backend: run?.backend ?? 'not recorded',
    threads: run?.threads ?? 1,
  };
}

function countOf(e: EvaluationReport): number {
  if (e.task === 'classification') return e.confusion.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0);
  return e.count;
}

/** The recipe's inputs: the run's data files read and split again exactly as training did (same seed). */
export function recipeInput(run: TrainedFolder | null, model: TaskModel, cli: Cli): (() => Promise<RecipeInput>) | undefined {
  if (!run) return undefined;
  // a NER run's RunConfig says classification (the data decided the task); the recipe refuses token classification
  // (lib/export/recipe-config.ts), so it is told the model's task before any data is read
  if (model.task === 'token-classification')
    return async () => ({
      config: { ...run.run, task: model.task } as unknown as RunConfig,
      labels: model.labels,
      rows: { train: [], validation: [] },
      columns: { text: 'tokens' },
      model: run.model,
      arch: model.encoder.arch,
    });
  return async () => {
    const opts = run.args;
    const seed = typeof opts.seed === 'number' ? opts.seed : 42;
    const valSplit = typeof opts['val-split'] === 'number' ? opts['val-split'] : 0.1;
    const data = await loadRunData(opts, cli, seed, valSplit);
    const task = data.task === 'token-classification' ? 'classification' : data.task;
    const test = typeof opts.test === 'string' ? await loadTestExamples(opts.test, opts, cli, task) : undefined;
    const label = data.mapping.label;
    return {
      config: run.run,
      labels: model.labels,
      rows: { train: recipeRows(data.train), validation: recipeRows(data.validation), ...(test ? { test: recipeRows(test) } : {}) },
      columns: { text: data.mapping.text, pair: data.mapping.textPair, label: label?.length === 1 ? label[0] : undefined },
      model: run.model,
      arch: model.encoder.arch,
    };
  };
}
