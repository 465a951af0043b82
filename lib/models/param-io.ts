// A TaskModel's weights and config as a Hugging Face task checkpoint (<Arch>ForSequenceClassification /
// ForTokenClassification), and back: encoder names carry the base-model prefix ("bert.", "distilbert.", "roberta."),
// head names do not, LoRA is merged by default — the layout transformers' from_pretrained expects.
import * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from '../io/safetensors';
import { hfArchitectureName, isHeadParamName } from './heads';
import { linearWeightName, mergedWeight, parseLoraParamName } from './lora';
import { taskHeadSpec } from './task-model';
import type { Architecture, TaskModel } from './types';

/**
 * transformers' base_model_prefix per architecture. A task checkpoint must carry it on every encoder weight: given
 * unprefixed encoder names, from_pretrained assumes a base-model file and prefixes every key, the head's included.
 */
export function basePrefix(arch: Architecture): string {
  return arch === 'use-lite' ? '' : arch;
}

/** A TaskModel.variables() name as a task checkpoint stores it. */
export function taskCheckpointName(arch: Architecture, name: string): string {
  const p = basePrefix(arch);
  if (!p || isHeadParamName(name) || name.startsWith(`${p}.`)) return name;
  return `${p}.${name}`;
}

/**
 * Splits a task checkpoint's entries into the encoder's (base-model prefix stripped; a file without the prefix is taken
 * as-is) and the head's + LoRA adapters' (the `headParams` of createTaskModel).
 */
export function splitTaskCheckpoint<T>(arch: Architecture, entries: Map<string, T>): { encoder: Map<string, T>; head: Map<string, T> } {
  const p = basePrefix(arch);
  const encoder = new Map<string, T>();
  const head = new Map<string, T>();
  for (const [name, v] of entries) {
    const bare = p && name.startsWith(`${p}.`) ? name.slice(p.length + 1) : name;
    if (isHeadParamName(bare) || parseLoraParamName(bare)) head.set(bare, v);
    else encoder.set(bare, v);
  }
  return { encoder, head };
}

async function entryOf(t: tf.Tensor): Promise<NamedTensor> {
  return { shape: [...t.shape], data: (await t.data()) as Float32Array };
}

/** Variables → safetensors entries (values copied out of the backend). */
export async function variablesToEntries(vars: Map<string, tf.Variable>): Promise<Map<string, NamedTensor>> {
  const out = new Map<string, NamedTensor>();
  for (const [n, v] of vars) out.set(n, await entryOf(v));
  return out;
}

/** safetensors entries → trainable variables (the caller owns them). */
export function entriesToVariables(entries: Map<string, NamedTensor>): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [n, e] of entries) {
    const t = tf.tensor(e.data, e.shape, 'float32');
    out.set(n, tf.variable(t, true));
    t.dispose();
  }
  return out;
}

/**
 * The model's weights under task-checkpoint names. With mergeLora (default), adapters are folded into copies of their
 * Linear weights (the model itself is not changed, so training can go on); without, they are written as
 * "<linear>.lora_A.weight" / ".lora_B.weight".
 */
export async function exportTaskWeights(model: TaskModel, opts: { mergeLora?: boolean } = {}): Promise<Map<string, NamedTensor>> {
  const merge = opts.mergeLora ?? true;
  const arch = model.encoder.arch;
  const adapters = model.encoder.lora ?? new Map();
  const mergedNames = new Map<string, string>(); // weight name -> adapter prefix
  if (merge) for (const prefix of adapters.keys()) mergedNames.set(linearWeightName(model.encoder.params, prefix), prefix);
  // transformers builds no pooler where the head does not read it (BertForTokenClassification, both RoBERTa classes):
  // a pooler in the file would be an unexpected key there
  const dropPooler = arch !== 'use-lite' && taskHeadSpec(model).input !== 'pooled';
  const out = new Map<string, NamedTensor>();
  for (const [name, v] of model.variables()) {
    if (merge && parseLoraParamName(name)) continue;
    if (dropPooler && model.encoder.params.has(name) && model.encoder.blockOf(name) === 'pooler') continue;
    const prefix = mergedNames.get(name);
    if (prefix !== undefined) {
      const w = mergedWeight(v, adapters.get(prefix)!, model.encoder.linearLayout ?? 'out-in');
      out.set(taskCheckpointName(arch, name), await entryOf(w));
      w.dispose();
    } else {
      out.set(taskCheckpointName(arch, name), await entryOf(v));
    }
  }
  return out;
}

/** config.json for the exported task model: the encoder's config plus transformers' head keys. */
export function hfTaskConfig(model: TaskModel): Record<string, unknown> {
  const arch = model.encoder.arch;
  const cfg: Record<string, unknown> = { ...model.encoder.config };
  const cls = hfArchitectureName(arch, model.task);
  if (cls) cfg.architectures = [cls];
  // transformers has no USE-Lite class; the name still tells a loader (lib/models/open.ts) that the head is per token
  else if (model.task === 'token-classification') cfg.architectures = ['UseLiteForTokenClassification'];
  const names = model.task === 'regression' ? ['LABEL_0'] : model.labels;
  cfg.id2label = Object.fromEntries(names.map((l, i) => [String(i), l]));
  cfg.label2id = Object.fromEntries(names.map((l, i) => [l, i]));
  const problem = {
    classification: 'single_label_classification',
    multilabel: 'multi_label_classification',
    regression: 'regression',
    'token-classification': null,
  }[model.task];
  if (problem) cfg.problem_type = problem;
  else delete cfg.problem_type;
  const dropout = taskHeadSpec(model).dropout;
  if (arch === 'distilbert') {
    if (model.task !== 'token-classification') cfg.seq_classif_dropout = dropout;
  } else {
    cfg.classifier_dropout = dropout;
  }
  return cfg;
}
