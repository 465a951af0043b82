// Loading USE-Lite: from its published TF.js GraphModel files (model.json + weight shards + vocab.json, the bundled
// model) or from a studio checkpoint in Hugging Face layout (config.json + model.safetensors + tokenizer.json).
import { UserError } from '../errors';
import { concatBytes } from '../io/bytes';
import { readSafetensors } from '../io/safetensors';
import type { FileSource, ProgressFn } from '../io/source';
import { SentencePieceTokenizer } from '../tokenize/sentencepiece';
import type { TextTokenizer } from './types';
import {
  createUseLite,
  USE_LITE_EMBEDDINGS,
  useLiteConfig,
  useLiteVariables,
  type UseLiteConfig,
  type UseLiteEncoder,
  type WeightArray,
} from './use-lite';

interface GraphManifestGroup {
  paths: string[];
  weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }>;
}

/** Decodes every float32 weight of a TF.js GraphModel (model.json + shards read through `src`). */
export async function readGraphModelWeights(
  src: FileSource,
  modelJsonPath = 'model.json',
  onProgress?: ProgressFn,
): Promise<Map<string, WeightArray>> {
  const raw = await src.read(modelJsonPath);
  if (!raw)
    throw new UserError(
      `${src.label} has no ${modelJsonPath}`,
      { file: modelJsonPath },
      'the bundled model files are missing: reinstall or rebuild the app (scripts/copy-assets.mjs copies them)',
    );
  let json: { weightsManifest?: GraphManifestGroup[] };
  try {
    json = JSON.parse(new TextDecoder().decode(raw));
  } catch (e) {
    throw new UserError(
      `not valid JSON (${(e as Error).message})`,
      { file: modelJsonPath },
      'the model file is damaged: reinstall the model',
    );
  }
  const groups = json.weightsManifest;
  if (!Array.isArray(groups))
    throw new UserError('no weightsManifest', { file: modelJsonPath }, 'this is not a TF.js GraphModel model.json');
  const dir = modelJsonPath.includes('/') ? modelJsonPath.slice(0, modelJsonPath.lastIndexOf('/') + 1) : '';
  const total = groups.reduce((n, g) => n + g.paths.length, 0);
  let done = 0;
  const out = new Map<string, WeightArray>();
  for (const g of groups) {
    const parts: Uint8Array[] = [];
    for (const p of g.paths) {
      const bytes = await src.read(dir + p);
      if (!bytes)
        throw new UserError(`weight shard "${p}" is missing`, { file: dir + p }, 'the model files are incomplete: reinstall the model');
      parts.push(bytes);
      onProgress?.(++done, total);
    }
    const buf = concatBytes(parts);
    let off = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.quantization)
        throw new UserError(`weight "${w.name}" is quantized`, { file: modelJsonPath, tensor: w.name }, 'use the float32 model files');
      if (w.dtype !== 'float32' && w.dtype !== 'int32')
        throw new UserError(
          `weight "${w.name}" has dtype ${w.dtype}`,
          { file: modelJsonPath, tensor: w.name },
          'use the float32 model files',
        );
      if (off + n * 4 > buf.length)
        throw new UserError(
          `weight "${w.name}" runs past the end of the shards`,
          { file: modelJsonPath, tensor: w.name },
          'the model files are incomplete: reinstall the model',
        );
      // float32 weights only (int32 ones are shape constants of the graph); copied so the shard buffer can go
      if (w.dtype === 'float32') out.set(w.name, { shape: w.shape, data: new Float32Array(buf.slice(off, off + n * 4).buffer) });
      off += n * 4;
    }
  }
  return out;
}

/**
 * Loads USE-Lite and its tokenizer from `src`: either the published files (model.json + shards + vocab.json, e.g. the
 * bundled /models/use-lite/) or a studio checkpoint (config.json with model_type "use-lite" + model.safetensors +
 * tokenizer.json). `config` overrides training-only keys such as hidden_dropout_prob.
 */
export async function loadUseLite(
  src: FileSource,
  opts: { config?: Partial<UseLiteConfig>; onProgress?: ProgressFn } = {},
): Promise<{ encoder: UseLiteEncoder; tokenizer: TextTokenizer }> {
  const configBytes = await src.read('config.json');
  let weights: Map<string, WeightArray>;
  let tokenizer: SentencePieceTokenizer;
  let config: Partial<UseLiteConfig> = {};
  let file: string;
  if (configBytes) {
    file = 'model.safetensors';
    try {
      config = JSON.parse(new TextDecoder().decode(configBytes));
    } catch (e) {
      throw new UserError(
        `not valid JSON (${(e as Error).message})`,
        { file: 'config.json' },
        'the checkpoint is damaged: export it again',
      );
    }
    if (config.model_type !== 'use-lite')
      throw new UserError(
        `model_type is "${String(config.model_type)}", not "use-lite"`,
        { file: 'config.json', option: 'model_type' },
        'load this folder as a Hugging Face model instead',
      );
    const st = await src.read(file, opts.onProgress);
    if (!st)
      throw new UserError(
        `${src.label} has no model.safetensors`,
        { file },
        'a USE-Lite checkpoint needs config.json, model.safetensors and tokenizer.json',
      );
    weights = readSafetensors(st, file).tensors;
    const tj = await src.read('tokenizer.json');
    if (!tj)
      throw new UserError(
        `${src.label} has no tokenizer.json`,
        { file: 'tokenizer.json' },
        'a USE-Lite checkpoint needs config.json, model.safetensors and tokenizer.json',
      );
    tokenizer = SentencePieceTokenizer.fromTokenizerJson(tj, await src.read('tokenizer_config.json'));
  } else {
    file = 'model.json';
    weights = await readGraphModelWeights(src, 'model.json', opts.onProgress);
    const vocab = await src.read('vocab.json');
    if (!vocab)
      throw new UserError(
        `${src.label} has no vocab.json`,
        { file: 'vocab.json' },
        'the USE-Lite files are incomplete: model.json, its shards and vocab.json are needed',
      );
    const emb = weights.get(USE_LITE_EMBEDDINGS);
    config = emb ? { vocab_size: emb.shape[0], embedding_size: emb.shape[1] } : {};
    tokenizer = SentencePieceTokenizer.fromVocabJson(vocab, 'vocab.json');
  }
  const full = useLiteConfig({ ...config, ...opts.config, pad_token_id: tokenizer.padId });
  const params = useLiteVariables(weights, full);
  try {
    return { encoder: createUseLite(params, full, file), tokenizer };
  } catch (e) {
    for (const v of params.values()) v.dispose();
    throw e;
  }
}
