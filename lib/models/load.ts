// The one loader for Hugging Face-layout models (a folder, a browser directory pick, the Hub, the studio's own
// checkpoints): config.json -> architecture, model.safetensors -> tf.Variables under the checkpoint's names,
// tokenizer files -> TextTokenizer. Head weights (classifier.*, pre_classifier.*) and id2label come back for heads.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors';
import { readText, type FileSource } from '../io/source';
import { loadHfTokenizer, TOKENIZER_FILES } from '../tokenize/hf';
import { bertConfig, bertParamShapes, createBert, type BertConfig } from './bert';
import { createDistilBert, distilBertConfig, distilBertParamShapes, type DistilBertConfig } from './distilbert';
import { createRoberta, robertaConfig } from './roberta';
import type { Architecture, Encoder, TextTokenizer } from './types';

export interface LoadProgress {
  file: string;
  loaded: number;
  total: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** throw when the files hold no tokenizer (default true; reference fixtures have none) */
  requireTokenizer?: boolean;
}

export interface LoadedModel {
  arch: Exclude<Architecture, 'use-lite'>;
  encoder: Encoder;
  tokenizer: TextTokenizer | null;
  /** config.json as read (transformers' keys, id2label/label2id included) */
  config: Record<string, unknown>;
  /** what the checkpoint put before the encoder's names ("bert.", "distilbert.", "roberta." or ""): write back with it */
  prefix: string;
  /** head weights and LoRA adapters (classifier.*, pre_classifier.*, "<linear>.lora_A.weight" without prefix) */
  headParams: Map<string, Float32Array>;
  /** every tensor that is not the encoder's, under its checkpoint name (heads, MLM/NSP heads, QA heads) */
  extraTensors: Map<string, NamedTensor>;
  /** id2label in id order; [] when config.json has none */
  labels: string[];
  /** safetensors __metadata__ */
  metadata: Record<string, string>;
  /** the source's label, for messages */
  source: string;
}

/** The files a model folder / Hub repo needs, for messages. */
export const REQUIRED_FILES = 'config.json, model.safetensors and a tokenizer (tokenizer.json, or vocab.txt + tokenizer_config.json)';

const MODEL_TYPES: Record<string, LoadedModel['arch']> = {
  bert: 'bert',
  distilbert: 'distilbert',
  roberta: 'roberta',
  'xlm-roberta': 'roberta',
  camembert: 'roberta',
};

/** transformers' base_model_prefix per architecture. */
export const BASE_PREFIX: Record<LoadedModel['arch'], string> = { bert: 'bert.', distilbert: 'distilbert.', roberta: 'roberta.' };

function archOf(config: Record<string, unknown>, file: string): LoadedModel['arch'] {
  const mt = config.model_type;
  if (typeof mt === 'string') {
    const a = MODEL_TYPES[mt];
    if (!a)
      throw new UserError(
        `model type "${mt}" is not supported`,
        { file, option: 'model_type' },
        `pick a BERT, DistilBERT or RoBERTa model (model_type ${Object.keys(MODEL_TYPES).join(', ')})`,
      );
    return a;
  }
  const archs = Array.isArray(config.architectures) ? (config.architectures as unknown[]).map(String) : [];
  for (const name of archs) {
    const m = /^(Bert|DistilBert|Roberta|XLMRoberta|Camembert)(Model|For)/.exec(name);
    if (m)
      return ({ Bert: 'bert', DistilBert: 'distilbert', Roberta: 'roberta', XLMRoberta: 'roberta', Camembert: 'roberta' } as const)[
        m[1] as 'Bert'
      ];
  }
  throw new UserError(
    'config.json has no model_type',
    { file, option: 'model_type' },
    'use the config.json that came with a BERT, DistilBERT or RoBERTa model',
  );
}

function labelsOf(config: Record<string, unknown>): string[] {
  const m = config.id2label;
  if (!m || typeof m !== 'object') return [];
  const entries = Object.entries(m as Record<string, unknown>).map(([k, v]) => [Number(k), String(v)] as const);
  if (entries.some(([k]) => !Number.isInteger(k) || k < 0))
    throw new UserError(
      'id2label has a key that is not a label id',
      { file: 'config.json', option: 'id2label' },
      'keys of id2label must be 0, 1, 2, …',
    );
  entries.sort((a, b) => a[0] - b[0]);
  if (entries.some(([k], i) => k !== i))
    throw new UserError('id2label ids are not 0…N-1', { file: 'config.json', option: 'id2label' }, 'keys of id2label must be 0, 1, 2, …');
  return entries.map(([, v]) => v);
}

async function readWeights(
  src: FileSource,
  progress: (file: string) => (l: number, t: number) => void,
): Promise<{ tensors: Map<string, NamedTensor>; metadata: Record<string, string> }> {
  const ignore = (n: string) => /(^|\.)(position_ids|token_type_ids)$/.test(n);
  const single = await src.read('model.safetensors', progress('model.safetensors'));
  if (single) {
    const f = readSafetensors(single, 'model.safetensors', { ignore });
    return { tensors: f.tensors, metadata: f.metadata };
  }
  const indexText = await readText(src, 'model.safetensors.index.json');
  if (indexText !== null) {
    let map: Record<string, string>;
    try {
      map = JSON.parse(indexText).weight_map;
      if (!map || typeof map !== 'object') throw new Error('no weight_map');
    } catch (e) {
      throw new UserError(
        `model.safetensors.index.json is not valid (${(e as Error).message})`,
        { file: 'model.safetensors.index.json' },
        're-download it',
      );
    }
    const tensors = new Map<string, NamedTensor>();
    let metadata: Record<string, string> = {};
    for (const shard of [...new Set(Object.values(map))]) {
      const b = await src.read(shard, progress(shard));
      if (!b)
        throw new UserError(
          `shard ${shard} named in model.safetensors.index.json is missing`,
          { file: shard },
          'download every model-*.safetensors shard',
        );
      const f = readSafetensors(b, shard, { ignore });
      for (const [k, v] of f.tensors) tensors.set(k, v);
      metadata = { ...metadata, ...f.metadata };
    }
    return { tensors, metadata };
  }
  const listed = src.list ? await src.list().catch(() => [] as string[]) : [];
  const others = listed.filter((n) => /^(pytorch_model.*\.bin|tf_model\.h5|flax_model\.msgpack|model\.onnx|onnx\/.*|.*\.ckpt.*)$/.test(n));
  throw new UserError(
    `${src.label} has no model.safetensors` +
      `${others.length ? ` (it has ${others.slice(0, 4).join(', ')}, which the studio cannot read)` : ''}`,
    { file: 'model.safetensors' },
    `a model needs ${REQUIRED_FILES}; pick a repo that has model.safetensors, ` +
      'or convert the weights with transformers (model.save_pretrained(dir, safe_serialization=True))',
  );
}

/** Where the encoder's names start: the prefix before "embeddings.word_embeddings.weight". */
function findPrefix(tensors: Map<string, NamedTensor>, arch: LoadedModel['arch']): string {
  const suffix = 'embeddings.word_embeddings.weight';
  if (tensors.has(BASE_PREFIX[arch] + suffix)) return BASE_PREFIX[arch];
  if (tensors.has(suffix)) return '';
  for (const k of tensors.keys()) if (k.endsWith('.' + suffix)) return k.slice(0, -suffix.length);
  throw new UserError(
    `no "${BASE_PREFIX[arch]}${suffix}" in the weights`,
    { file: 'model.safetensors', tensor: BASE_PREFIX[arch] + suffix },
    `the weights are not a ${arch} model: use the model.safetensors that matches config.json`,
  );
}

/**
 * Loads an HF-layout model. The caller owns the result: `encoder.dispose()` frees every tensor it holds (the head
 * weights come back as plain arrays). The second argument may be a progress callback or LoadOptions.
 */
export async function loadPretrained(src: FileSource, options?: LoadOptions | ((p: LoadProgress) => void)): Promise<LoadedModel> {
  const opts: LoadOptions = typeof options === 'function' ? { onProgress: options } : (options ?? {});
  const progress = (file: string) => (loaded: number, total: number) => opts.onProgress?.({ file, loaded, total });
  // every file read ends with a (size, size) event, also from sources that report nothing themselves
  const orig = src;
  const tracked: FileSource = {
    label: orig.label,
    list: orig.list?.bind(orig),
    async read(path, onProgress) {
      let last = -1;
      const b = await orig.read(path, (l, t) => {
        last = l;
        onProgress?.(l, t);
      });
      if (b && last !== b.length) (onProgress ?? progress(path))(b.length, b.length);
      return b;
    },
  };
  src = tracked;
  const cfgBytes = await src.read('config.json', progress('config.json'));
  if (!cfgBytes) throw new UserError(`${src.label} has no config.json`, { file: 'config.json' }, `a model needs ${REQUIRED_FILES}`);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(new TextDecoder().decode(cfgBytes));
  } catch (e) {
    throw new UserError(`config.json is not valid JSON (${(e as Error).message})`, { file: 'config.json' }, 're-download config.json');
  }
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw new UserError('config.json is not a JSON object', { file: 'config.json' }, 're-download config.json');
  const arch = archOf(config, 'config.json');
  const labels = labelsOf(config);

  // Tokenizer before weights: a missing tokenizer fails before a large download.
  const bc = arch === 'roberta' ? robertaConfig(config as Partial<BertConfig>) : bertConfig(config as Partial<BertConfig>);
  const positions =
    arch === 'distilbert'
      ? distilBertConfig(config as Partial<DistilBertConfig>).max_position_embeddings
      : arch === 'roberta'
        ? bc.max_position_embeddings - (bc.pad_token_id ?? 1) - 1
        : bc.max_position_embeddings;
  const tokenizer = await loadHfTokenizer(src, {
    modelPositions: positions,
    padTokenId: typeof config.pad_token_id === 'number' ? config.pad_token_id : undefined,
    typeVocabSize: arch === 'distilbert' ? 1 : bc.type_vocab_size,
    modelType: arch,
  });
  if (!tokenizer && opts.requireTokenizer !== false) {
    throw new UserError(
      `${src.label} has no tokenizer files`,
      { file: 'tokenizer.json' },
      `a model needs ${REQUIRED_FILES}; found none of ${TOKENIZER_FILES.slice(0, 2).join(', ')}`,
    );
  }

  const { tensors, metadata } = await readWeights(src, progress);
  const prefix = findPrefix(tensors, arch);
  const shapes = arch === 'distilbert' ? distilBertParamShapes(distilBertConfig(config as Partial<DistilBertConfig>)) : bertParamShapes(bc);
  const params = new Map<string, tf.Variable>();
  const extraTensors = new Map<string, NamedTensor>();
  const headParams = new Map<string, Float32Array>();
  try {
    for (const [name, t] of tensors) {
      const local = name.startsWith(prefix) ? name.slice(prefix.length) : null;
      if (local !== null && shapes.has(local)) {
        const want = shapes.get(local)!;
        if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
          throw new UserError(
            `"${name}" has shape [${t.shape.join(', ')}], config.json implies [${want.join(', ')}]`,
            { file: 'model.safetensors', tensor: name },
            'use the model.safetensors that came with this config.json',
          );
        }
        params.set(
          local,
          tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, 'float32'), true)),
        );
        continue;
      }
      extraTensors.set(name, t);
      if (/\.lora_[AB]\.weight$/.test(name)) headParams.set(local ?? name, t.data);
      else if (/^(classifier|pre_classifier)\./.test(name)) headParams.set(name, t.data);
    }
    const encoder =
      arch === 'distilbert'
        ? createDistilBert(distilBertConfig(config as Partial<DistilBertConfig>), params)
        : arch === 'roberta'
          ? createRoberta(bc, params)
          : createBert(bc, params);
    return { arch, encoder, tokenizer, config, prefix, headParams, extraTensors, labels, metadata, source: src.label };
  } catch (e) {
    for (const v of params.values()) v.dispose();
    throw e;
  }
}

export interface HfExportInput {
  encoder: Encoder;
  /** config.json keys to write (the loaded config, or encoder.config); id2label/label2id are set from labels */
  config?: Record<string, unknown>;
  tokenizer?: TextTokenizer | null;
  /** prefix for the encoder's names; default transformers' base_model_prefix when a head is given, else "" */
  prefix?: string;
  /** head / adapter variables under their HF names (classifier.*, pre_classifier.*, ...), written unprefixed */
  head?: Map<string, tf.Tensor>;
  labels?: string[];
  architectures?: string[];
  metadata?: Record<string, string>;
}

/**
 * The Hugging Face layout of a model (config.json, model.safetensors, tokenizer files): what training writes as a
 * checkpoint and what loadPretrained reads back. Weights are read off the device here; the caller keeps ownership.
 */
export async function toHfFiles(x: HfExportInput): Promise<Record<string, Uint8Array | string>> {
  const arch = x.encoder.arch;
  if (arch === 'use-lite') throw new Error('toHfFiles is for the BERT family');
  const prefix = x.prefix ?? (x.head && x.head.size ? BASE_PREFIX[arch] : '');
  const tensors = new Map<string, NamedTensor>();
  for (const [name, v] of x.encoder.params) tensors.set(prefix + name, { shape: v.shape, data: (await v.data()) as Float32Array });
  for (const [name, v] of x.head ?? []) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  const config: Record<string, unknown> = { ...(x.config ?? x.encoder.config) };
  if (x.labels && x.labels.length) {
    config.id2label = Object.fromEntries(x.labels.map((l, i) => [String(i), l]));
    config.label2id = Object.fromEntries(x.labels.map((l, i) => [l, i]));
  }
  if (x.architectures) config.architectures = x.architectures;
  config.model_type ??= arch;
  const files: Record<string, Uint8Array | string> = {
    'config.json': JSON.stringify(config, null, 2),
    'model.safetensors': writeSafetensors(tensors, { format: 'pt', ...(x.metadata ?? {}) }),
  };
  if (x.tokenizer) Object.assign(files, x.tokenizer.files());
  return files;
}
