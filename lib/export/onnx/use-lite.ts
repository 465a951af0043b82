// The USE-Lite encoder as an ONNX graph (opset 14), op for op what lib/models/use-lite.ts computes at inference:
// 2·embedding + sinusoidal timing signal (masked), pre-LayerNorm layers with fused qkv kernels, the layer-0 residual
// projection and the FFN zeroed at padding, mean pooling over real tokens, tanh projection, L2 normalisation.
// Batch and sequence axes stay dynamic; every weight is an initializer under its checkpoint name and shape.
import type { NamedTensor } from '../../io/safetensors';
import {
  useLiteLayerNames,
  useLiteParamShapes,
  useLiteTimingSignal,
  USE_LITE_EMBEDDINGS,
  USE_LITE_PROJECTION,
  type UseLiteConfig,
} from '../../models/use-lite';
import type { OnnxGraph } from './graph';

/** ONNX TensorProto.DataType FLOAT (Cast's "to"). */
const FLOAT = 1;

/**
 * Adds the encoder to `g` over int64 [batch_size, sequence_length] inputs. Returns the value names of the sequence
 * output [B, T, hidden_size] and the pooled, L2-normalised embedding [B, projection_size] (float32 both).
 */
export function useLiteGraph(
  g: OnnxGraph,
  weights: Map<string, NamedTensor>,
  config: UseLiteConfig,
  inputs: { inputIds: string; attentionMask: string },
): { sequence: string; pooled: string } {
  const c = config;
  const H = c.hidden_size;
  const E = c.embedding_size;
  const heads = c.num_attention_heads;
  const eps = c.layer_norm_eps;

  // every parameter checked against the config, then stored once under its own name and shape
  const stored = new Map<string, string>();
  for (const [name, shape] of useLiteParamShapes(c)) {
    const w = weights.get(name);
    if (!w) throw new Error(`USE-Lite ONNX export: weight "${name}" is missing`);
    if (w.shape.join(',') !== shape.join(',')) {
      throw new Error(`USE-Lite ONNX export: weight "${name}" has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    stored.set(name, g.weight(name, w.data, w.shape));
  }
  const W = (name: string) => stored.get(name) as string;
  const scalar = (v: number) => g.constFloat([v], [1]);
  const ints = (a: number[]) => g.constInt64(a, [a.length]);

  // x [B, T, in] · W [in, out] + b; 4-D kernels [1, 1, in, out] (the graph's 1x1 convolutions) reshaped to [in, out]
  const dense = (x: string, kernel: string, bias: string): string => {
    const shape = weights.get(kernel)!.shape;
    let w = W(kernel);
    if (shape.length !== 2) w = g.op('Reshape', [w, ints(shape.slice(-2))]);
    return g.op('Add', [g.op('MatMul', [x, w]), W(bias)]);
  };
  // mean, (x-mean)², +eps, rsqrt, ·scale, +bias over the last axis (biased variance), as layerNormOp
  const layerNorm = (x: string, scale: string, bias: string): string => {
    const mean = g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
    const d = g.op('Sub', [x, mean]);
    const variance = g.op('ReduceMean', [g.op('Mul', [d, d])], { axes: [-1], keepdims: 1 });
    const rstd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, scalar(eps)])])]);
    return g.op('Add', [g.op('Mul', [g.op('Mul', [d, rstd]), W(scale)]), W(bias)]);
  };

  const maskF = g.op('Cast', [inputs.attentionMask], { to: FLOAT }); // [B, T]
  const m3 = g.op('Unsqueeze', [maskF, ints([2])]); // [B, T, 1]
  // (1 - mask) · -1e9 as [B, 1, 1, T]
  const bias4 = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [scalar(1), maskF]), scalar(-1e9)]), ints([1, 2])]);

  // 2·embedding + timing signal (its first T rows, T from the ids' shape), zero at padding
  const seqLen = g.op('Slice', [g.op('Shape', [inputs.inputIds]), ints([1]), ints([2]), ints([0])]); // [T]
  const timingTable = g.constFloat(useLiteTimingSignal(c.max_position_embeddings, E), [c.max_position_embeddings, E]);
  const timing = g.op('Slice', [timingTable, ints([0]), seqLen, ints([0])]); // [T, E]
  const emb = g.op('Gather', [W(USE_LITE_EMBEDDINGS), inputs.inputIds], { axis: 0 }); // [B, T, E]
  let x = g.op('Mul', [g.op('Add', [g.op('Mul', [emb, scalar(2)]), timing]), m3]);

  let width = E;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const n = useLiteLayerNames(i);
    const d = c.attention_sizes[i];
    const dh = d / heads;
    const h = layerNorm(x, n.ln1Scale, n.ln1Bias);
    const [q, k, v] = g.opN('Split', [dense(h, n.qkvKernel, n.qkvBias), ints([d, d, d])], 3, { axis: 2 });
    // [B, T, d] -> [B, heads, T, dh] (Reshape's 0 keeps the input's dimension)
    const split = (z: string) => g.op('Transpose', [g.op('Reshape', [z, ints([0, 0, heads, dh])])], { perm: [0, 2, 1, 3] });
    const qs = g.op('Mul', [split(q), scalar(1 / Math.sqrt(dh))]);
    const kt = g.op('Transpose', [split(k)], { perm: [0, 1, 3, 2] });
    const probs = g.op('Softmax', [g.op('Add', [g.op('MatMul', [qs, kt]), bias4])], { axis: -1 });
    const ctx = g.op('Transpose', [g.op('MatMul', [probs, split(v)])], { perm: [0, 2, 1, 3] });
    const attn = dense(g.op('Reshape', [ctx, ints([0, 0, d])]), n.outKernel, n.outBias);
    // the residual is x itself, or x projected to the new width (zero at padding)
    const residual = width !== H && stored.has(n.resKernel) ? g.op('Mul', [dense(x, n.resKernel, n.resBias), m3]) : x;
    const y = g.op('Add', [attn, residual]);
    const inner = g.op('Relu', [dense(layerNorm(y, n.ln2Scale, n.ln2Bias), n.ffn1Kernel, n.ffn1Bias)]);
    // the FFN runs on real tokens only: zero at padding
    x = g.op('Add', [g.op('Mul', [dense(inner, n.ffn2Kernel, n.ffn2Bias), m3]), y]);
    width = H;
  }

  // mean over real tokens (at least 1 to divide by), tanh projection, L2 normalisation
  const count = g.op('Max', [g.op('ReduceSum', [maskF, ints([1])], { keepdims: 1 }), scalar(1)]); // [B, 1]
  const mean = g.op('Div', [g.op('ReduceSum', [g.op('Mul', [x, m3]), ints([1])], { keepdims: 0 }), count]); // [B, H]
  const proj = g.op('Tanh', [g.op('Add', [g.op('MatMul', [mean, W(USE_LITE_PROJECTION.kernel)]), W(USE_LITE_PROJECTION.bias)])]);
  const sumSq = g.op('ReduceSum', [g.op('Mul', [proj, proj]), ints([1])], { keepdims: 1 });
  const pooled = g.op('Mul', [proj, g.op('Reciprocal', [g.op('Sqrt', [g.op('Max', [sumSq, scalar(1e-12)])])])]);
  return { sequence: x, pooled };
}
