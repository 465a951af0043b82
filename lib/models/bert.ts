// BERT (Hugging Face BertModel) over tf.Variables keyed by BertModel's own parameter names (no "bert." prefix: the
// loader strips it and records it so checkpoints are written back under the names they came with). RoBERTa reuses
// this core with its own position ids (roberta.ts).
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import {
  additiveMask,
  dropout,
  geluErf,
  layerNorm,
  linear,
  linearAct,
  linears,
  multiHeadAttention,
  resetDropoutCounter,
  type LayerContext,
  type LoraAdapter,
} from './layers';
import type { Architecture, Encoder, EncoderOutput, ForwardOptions, LoraTarget, TensorBatch } from './types';

/** config.json keys of BertConfig / RobertaConfig that the computation uses. */
export interface BertConfig {
  model_type?: string;
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act?: string;
  hidden_dropout_prob?: number;
  attention_probs_dropout_prob?: number;
  max_position_embeddings: number;
  type_vocab_size?: number;
  initializer_range?: number;
  layer_norm_eps?: number;
  pad_token_id?: number;
  position_embedding_type?: string;
  [key: string]: unknown;
}

/** BertConfig's defaults (transformers' BertConfig.__init__), filled under the given keys. */
export function bertConfig(c: Partial<BertConfig>): BertConfig {
  return {
    model_type: 'bert',
    vocab_size: 30522,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    ...c,
  };
}

/** Activation by transformers' ACT2FN name. */
export function activation(name: string | undefined, where: string): (x: tf.Tensor) => tf.Tensor {
  switch (name ?? 'gelu') {
    case 'gelu':
      return geluErf;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      const c = Math.sqrt(2 / Math.PI);
      return (x) => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(c)).add(1));
    }
    case 'relu':
      return (x) => tf.relu(x);
    case 'silu':
    case 'swish':
      return (x) => x.mul(tf.sigmoid(x));
    default:
      throw new UserError(
        `unsupported activation "${name}"`,
        { file: where, option: 'hidden_act' },
        'use a model whose hidden_act is gelu, gelu_new, relu or silu',
      );
  }
}

function checkConfig(c: BertConfig, file: string): void {
  for (const k of [
    'vocab_size',
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'intermediate_size',
    'max_position_embeddings',
  ] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new UserError(
        `config key "${k}" must be a positive integer (got ${JSON.stringify(v)})`,
        { file, option: k },
        'check config.json',
      );
    }
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new UserError(
      `hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`,
      { file, option: 'num_attention_heads' },
      'check config.json',
    );
  }
  if ((c.position_embedding_type ?? 'absolute') !== 'absolute') {
    throw new UserError(
      `position_embedding_type "${c.position_embedding_type}" is not supported`,
      { file, option: 'position_embedding_type' },
      'use a model with absolute position embeddings',
    );
  }
}

/** Every parameter BertModel has, with its shape (pooler included). */
export function bertParamShapes(c: BertConfig): Map<string, number[]> {
  const H = c.hidden_size,
    I = c.intermediate_size;
  const m = new Map<string, number[]>();
  m.set('embeddings.word_embeddings.weight', [c.vocab_size, H]);
  m.set('embeddings.position_embeddings.weight', [c.max_position_embeddings, H]);
  m.set('embeddings.token_type_embeddings.weight', [c.type_vocab_size ?? 2, H]);
  m.set('embeddings.LayerNorm.weight', [H]);
  m.set('embeddings.LayerNorm.bias', [H]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`;
    for (const n of ['query', 'key', 'value']) {
      m.set(`${p}.attention.self.${n}.weight`, [H, H]);
      m.set(`${p}.attention.self.${n}.bias`, [H]);
    }
    m.set(`${p}.attention.output.dense.weight`, [H, H]);
    m.set(`${p}.attention.output.dense.bias`, [H]);
    m.set(`${p}.attention.output.LayerNorm.weight`, [H]);
    m.set(`${p}.attention.output.LayerNorm.bias`, [H]);
    m.set(`${p}.intermediate.dense.weight`, [I, H]);
    m.set(`${p}.intermediate.dense.bias`, [I]);
    m.set(`${p}.output.dense.weight`, [H, I]);
    m.set(`${p}.output.dense.bias`, [H]);
    m.set(`${p}.output.LayerNorm.weight`, [H]);
    m.set(`${p}.output.LayerNorm.bias`, [H]);
  }
  m.set('pooler.dense.weight', [H, H]);
  m.set('pooler.dense.bias', [H]);
  return m;
}

/** Hugging Face's _init_weights: weights and embeddings ~ N(0, initializer_range), biases 0, LayerNorm 1/0. Seeded. */
export function initParams(
  shapes: Map<string, number[]>,
  std: number,
  seed: number,
  isLayerNorm: (name: string) => boolean,
): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  let i = 0;
  for (const [name, shape] of shapes) {
    i++;
    const init = tf.tidy(() => {
      if (isLayerNorm(name)) return name.endsWith('.weight') ? tf.ones(shape) : tf.zeros(shape);
      if (name.endsWith('.bias')) return tf.zeros(shape);
      return tf.randomNormal(shape, 0, std, 'float32', seed * 7919 + i);
    });
    out.set(name, tf.variable(init, true));
    init.dispose();
  }
  return out;
}

export function randomBertParams(config: BertConfig, seed = 0): Map<string, tf.Variable> {
  const c = bertConfig(config);
  checkConfig(c, 'config');
  return initParams(bertParamShapes(c), c.initializer_range ?? 0.02, seed, (n) => n.includes('LayerNorm'));
}

/** Checks that every expected parameter is present with its shape; optional ones may be absent. */
/**
 * Embedding lookup rows of `table` [V, H] by int ids (any shape) -> [...ids, H]. Its gradient is a scatter-add
 * (ScatterNd) because tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const idsShape = ids.shape as number[];
  const flat = ids.toInt().flatten() as tf.Tensor1D;
  const [V, H] = table.shape as [number, number];
  const f = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([flat]);
    return {
      value: tf.gather(t, flat),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0].reshape([-1, 1]), dy, [V, H]),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f(table) as tf.Tensor).reshape([...idsShape, H]);
}

export function checkParams(
  expected: Map<string, number[]>,
  params: Map<string, tf.Variable>,
  file: string,
  optional: (name: string) => boolean = () => false,
): void {
  for (const [name, shape] of expected) {
    const p = params.get(name);
    if (!p) {
      if (optional(name)) continue;
      throw new UserError(
        `missing parameter "${name}"`,
        { file, tensor: name },
        'the weights do not match config.json: use the model.safetensors that came with this config',
      );
    }
    if (p.shape.length !== shape.length || p.shape.some((d, k) => d !== shape[k])) {
      throw new UserError(
        `parameter "${name}" has shape [${p.shape.join(', ')}], config.json implies [${shape.join(', ')}]`,
        { file, tensor: name },
        'the weights do not match config.json: use the model.safetensors that came with this config',
      );
    }
  }
}

export function blockOfBertName(name: string): 'embeddings' | number | 'pooler' | 'other' {
  if (name.startsWith('embeddings.')) return 'embeddings';
  const m = /^encoder\.layer\.(\d+)\./.exec(name);
  if (m) return Number(m[1]);
  if (name.startsWith('pooler.')) return 'pooler';
  return 'other';
}

export interface EncoderExtras {
  /** LoRA adapters keyed by Linear prefix (lora.ts fills this map; the encoder reads it on every forward) */
  lora: Map<string, LoraAdapter>;
}

interface CoreOptions {
  arch: Architecture;
  /** [B, T] int32 position ids for a batch */
  positionIds(batch: TensorBatch): tf.Tensor2D;
  /** the longest sequence the position table covers */
  maxLength: number;
}

/** The BERT computation (post-LayerNorm encoder, tanh pooler when its weights exist, else the first token's state). */
export function createBertCore(config: BertConfig, params: Map<string, tf.Variable>, opts: CoreOptions): Encoder & EncoderExtras {
  const c = config;
  const file = 'config.json';
  checkConfig(c, file);
  const shapes = bertParamShapes(c);
  checkParams(shapes, params, 'model.safetensors', (n) => n.startsWith('pooler.'));
  const act = activation(c.hidden_act, file);
  const eps = c.layer_norm_eps ?? 1e-12;
  const hiddenDrop = c.hidden_dropout_prob ?? 0.1;
  const attnDrop = c.attention_probs_dropout_prob ?? 0.1;
  const heads = c.num_attention_heads;
  const H = c.hidden_size;
  const L = c.num_hidden_layers;
  const lora = new Map<string, LoraAdapter>();
  let disposed = false;

  const embed = (batch: TensorBatch, ctx: LayerContext): tf.Tensor3D => {
    const ids = batch.inputIds;
    const [b, t] = ids.shape;
    if (t > opts.maxLength) {
      throw new UserError(
        `sequence of ${t} tokens is longer than the model's ${opts.maxLength} positions`,
        { option: 'maxLength' },
        `truncate to at most ${opts.maxLength} tokens`,
      );
    }
    const word = embeddingLookup(params.get('embeddings.word_embeddings.weight')!, ids);
    const pos = embeddingLookup(params.get('embeddings.position_embeddings.weight')!, opts.positionIds(batch));
    const typeIds = batch.tokenTypeIds ?? tf.zeros([b, t], 'int32');
    const typ = embeddingLookup(params.get('embeddings.token_type_embeddings.weight')!, typeIds);
    const x = layerNorm(ctx, 'embeddings.LayerNorm', word.add(pos).add(typ), eps, { weight: 'weight', bias: 'bias' });
    return dropout(x, hiddenDrop, ctx) as tf.Tensor3D;
  };

  const layer = (i: number, x: tf.Tensor3D, mask4d: tf.Tensor4D, ctx: LayerContext): tf.Tensor3D => {
    const p = `encoder.layer.${i}`;
    const [q, k, v] = linears(
      ctx,
      ['query', 'key', 'value'].map((n) => `${p}.attention.self.${n}`),
      x,
    );
    const attn = multiHeadAttention(q, k, v, heads, mask4d, attnDrop, ctx);
    const ao = dropout(linear(ctx, `${p}.attention.output.dense`, attn), hiddenDrop, ctx);
    const h1 = layerNorm(ctx, `${p}.attention.output.LayerNorm`, ao.add(x), eps);
    const inter = linearAct(ctx, `${p}.intermediate.dense`, h1, act);
    const o = dropout(linear(ctx, `${p}.output.dense`, inter), hiddenDrop, ctx);
    return layerNorm(ctx, `${p}.output.LayerNorm`, o.add(h1), eps) as tf.Tensor3D;
  };

  return {
    arch: opts.arch,
    config: c,
    pooledSize: H,
    hiddenSize: H,
    numLayers: L,
    params,
    lora,
    blockOf: blockOfBertName,
    linearPrefixes(target: LoraTarget): string[] {
      const per: Record<LoraTarget, string[]> = {
        query: ['attention.self.query'],
        key: ['attention.self.key'],
        value: ['attention.self.value'],
        output: ['attention.output.dense'],
        ffn: ['intermediate.dense', 'output.dense'],
      };
      return Array.from({ length: L }, (_, i) => per[target].map((s) => `encoder.layer.${i}.${s}`)).flat();
    },
    forward(batch: TensorBatch, fo: ForwardOptions): EncoderOutput {
      if (disposed) throw new Error('encoder used after dispose()');
      resetDropoutCounter();
      const ctx: LayerContext = { params, training: fo.training, lora, seed: fo.seed, rows: fo.rows };
      // Not in tidy: the caller owns the outputs (and may need gradients through them); intermediates are freed by the
      // caller's tidy / variableGrads.
      const mask4d = additiveMask(batch.attentionMask);
      let x = embed(batch, ctx);
      const hidden: tf.Tensor3D[] = fo.outputHiddenStates ? [x] : [];
      for (let i = 0; i < L; i++) {
        x = layer(i, x, mask4d, ctx);
        if (fo.outputHiddenStates) hidden.push(x);
      }
      const [b] = x.shape;
      const first = x.slice([0, 0, 0], [b, 1, H]).reshape([b, H]) as tf.Tensor2D;
      const pooled = params.has('pooler.dense.weight') ? (tf.tanh(linear(ctx, 'pooler.dense', first)) as tf.Tensor2D) : first;
      return { sequence: x, pooled, hiddenStates: fo.outputHiddenStates ? hidden : undefined };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of params.values()) if (!v.isDisposed) v.dispose();
      for (const a of lora.values()) for (const v of [a.A, a.B]) if (!v.isDisposed) v.dispose();
      lora.clear();
    },
  };
}

/** BERT positions: 0..T-1 for every row. */
function bertPositionIds(batch: TensorBatch): tf.Tensor2D {
  const [b, t] = batch.inputIds.shape;
  return tf.tidy(() => tf.range(0, t, 1, 'int32').expandDims(0).tile([b, 1]) as tf.Tensor2D);
}

/**
 * A BERT encoder over `params` (BertModel names, no "bert." prefix). Without params it starts from a seeded random
 * init (seed 0). The encoder owns the variables: dispose() frees them.
 */
export function createBert(config: BertConfig, params?: Map<string, tf.Variable>): Encoder & EncoderExtras {
  const c = bertConfig(config);
  return createBertCore(c, params ?? randomBertParams(c, 0), {
    arch: 'bert',
    positionIds: bertPositionIds,
    maxLength: c.max_position_embeddings,
  });
}
