// A TaskModel as ONNX (opset 14, fp32, dynamic batch and sequence axes): inputs input_ids / attention_mask (int64,
// plus token_type_ids for BERT), outputs logits and last_hidden_state; and the folder transformers.js loads
// (config.json, tokenizer files, onnx/model.onnx). Weights come from exportTaskWeights (LoRA merged) under their
// checkpoint names, so read.ts gives back exactly the safetensors entries.
import { UserError } from '../../errors';
import type { NamedTensor } from '../../io/safetensors';
import type { BertConfig } from '../../models/bert';
import type { DistilBertConfig } from '../../models/distilbert';
import { exportTaskWeights, hfTaskConfig } from '../../models/param-io';
import { taskHeadSpec } from '../../models/task-model';
import type { Architecture, TaskModel } from '../../models/types';
import type { UseLiteConfig } from '../../models/use-lite';
import { bertGraph, distilbertGraph, robertaGraph, type EncoderInputs, type EncoderValues } from './bert';
import { OnnxGraph } from './graph';
import { headGraph } from './heads';
import { useLiteGraph } from './use-lite';

export { OnnxGraph } from './graph';
export { readOnnxGraph, readOnnxInitializers } from './read';

/** Where transformers.js looks for the fp32 graph of a model folder. */
export const ONNX_MODEL_PATH = 'onnx/model.onnx';

type EncoderWriter = (
  g: OnnxGraph,
  weights: Map<string, NamedTensor>,
  config: Record<string, unknown>,
  inputs: EncoderInputs,
) => EncoderValues;

/** One encoder writer per architecture; BERT alone takes token_type_ids (DistilBERT and RoBERTa exports have none). */
const ENCODERS: Record<Architecture, { writer: EncoderWriter; tokenTypes: boolean }> = {
  bert: { writer: (g, w, c, i) => bertGraph(g, w, c as BertConfig, i), tokenTypes: true },
  roberta: { writer: (g, w, c, i) => robertaGraph(g, w, c as BertConfig, i), tokenTypes: false },
  distilbert: { writer: (g, w, c, i) => distilbertGraph(g, w, c as DistilBertConfig, i), tokenTypes: false },
  'use-lite': { writer: (g, w, c, i) => useLiteGraph(g, w, c as UseLiteConfig, i), tokenTypes: false },
};

/** The model as ONNX bytes. Throws a UserError for an architecture without an ONNX writer. */
export async function toOnnx(model: TaskModel): Promise<Uint8Array> {
  const arch = model.encoder.arch;
  const encoder = Object.hasOwn(ENCODERS, arch) ? ENCODERS[arch] : undefined;
  if (!encoder) {
    throw new UserError(
      `there is no ONNX writer for the "${String(arch)}" architecture`,
      { option: 'format' },
      'export this model as safetensors instead, or use a BERT, DistilBERT, RoBERTa or USE-Lite model',
    );
  }
  const weights = await exportTaskWeights(model, { mergeLora: true });
  const spec = taskHeadSpec(model);
  const g = new OnnxGraph(`${arch}-${model.task}`);
  const dims = ['batch_size', 'sequence_length'];
  const inputs: EncoderInputs = { inputIds: g.input('input_ids', 'int64', dims), attentionMask: g.input('attention_mask', 'int64', dims) };
  if (encoder.tokenTypes) inputs.tokenTypeIds = g.input('token_type_ids', 'int64', dims);
  const enc = encoder.writer(g, weights, model.encoder.config, inputs);
  const logits = headGraph(g, spec, weights, enc);
  // every exported weight is in the file, also one the graph does not read, so the file round-trips the checkpoint
  for (const [name, t] of weights) if (!g.has(name)) g.weight(name, t.data, t.shape);
  const hidden = Number(model.encoder.hiddenSize);
  const labelsDims = spec.input === 'sequence' ? ['batch_size', 'sequence_length', spec.numLabels] : ['batch_size', spec.numLabels];
  g.output(logits, 'logits', 'float32', labelsDims);
  g.output(enc.sequence, 'last_hidden_state', 'float32', [...dims, hidden]);
  return g.toBytes({
    producer: 'finetune-studio',
    docString: `${arch} ${model.task} model exported by Finetune Studio`,
    metadata: { task: model.task, labels: JSON.stringify(model.labels), architecture: arch },
  });
}

/**
 * The files of a transformers.js model folder: config.json (transformers' keys, id2label, problem_type), the
 * tokenizer's files, and onnx/model.onnx. Paths are relative to the folder.
 */
export async function onnxFolderFiles(model: TaskModel): Promise<Record<string, string | Uint8Array>> {
  const onnx = await toOnnx(model);
  return {
    'config.json': JSON.stringify(hfTaskConfig(model), null, 2),
    ...model.tokenizer.files(),
    [ONNX_MODEL_PATH]: onnx,
  };
}
