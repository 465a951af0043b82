// Universal Sentence Encoder Lite as trainable tf.Variables named as in its TF.js graph (model.json), rebuilt op by op
// from that graph: token embeddings + sinusoidal timing signal, 2 pre-LayerNorm transformer layers (attention width 256
// then 512, 4 heads, ReLU FFN 1536; layer 0 projects its residual 256 -> 512), no final LayerNorm, mean pooling over
// real tokens, tanh projection 512 -> 512, L2 normalisation.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { maskedSoftmax } from '@/lib/backend/fast-paths';
import { embeddingLookup } from './bert';
import {
  affine,
  dropout,
  layerNormOp,
  matMulPlain,
  matMulWt,
  resetDropoutCounter,
  swapLast,
  type LayerContext,
  type LoraAdapter,
} from './layers';
import type { Encoder, EncoderOutput, ForwardOptions, LoraTarget, TensorBatch } from './types';

/** config.json of a USE-Lite checkpoint: Hugging Face key names where one exists. */
export interface UseLiteConfig {
  model_type: 'use-lite';
  vocab_size: number;
  /** width of the token embeddings and of layer 0's attention */
  embedding_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** attention (q/k/v) width of each layer */
  attention_sizes: number[];
  intermediate_size: number;
  hidden_act: 'relu';
  layer_norm_eps: number;
  max_position_embeddings: number;
  position_embedding_type: 'sinusoidal';
  /** the tanh projection after mean pooling */
  projection_size: number;
  /** not in the original model: applied only when training (embeddings, attention output, FFN output) */
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  pad_token_id: number;
  [key: string]: unknown;
}

export function useLiteConfig(c: Partial<UseLiteConfig> = {}): UseLiteConfig {
  return {
    model_type: 'use-lite',
    architectures: ['UseLiteModel'],
    vocab_size: 8002,
    embedding_size: 256,
    hidden_size: 512,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    attention_sizes: [256, 512],
    intermediate_size: 1536,
    hidden_act: 'relu',
    layer_norm_eps: 1e-6,
    max_position_embeddings: 128,
    position_embedding_type: 'sinusoidal',
    projection_size: 512,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0,
    pad_token_id: 3,
    ...c,
  };
}

// Weight names as the graph has them (TF-Hub module "module/...", constant-folded ones "module_apply_default/...").
const KT = 'Encoder_en/KonaTransformer/Encode';
export const USE_LITE_EMBEDDINGS = 'module/Embeddings_en';
export const USE_LITE_PROJECTION = {
  kernel: 'module/Encoder_en/hidden_layers/tanh_layer_0/weights',
  bias: 'module/Encoder_en/hidden_layers/tanh_layer_0/bias',
};

/** The parameter names of layer i. */
export function useLiteLayerNames(i: number) {
  const a = `module_apply_default/${KT}/Layer_${i}/TransformerLayer`;
  const w = `module/${KT}/Layer_${i}/TransformerLayer`;
  const s = `module_apply_default/${KT}/TransformerStack/Layer_${i}/TransformerLayer`;
  const cat = 'ConcatPartitions/concat';
  return {
    ln1Scale: `${a}/layer_prepostprocess/layer_norm/layer_norm_scale/${cat}`,
    ln1Bias: `${a}/layer_prepostprocess/layer_norm/layer_norm_bias/${cat}`,
    qkvKernel: `${w}/MultiheadAttention/qkv_transform_single/kernel/part_0`,
    qkvBias: `${a}/MultiheadAttention/qkv_transform_single/bias/${cat}`,
    outKernel: `${w}/MultiheadAttention/output_transform_single/kernel/part_0`,
    outBias: `${a}/MultiheadAttention/output_transform_single/bias/${cat}`,
    /** layer 0 only: the residual's 256 -> 512 projection ("AdjustResidualInput") */
    resKernel: `${a}/dense/kernel/${cat}`,
    resBias: `${a}/dense/bias/${cat}`,
    ln2Scale: `${a}/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/${cat}`,
    ln2Bias: `${a}/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/${cat}`,
    ffn1Kernel: `${s}/FFN/conv1/Tensordot/Reshape_1`,
    ffn1Bias: `${a}/FFN/conv1/bias/${cat}`,
    ffn2Kernel: `${s}/FFN/conv2/Tensordot/Reshape_1`,
    ffn2Bias: `${a}/FFN/conv2/bias/${cat}`,
  };
}

/** Every trainable parameter with its shape, in the graph's layout ([in, out] kernels; attention kernels [1, 1, in, out]). */
export function useLiteParamShapes(c: UseLiteConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  m.set(USE_LITE_EMBEDDINGS, [c.vocab_size, c.embedding_size]);
  let width = c.embedding_size;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const n = useLiteLayerNames(i);
    const d = c.attention_sizes[i];
    m.set(n.ln1Scale, [width]);
    m.set(n.ln1Bias, [width]);
    m.set(n.qkvKernel, [1, 1, width, 3 * d]);
    m.set(n.qkvBias, [3 * d]);
    m.set(n.outKernel, [1, 1, d, c.hidden_size]);
    m.set(n.outBias, [c.hidden_size]);
    if (width !== c.hidden_size) {
      m.set(n.resKernel, [width, c.hidden_size]);
      m.set(n.resBias, [c.hidden_size]);
    }
    m.set(n.ln2Scale, [c.hidden_size]);
    m.set(n.ln2Bias, [c.hidden_size]);
    m.set(n.ffn1Kernel, [c.hidden_size, c.intermediate_size]);
    m.set(n.ffn1Bias, [c.intermediate_size]);
    m.set(n.ffn2Kernel, [c.intermediate_size, c.hidden_size]);
    m.set(n.ffn2Bias, [c.hidden_size]);
    width = c.hidden_size;
  }
  m.set(USE_LITE_PROJECTION.kernel, [c.hidden_size, c.projection_size]);
  m.set(USE_LITE_PROJECTION.bias, [c.projection_size]);
  return m;
}

export function blockOfUseLiteName(name: string): 'embeddings' | number | 'pooler' | 'other' {
  if (name === USE_LITE_EMBEDDINGS) return 'embeddings';
  const m = /\/Layer_(\d+)\//.exec(name);
  if (m) return Number(m[1]);
  if (name.startsWith('module/Encoder_en/hidden_layers/')) return 'pooler';
  return 'other';
}

/** A weight's values and shape, as read from model.json shards, safetensors or a checkpoint. */
export interface WeightArray {
  shape: number[];
  data: Float32Array;
}

/**
 * The sinusoidal timing signal [T, 2·C] (sin then cos over C = embedding_size/2 channels), with inverse timescales
 * computed in float32 as tensor2tensor does (1e0 .. 1e-4): within 1 ulp of the constant stored in the graph.
 */
export function useLiteTimingSignal(t: number, width: number): Float32Array {
  const channels = width / 2;
  const inc = Math.fround(Math.log(1e4) / Math.max(channels - 1, 1));
  const inv = new Float32Array(channels);
  for (let i = 0; i < channels; i++) inv[i] = Math.fround(Math.exp(Math.fround(i * -inc)));
  const out = new Float32Array(t * width);
  for (let p = 0; p < t; p++) {
    for (let i = 0; i < channels; i++) {
      const a = Math.fround(p * inv[i]);
      out[p * width + i] = Math.sin(a);
      out[p * width + channels + i] = Math.cos(a);
    }
  }
  return out;
}

/** Re-exported: the shared flag-free matMul (see lib/models/layers.ts). */
export { matMulPlain };

export interface UseLiteEncoder extends Encoder {
  readonly config: UseLiteConfig;
  readonly lora: Map<string, LoraAdapter>;
}

/**
 * The kernels each LoRA target adapts, keyed by the kernel's own name (adapters "<kernel>.lora_A.weight"). USE-Lite
 * projects q, k and v with one fused kernel ("qkv_transform_single", [1, 1, in, 3·d]), so query, key and value all
 * select that kernel and its adapter spans all three projections, as PEFT does for fused qkv modules (GPT-2's
 * c_attn): choosing any of the three adapts q, k and v together. The residual's 256 -> 512 projection and the tanh
 * projection after pooling are never targets.
 */
export function useLiteLinearPrefixes(c: UseLiteConfig, target: LoraTarget): string[] {
  return Array.from({ length: c.num_hidden_layers }, (_, i) => {
    const n = useLiteLayerNames(i);
    if (target === 'output') return [n.outKernel];
    if (target === 'ffn') return [n.ffn1Kernel, n.ffn2Kernel];
    return [n.qkvKernel];
  }).flat();
}

/** The encoder over `params` (graph names and shapes, checked). It owns the variables: dispose() frees them. */
export function createUseLite(params: Map<string, tf.Variable>, config: Partial<UseLiteConfig> = {}, file = 'model'): UseLiteEncoder {
  const c = useLiteConfig(config);
  const shapes = useLiteParamShapes(c);
  for (const [name, shape] of shapes) {
    const p = params.get(name);
    if (!p)
      throw new UserError(
        `missing weight "${name}"`,
        { file, tensor: name },
        'use the USE-Lite model files as published (model.json, its shards and vocab.json) or a checkpoint exported by the studio',
      );
    if (p.shape.length !== shape.length || p.shape.some((d, k) => d !== shape[k])) {
      throw new UserError(
        `weight "${name}" has shape [${p.shape.join(', ')}], expected [${shape.join(', ')}]`,
        { file, tensor: name },
        'the weights do not belong to USE-Lite: use its original files',
      );
    }
  }
  const H = c.hidden_size;
  const E = c.embedding_size;
  const L = c.num_hidden_layers;
  const heads = c.num_attention_heads;
  const eps = c.layer_norm_eps;
  const maxT = c.max_position_embeddings;
  const hiddenDrop = c.hidden_dropout_prob;
  const attnDrop = c.attention_probs_dropout_prob;
  // the timing signal is a constant, not a parameter: built once for all positions
  const timing = tf.tensor2d(useLiteTimingSignal(maxT, E), [maxT, E]);
  const P = (name: string) => params.get(name) as tf.Variable;
  const lora = new Map<string, LoraAdapter>();
  let disposed = false;

  // x·W + b with W stored [in, out] (or [1, 1, in, out]: the graph's 1x1 convolutions); x: [B, T, in]. With an adapter
  // on the kernel: + scale · dropout(x)·Aᵀ·Bᵀ (A [r, in], B [out, r], PEFT's layout whatever the kernel's).
  const dense = (x: tf.Tensor, kernel: string, bias: string, ctx: LayerContext): tf.Tensor => {
    const w = P(kernel);
    const [inn, out] = w.shape.slice(-2) as [number, number];
    const [b, t] = x.shape as [number, number, number];
    const x2 = x.reshape([b * t, inn]);
    let y: tf.Tensor = affine(x2 as tf.Tensor2D, w.reshape([inn, out]), P(bias), 'in-out');
    const ad = lora.get(kernel);
    if (ad) y = y.add(matMulWt(matMulWt(dropout(x2, ad.dropout, ctx), ad.A), ad.B).mul(ad.scale));
    return y.reshape([b, t, out]);
  };
  // mean, (x-mean)², +eps, rsqrt, ·scale, +bias: the graph's own order
  const layerNorm = (x: tf.Tensor, scale: string, bias: string): tf.Tensor => layerNormOp(x, P(scale), P(bias), eps);

  const layer = (i: number, x: tf.Tensor3D, m3: tf.Tensor, bias4: tf.Tensor, ctx: LayerContext): tf.Tensor3D => {
    const n = useLiteLayerNames(i);
    const [b, t] = x.shape;
    const d = c.attention_sizes[i];
    const dh = d / heads;
    const h = layerNorm(x, n.ln1Scale, n.ln1Bias);
    const [q, k, v] = tf.split(dense(h, n.qkvKernel, n.qkvBias, ctx), [d, d, d], 2);
    const split = (z: tf.Tensor) => z.reshape([b, t, heads, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
    // q scaled first (the graph's order), then softmax(scores + mask), its backward one kernel on wasm
    const scores = matMulPlain(split(q).mul(1 / Math.sqrt(dh)), swapLast(split(k)));
    const probs = dropout(maskedSoftmax(scores, bias4, 1), attnDrop, ctx) as tf.Tensor4D;
    const ctxv = matMulPlain(probs, split(v)).transpose([0, 2, 1, 3]).reshape([b, t, d]);
    const attn = dropout(dense(ctxv, n.outKernel, n.outBias, ctx), hiddenDrop, ctx);
    // the residual is x itself, or x projected to the new width (zero at padding, as the graph scatters it)
    const residual = params.has(n.resKernel) && x.shape[2] !== H ? dense(x, n.resKernel, n.resBias, ctx).mul(m3) : x;
    const y = attn.add(residual);
    const f = dense(tf.relu(dense(layerNorm(y, n.ln2Scale, n.ln2Bias), n.ffn1Kernel, n.ffn1Bias, ctx)), n.ffn2Kernel, n.ffn2Bias, ctx);
    // the graph runs the FFN on real tokens only: zero at padding
    return dropout(f, hiddenDrop, ctx).mul(m3).add(y) as tf.Tensor3D;
  };

  return {
    arch: 'use-lite',
    config: c,
    pooledSize: c.projection_size,
    hiddenSize: H,
    numLayers: L,
    params,
    lora,
    linearLayout: 'in-out',
    linearPrefixes: (target: LoraTarget) => useLiteLinearPrefixes(c, target),
    blockOf: blockOfUseLiteName,
    forward(batch: TensorBatch, fo: ForwardOptions): EncoderOutput {
      if (disposed) throw new Error('encoder used after dispose()');
      const [b, t] = batch.inputIds.shape;
      if (t > maxT) {
        throw new UserError(
          `sequence of ${t} tokens is longer than the model's ${maxT} positions`,
          { option: 'maxLength' },
          `truncate to at most ${maxT} tokens`,
        );
      }
      resetDropoutCounter();
      const ctx: LayerContext = { params, training: fo.training, seed: fo.seed, rows: fo.rows };
      const maskF = batch.attentionMask.toFloat();
      const m3 = maskF.reshape([b, t, 1]);
      const bias4 = tf.sub(1, maskF).mul(-1e9).reshape([b, 1, 1, t]);
      // the graph adds the timing signal to the embeddings and then adds that sum to the embeddings again
      // ("Layer_0/add" = embeddings + AddTimingSignal(embeddings)): 2·embedding + timing
      const emb = embeddingLookup(P(USE_LITE_EMBEDDINGS), batch.inputIds)
        .mul(2)
        .add(timing.slice([0, 0], [t, E]));
      let x = dropout(emb.mul(m3), hiddenDrop, ctx) as tf.Tensor3D;
      const hidden: tf.Tensor3D[] = fo.outputHiddenStates ? [x] : [];
      for (let i = 0; i < L; i++) {
        x = layer(i, x, m3, bias4, ctx);
        if (fo.outputHiddenStates) hidden.push(x);
      }
      // mean over real tokens (at least 1 to divide by), tanh projection, L2 normalisation
      const count = maskF.sum(1, true).maximum(1);
      const mean = x.mul(m3).sum(1).div(count);
      const w = P(USE_LITE_PROJECTION.kernel) as tf.Tensor2D;
      const proj = tf.tanh(matMulPlain(mean, w).add(P(USE_LITE_PROJECTION.bias)));
      const pooled = proj.mul(tf.rsqrt(proj.square().sum(1, true).maximum(1e-12))) as tf.Tensor2D;
      return { sequence: x, pooled, hiddenStates: fo.outputHiddenStates ? hidden : undefined };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      timing.dispose();
      for (const v of params.values()) if (!v.isDisposed) v.dispose();
      for (const a of lora.values()) for (const v of [a.A, a.B]) if (!v.isDisposed) v.dispose();
      lora.clear();
    },
  };
}

/** Variables from named arrays (shapes checked later by createUseLite). Every one is trainable. */
export function useLiteVariables(weights: Map<string, WeightArray>, config: Partial<UseLiteConfig> = {}): Map<string, tf.Variable> {
  const shapes = useLiteParamShapes(useLiteConfig(config));
  const out = new Map<string, tf.Variable>();
  for (const name of shapes.keys()) {
    const w = weights.get(name);
    if (!w) continue;
    const t = tf.tensor(w.data, w.shape, 'float32');
    out.set(name, tf.variable(t, true));
    t.dispose();
  }
  return out;
}

/** Every parameter's current values by name (for checkpoints / safetensors). Blocks on GPU backends: see readUseLiteWeights. */
export function exportUseLiteWeights(encoder: Encoder): Map<string, WeightArray> {
  const out = new Map<string, WeightArray>();
  for (const [name, v] of encoder.params) out.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
  return out;
}

/** exportUseLiteWeights without blocking the thread (WebGPU / WebGL download asynchronously). */
export async function readUseLiteWeights(encoder: Encoder): Promise<Map<string, WeightArray>> {
  const out = new Map<string, WeightArray>();
  for (const [name, v] of encoder.params) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
  return out;
}

/** Overwrites parameters in place from named arrays (every name must exist, with the same shape). */
export function importUseLiteWeights(encoder: Encoder, weights: Map<string, WeightArray | Float32Array>, file = 'checkpoint'): void {
  for (const [name, w] of weights) {
    const v = encoder.params.get(name);
    if (!v)
      throw new UserError(
        `weight "${name}" is not a USE-Lite parameter`,
        { file, tensor: name },
        'load a checkpoint of the USE-Lite model',
      );
    const data = w instanceof Float32Array ? w : w.data;
    if (data.length !== v.size || (!(w instanceof Float32Array) && w.shape.join(',') !== v.shape.join(','))) {
      throw new UserError(
        `weight "${name}" has ${data.length} values, the model needs shape [${v.shape.join(', ')}]`,
        { file, tensor: name },
        'load a checkpoint of the USE-Lite model',
      );
    }
    const t = tf.tensor(data, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}
