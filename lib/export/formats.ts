// The export formats of a trained model, once for the CLI (`finetune export`, `finetune train --out`) and the studio's
// Export screen: a Hugging Face folder with its model card (tensor names checked against the transformers class),
// the ONNX folder transformers.js loads (with the card), and the Python recipe. The adapters only gather the inputs
// (from run.json or from the stored run) and write or zip the files.
import { UserError } from '../errors';
import { readSafetensors } from '../io/safetensors';
import { taskModelFiles } from '../models/open';
import type { TaskModel } from '../models/types';
import { checkHfTensors, expectedHfTensors } from './hf-names';
import { modelCard, type ModelCardInput } from './model-card';
import { ONNX_MODEL_PATH, onnxFolderFiles } from './onnx';
import { recipeFiles, type RecipeInput } from './recipe';

export type ModelFormat = 'hf' | 'onnx' | 'recipe';
export const MODEL_FORMATS: ModelFormat[] = ['hf', 'onnx', 'recipe'];

export interface ModelExport {
  model: TaskModel;
  /** what the model card says (its onnxFile is set here for the ONNX folder) */
  card: ModelCardInput;
  /** the recipe's inputs (split rows included): read only when the recipe is asked for */
  recipe?: () => Promise<RecipeInput>;
  /** files kept beside the model (run.json, metrics.jsonl, evaluation.json) */
  extras?: Record<string, string | Uint8Array>;
}

export type FileSet = Record<string, string | Uint8Array>;

/**
 * A Hugging Face folder whose tensors are not exactly those of the transformers class would load with random or
 * ignored weights: refuse to write it (an engine bug, never the person's input).
 */
export function assertTransformersLayout(model: TaskModel, files: FileSet): void {
  if (model.encoder.arch === 'use-lite') return;
  const config = JSON.parse(files['config.json'] as string) as Record<string, unknown>;
  const tensors = readSafetensors(files['model.safetensors'] as Uint8Array, 'model.safetensors').tensors;
  const check = checkHfTensors(tensors, expectedHfTensors(model.encoder.arch, model.task, config));
  const problems = [
    ...check.missing.map((n) => `missing ${n}`),
    ...check.extra.map((n) => `extra ${n}`),
    ...check.wrongShape.map((n) => `wrong shape ${n}`),
  ];
  if (problems.length) throw new Error(`the export does not match ${String(config.architectures)}: ${problems.slice(0, 5).join('; ')}`);
}

/** The files of `format`, by path inside the export (the ONNX graph at onnx/model.onnx). */
export async function modelExportFiles(format: ModelFormat, x: ModelExport, onStep?: (step: string) => void): Promise<FileSet> {
  if (format === 'recipe') {
    if (!x.recipe)
      throw new UserError(
        'this model has no record of the data it was trained on, which the recipe needs',
        { option: 'format' },
        'export the recipe from a run trained here (a finetune train --out folder, or a studio run)',
      );
    onStep?.('Writing the split CSVs and train.py');
    return recipeFiles(await x.recipe());
  }
  let files: FileSet;
  if (format === 'onnx') {
    onStep?.('Writing the ONNX graph');
    files = await onnxFolderFiles(x.model);
  } else {
    onStep?.('Writing model.safetensors');
    files = await taskModelFiles(x.model);
    assertTransformersLayout(x.model, files);
  }
  onStep?.('Writing the model card');
  const card = modelCard(format === 'onnx' ? { ...x.card, onnxFile: ONNX_MODEL_PATH } : x.card);
  return { ...files, 'README.md': card, ...(x.extras ?? {}) };
}
