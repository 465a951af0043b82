// One way to open model files, whatever holds them (a folder, the Hub, memory, the app's URL): the bundled USE-Lite
// files (model.json + shards + vocab.json), a studio USE-Lite checkpoint (config.json with model_type "use-lite",
// model.safetensors, tokenizer.json), or a Hugging Face folder (BERT / DistilBERT / RoBERTa, with or without a trained
// head). The CLI and the browser session only decide where the files come from; this file does the rest, and writes
// a TaskModel back as Hugging Face files.
import { UserError } from '../errors';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { FileSource } from '../io/source';
import { ONNX_PRODUCER, readOnnxGraph, readOnnxInitializers } from '../export/onnx/read';
import { loadPretrained } from './load';
import { exportTaskWeights, hfTaskConfig, splitTaskCheckpoint } from './param-io';
import { createTaskModel } from './task-model';
import type { Architecture, Encoder, FineTuneMode, Task, TaskModel, TextTokenizer } from './types';
import { loadUseLite } from './use-lite-load';

export interface OpenOptions {
  /** hidden dropout of the encoder (USE-Lite: hidden_dropout_prob) */
  dropout?: number;
  /** false admits Hugging Face folders that hold weights only (tokenizer then null) */
  requireTokenizer?: boolean;
  onProgress?: (file: string, loaded: number, total: number) => void;
}

/** What the files hold, as the loaders read it. */
export interface OpenedFiles {
  arch: Architecture;
  /** which of the three layouts the files were in */
  format: 'use-lite' | 'use-lite-checkpoint' | 'hf';
  encoder: Encoder;
  tokenizer: TextTokenizer | null;
  /** config.json as read ({} for the bundled USE-Lite files) */
  config: Record<string, unknown>;
  /** a saved head (and LoRA adapters) by Hugging Face name; empty when the files carry none */
  headParams: Map<string, Float32Array>;
  labels: string[];
  /** from config.json's problem_type, or its architectures (…ForTokenClassification has no problem_type) */
  task?: Task;
  source: string;
}

const TASK_OF_PROBLEM: Record<string, Task> = {
  single_label_classification: 'classification',
  multi_label_classification: 'multilabel',
  regression: 'regression',
};

export function labelsOfConfig(config: Record<string, unknown>): string[] {
  const id2label = config.id2label as Record<string, string> | undefined;
  if (!id2label || typeof id2label !== 'object') return [];
  return Object.keys(id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => String(id2label[k]));
}

export function taskOfConfig(config: Record<string, unknown>): Task | undefined {
  if (typeof config.problem_type === 'string') return TASK_OF_PROBLEM[config.problem_type];
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  return archs.some((a) => typeof a === 'string' && a.endsWith('ForTokenClassification')) ? 'token-classification' : undefined;
}

/** The source with the files read while detecting the layout kept, so the loader does not read them twice. */
function remembering(src: FileSource): FileSource {
  const seen = new Map<string, Uint8Array | null>();
  return {
    label: src.label,
    list: src.list?.bind(src),
    async read(path, onProgress) {
      if (seen.has(path)) {
        const b = seen.get(path)!;
        if (b) onProgress?.(b.length, b.length);
        return b;
      }
      const b = await src.read(path, onProgress);
      if (path === 'config.json' || path === 'vocab.json' || path === 'model.safetensors') seen.set(path, b);
      return b;
    },
  };
}

/** Where an exported ONNX folder keeps its graph (transformers.js' layout). */
const ONNX_FILE = 'onnx/model.onnx';

/**
 * An ONNX folder written by the studio or `finetune export --format onnx` (config.json, tokenizer files,
 * onnx/model.onnx) opens like the Hugging Face folder it came from: its initializers are the checkpoint's tensors under
 * their own names, read back as model.safetensors. Any other ONNX file (an optimised third-party export) is refused by
 * name, since its weights cannot be mapped back.
 */
function withOnnxWeights(src: FileSource): FileSource {
  return {
    label: src.label,
    list: src.list?.bind(src),
    async read(path, onProgress) {
      const b = await src.read(path, onProgress);
      if (b || path !== 'model.safetensors') return b;
      const onnx = await src.read(ONNX_FILE, onProgress);
      if (!onnx) return null;
      const graph = readOnnxGraph(onnx, ONNX_FILE);
      if (graph.producer !== ONNX_PRODUCER)
        throw new UserError(
          `${ONNX_FILE} was written by ${graph.producer || 'an unknown tool'}, so its weights cannot be read back`,
          { file: ONNX_FILE },
          'import the model folder with model.safetensors instead, or an ONNX folder exported by Finetune Studio',
        );
      return writeSafetensors(readOnnxInitializers(onnx, ONNX_FILE), { format: 'pt' });
    },
  };
}

/** Opens the files in `src`: encoder, tokenizer, and the head, labels and task the files carry. */
export async function openModelFiles(source: FileSource, opts: OpenOptions = {}): Promise<OpenedFiles> {
  const src = remembering(withOnnxWeights(source));
  const useLiteConfig = opts.dropout !== undefined ? { hidden_dropout_prob: opts.dropout } : undefined;
  const cfgBytes = await src.read('config.json');
  let config: Record<string, unknown> | null = null;
  if (cfgBytes) {
    try {
      config = JSON.parse(new TextDecoder().decode(cfgBytes)) as Record<string, unknown>;
    } catch {
      config = null; // loadPretrained reports the bad JSON with its file name
    }
  }
  if (config?.model_type === 'use-lite') {
    const bytes = await src.read('model.safetensors', (l, t) => opts.onProgress?.('model.safetensors', l, t));
    if (!bytes)
      throw new UserError(
        `${src.label} has no model.safetensors`,
        { file: 'model.safetensors' },
        'a USE-Lite checkpoint needs config.json, model.safetensors and tokenizer.json',
      );
    const { head } = splitTaskCheckpoint('use-lite', readSafetensors(bytes, 'model.safetensors').tensors);
    const { encoder, tokenizer } = await loadUseLite(src, { config: useLiteConfig });
    return {
      arch: encoder.arch,
      format: 'use-lite-checkpoint',
      encoder,
      tokenizer,
      config,
      headParams: new Map([...head].map(([n, t]) => [n, t.data])),
      labels: labelsOfConfig(config),
      task: taskOfConfig(config),
      source: src.label,
    };
  }
  if (!cfgBytes && (await src.read('vocab.json')) !== null) {
    const { encoder, tokenizer } = await loadUseLite(src, {
      onProgress: (l, t) => opts.onProgress?.('model weights', l, t),
      config: useLiteConfig,
    });
    return { arch: encoder.arch, format: 'use-lite', encoder, tokenizer, config: {}, headParams: new Map(), labels: [], source: src.label };
  }
  const m = await loadPretrained(src, {
    requireTokenizer: opts.requireTokenizer,
    onProgress: opts.onProgress ? (p) => opts.onProgress!(p.file, p.loaded, p.total) : undefined,
  });
  return {
    arch: m.encoder.arch,
    format: 'hf',
    encoder: m.encoder,
    tokenizer: m.tokenizer,
    config: m.config,
    headParams: m.headParams,
    labels: m.labels,
    task: taskOfConfig(m.config),
    source: m.source,
  };
}

/** A trained model's files (its head, labels and task from the files) as a TaskModel ready to predict or evaluate. */
export async function openTaskModel(
  src: FileSource,
  opts: Omit<OpenOptions, 'requireTokenizer'> & { option?: string; file?: string } = {},
): Promise<TaskModel> {
  const base = await openModelFiles(src, { dropout: opts.dropout, onProgress: opts.onProgress });
  const where = { file: opts.file ?? `${src.label.replace(/\/+$/, '')}/config.json`, option: opts.option ?? '--model' };
  if (!base.tokenizer) {
    base.encoder.dispose();
    throw new UserError('the model folder has no tokenizer files', where, 'give the folder `finetune train --out` wrote');
  }
  // transformers' own rule where config.json has no problem_type: one output is regression, more are single-label
  const task =
    base.task ?? (base.headParams.size && base.labels.length ? (base.labels.length === 1 ? 'regression' : 'classification') : undefined);
  if (!base.headParams.size || !task) {
    base.encoder.dispose();
    throw new UserError(
      'this folder holds a pre-trained encoder without a trained task head (no classifier weights or problem_type)',
      where,
      'give a folder written by `finetune train --out`',
    );
  }
  return createTaskModel({
    encoder: base.encoder,
    tokenizer: base.tokenizer,
    task,
    labels: task === 'regression' ? [] : base.labels,
    mode: { kind: 'full' } satisfies FineTuneMode,
    headParams: base.headParams,
  });
}

/** A TaskModel in Hugging Face layout: config.json (id2label/label2id), model.safetensors (LoRA merged unless
 *  `mergeLora: false`, which keeps the adapters as "<linear>.lora_A.weight"/".lora_B.weight"), tokenizer files. */
export async function taskModelFiles(model: TaskModel, opts: { mergeLora?: boolean } = {}): Promise<Record<string, string | Uint8Array>> {
  return {
    'config.json': JSON.stringify(hfTaskConfig(model), null, 2),
    'model.safetensors': writeSafetensors(await exportTaskWeights(model, opts), { format: 'pt' }),
    ...model.tokenizer.files(),
  };
}
