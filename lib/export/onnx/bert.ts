// The BERT family (BERT, RoBERTa, DistilBERT) as ONNX graphs (opset 14), op for op what lib/models/bert.ts,
// roberta.ts and distilbert.ts compute at inference: the same position ids (RoBERTa's padding-aware ones), the same
// additive mask ((1 - mask) · -1e9), post-LayerNorm layers, exact (erf) GELU. Every weight is an initializer under
// its task-checkpoint name ("bert.encoder.layer.0.attention.self.query.weight"), so the file reads back unchanged.
import { UserError } from '../../errors';
import type { NamedTensor } from '../../io/safetensors';
import { bertConfig, type BertConfig } from '../../models/bert';
import { distilBertConfig, type DistilBertConfig } from '../../models/distilbert';
import { robertaConfig } from '../../models/roberta';
import type { OnnxGraph } from './graph';

/** ONNX TensorProto.DataType FLOAT (Cast's "to"). */
const FLOAT = 1;

export interface EncoderInputs {
  inputIds: string;
  attentionMask: string;
  /** BERT only; absent: all zeros */
  tokenTypeIds?: string;
}

/** Value names of the encoder's outputs: the last hidden state [B, T, H] and, where the model has a pooler, its output. */
export interface EncoderValues {
  sequence: string;
  pooled?: string;
}

/** Shared building blocks over one graph and one weight map (names under `prefix`). */
export class GraphOps {
  constructor(
    readonly g: OnnxGraph,
    readonly weights: Map<string, NamedTensor>,
    readonly prefix: string,
  ) {}

  has(local: string): boolean {
    return this.weights.has(this.prefix + local);
  }

  /** The initializer of a weight (stored on first use under its full name); `shape` checks it when given. */
  w(local: string, shape?: number[]): string {
    const name = this.prefix + local;
    if (this.g.has(name)) return name;
    const t = this.weights.get(name);
    if (!t) throw new UserError(`ONNX export: weight "${name}" is missing`, { tensor: name }, 'export a complete model');
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new UserError(
        `ONNX export: weight "${name}" has shape [${t.shape.join(', ')}], the config implies [${shape.join(', ')}]`,
        { tensor: name },
        'export a model whose weights match its config',
      );
    }
    return this.g.weight(name, t.data, t.shape);
  }

  scalar(v: number): string {
    return this.g.constFloat([v], []);
  }

  ints(values: number[]): string {
    return this.g.constInt64(values, [values.length]);
  }

  /** x·Wᵀ + b for "<local>.weight" [out, in] and "<local>.bias": Gemm on 2-D x, else MatMul on the transposed weight. */
  linear(x: string, local: string, rank: 2 | 3 = 3): string {
    const w = this.w(`${local}.weight`);
    const b = this.w(`${local}.bias`);
    if (rank === 2) return this.g.op('Gemm', [x, w, b], { transB: 1 });
    return this.g.linear(x, w, b);
  }

  /** (x − mean) / sqrt(var + eps) · γ + β over the last axis, biased variance (layerNormOp); Pow(2) so onnxruntime
   *  fuses it into one LayerNormalization kernel. */
  layerNorm(x: string, local: string, eps: number, names = { weight: 'weight', bias: 'bias' }): string {
    const g = this.g;
    const mean = g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
    const d = g.op('Sub', [x, mean]);
    const variance = g.op('ReduceMean', [g.op('Pow', [d, this.scalar(2)])], { axes: [-1], keepdims: 1 });
    const y = g.op('Div', [d, g.op('Sqrt', [g.op('Add', [variance, this.scalar(eps)])])]);
    return g.op('Add', [g.op('Mul', [y, this.w(`${local}.${names.weight}`)]), this.w(`${local}.${names.bias}`)]);
  }

  /** transformers' ACT2FN by name, as lib/models/bert.ts activation(). */
  activation(name: string | undefined, x: string): string {
    const g = this.g;
    switch (name ?? 'gelu') {
      case 'gelu': {
        // x · 0.5 · (1 + erf(x / √2)): the form onnxruntime fuses into Gelu
        const erf = g.op('Erf', [g.op('Div', [x, this.scalar(Math.SQRT2)])]);
        return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, this.scalar(1)])]), this.scalar(0.5)]);
      }
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast': {
        const cube = g.op('Mul', [g.op('Pow', [x, this.scalar(3)]), this.scalar(0.044715)]);
        const t = g.op('Tanh', [g.op('Mul', [g.op('Add', [x, cube]), this.scalar(Math.sqrt(2 / Math.PI))])]);
        return g.op('Mul', [g.op('Mul', [x, this.scalar(0.5)]), g.op('Add', [t, this.scalar(1)])]);
      }
      case 'relu':
        return g.op('Relu', [x]);
      case 'silu':
      case 'swish':
        return g.op('Mul', [x, g.op('Sigmoid', [x])]);
      default:
        throw new UserError(
          `ONNX export: unsupported activation "${name}"`,
          { option: 'hidden_act' },
          'export a model whose hidden_act is gelu, gelu_new, relu or silu',
        );
    }
  }

  /** (1 − mask) · −1e9 as [B, 1, 1, T] (additiveMask). */
  maskBias(mask: string): string {
    const g = this.g;
    const m = g.op('Cast', [mask], { to: FLOAT });
    const bias = g.op('Mul', [g.op('Sub', [this.scalar(1), m]), this.scalar(-1e9)]);
    return g.op('Unsqueeze', [bias, this.ints([1, 2])]);
  }

  /** Scaled dot-product attention over `heads` heads (multiHeadAttention): q, k, v [B, T, H] → [B, T, H]. */
  attention(q: string, k: string, v: string, heads: number, hidden: number, bias4: string): string {
    const g = this.g;
    const d = hidden / heads;
    // [B, T, H] -> [B, heads, T, d]; Reshape's 0 keeps the input's dimension
    const split = (z: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [z, this.ints([0, 0, heads, d])])], { perm });
    const scores = g.op('Mul', [g.op('MatMul', [split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1])]), this.scalar(1 / Math.sqrt(d))]);
    const probs = g.op('Softmax', [g.op('Add', [scores, bias4])], { axis: -1 });
    const ctx = g.op('Transpose', [g.op('MatMul', [probs, split(v, [0, 2, 1, 3])])], { perm: [0, 2, 1, 3] });
    return g.op('Reshape', [ctx, this.ints([0, 0, hidden])]);
  }

  /** The first T rows of a [P, H] position table, T from the ids' shape. */
  firstRows(table: string, ids: string): string {
    const t = this.g.op('Slice', [this.g.op('Shape', [ids]), this.ints([1]), this.ints([2]), this.ints([0])]);
    return this.g.op('Slice', [table, this.ints([0]), t, this.ints([0])]);
  }
}

/** BERT's and RoBERTa's shared computation; `positions` gives the position embeddings [B, T, H] or [T, H]. */
function bertCore(
  o: GraphOps,
  c: BertConfig,
  inputs: EncoderInputs,
  positions: (table: string) => string,
  typeEmbeddings: (table: string) => string,
): EncoderValues {
  const g = o.g;
  const H = c.hidden_size;
  const I = c.intermediate_size;
  const eps = c.layer_norm_eps ?? 1e-12;
  const word = g.op('Gather', [o.w('embeddings.word_embeddings.weight', [c.vocab_size, H]), inputs.inputIds], { axis: 0 });
  const pos = positions(o.w('embeddings.position_embeddings.weight', [c.max_position_embeddings, H]));
  const typ = typeEmbeddings(o.w('embeddings.token_type_embeddings.weight', [c.type_vocab_size ?? 2, H]));
  let x = o.layerNorm(g.op('Add', [g.op('Add', [word, pos]), typ]), 'embeddings.LayerNorm', eps);
  const bias4 = o.maskBias(inputs.attentionMask);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`;
    for (const n of ['self.query', 'self.key', 'self.value', 'output.dense']) o.w(`${p}.attention.${n}.weight`, [H, H]);
    o.w(`${p}.intermediate.dense.weight`, [I, H]);
    o.w(`${p}.output.dense.weight`, [H, I]);
    const [q, k, v] = ['query', 'key', 'value'].map((n) => o.linear(x, `${p}.attention.self.${n}`));
    const ao = o.linear(o.attention(q, k, v, c.num_attention_heads, H, bias4), `${p}.attention.output.dense`);
    const h1 = o.layerNorm(g.op('Add', [ao, x]), `${p}.attention.output.LayerNorm`, eps);
    const inter = o.activation(c.hidden_act, o.linear(h1, `${p}.intermediate.dense`));
    x = o.layerNorm(g.op('Add', [o.linear(inter, `${p}.output.dense`), h1]), `${p}.output.LayerNorm`, eps);
  }
  // the pooler only where the checkpoint has one (transformers builds none for heads that do not read it)
  if (!o.has('pooler.dense.weight')) return { sequence: x };
  const first = g.op('Gather', [x, g.constInt64([0], [])], { axis: 1 });
  return { sequence: x, pooled: g.op('Tanh', [o.linear(first, 'pooler.dense', 2)]) };
}

/** BERT over "bert."-prefixed weights: positions 0..T-1, token types from `inputs.tokenTypeIds` (zeros without). */
export function bertGraph(g: OnnxGraph, weights: Map<string, NamedTensor>, config: BertConfig, inputs: EncoderInputs): EncoderValues {
  const c = bertConfig(config);
  const o = new GraphOps(g, weights, 'bert.');
  return bertCore(
    o,
    c,
    inputs,
    (table) => o.firstRows(table, inputs.inputIds),
    (table) =>
      inputs.tokenTypeIds
        ? g.op('Gather', [table, inputs.tokenTypeIds], { axis: 0 })
        : g.op('Gather', [table, g.constInt64([0], [])], { axis: 0 }),
  );
}

/** RoBERTa over "roberta."-prefixed weights: position = cumsum(ids ≠ pad) · (ids ≠ pad) + pad (robertaPositionIds),
 *  token type 0 everywhere. */
export function robertaGraph(g: OnnxGraph, weights: Map<string, NamedTensor>, config: BertConfig, inputs: EncoderInputs): EncoderValues {
  const c = robertaConfig(config);
  const pad = c.pad_token_id ?? 1;
  const o = new GraphOps(g, weights, 'roberta.');
  const positions = (table: string) => {
    const real = g.op('Cast', [g.op('Not', [g.op('Equal', [inputs.inputIds, g.constInt64([pad], [])])])], { to: 7 });
    const ids = g.op('Add', [g.op('Mul', [g.op('CumSum', [real, g.constInt64([1], [])]), real]), g.constInt64([pad], [])]);
    return g.op('Gather', [table, ids], { axis: 0 });
  };
  return bertCore(o, c, inputs, positions, (table) => g.op('Gather', [table, g.constInt64([0], [])], { axis: 0 }));
}

/** DistilBERT over "distilbert."-prefixed weights: positions 0..T-1, no token types, no pooler, LayerNorm eps 1e-12. */
export function distilbertGraph(
  g: OnnxGraph,
  weights: Map<string, NamedTensor>,
  config: DistilBertConfig,
  inputs: EncoderInputs,
): EncoderValues {
  const c = distilBertConfig(config);
  const o = new GraphOps(g, weights, 'distilbert.');
  const D = c.dim;
  const eps = 1e-12;
  const word = g.op('Gather', [o.w('embeddings.word_embeddings.weight', [c.vocab_size, D]), inputs.inputIds], { axis: 0 });
  const pos = o.firstRows(o.w('embeddings.position_embeddings.weight', [c.max_position_embeddings, D]), inputs.inputIds);
  let x = o.layerNorm(g.op('Add', [word, pos]), 'embeddings.LayerNorm', eps);
  const bias4 = o.maskBias(inputs.attentionMask);
  for (let i = 0; i < c.n_layers; i++) {
    const p = `transformer.layer.${i}`;
    for (const n of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) o.w(`${p}.attention.${n}.weight`, [D, D]);
    o.w(`${p}.ffn.lin1.weight`, [c.hidden_dim, D]);
    o.w(`${p}.ffn.lin2.weight`, [D, c.hidden_dim]);
    const [q, k, v] = ['q_lin', 'k_lin', 'v_lin'].map((n) => o.linear(x, `${p}.attention.${n}`));
    const sa = o.linear(o.attention(q, k, v, c.n_heads, D, bias4), `${p}.attention.out_lin`);
    const h1 = o.layerNorm(g.op('Add', [sa, x]), `${p}.sa_layer_norm`, eps);
    const f = o.linear(o.activation(c.activation, o.linear(h1, `${p}.ffn.lin1`)), `${p}.ffn.lin2`);
    x = o.layerNorm(g.op('Add', [f, h1]), `${p}.output_layer_norm`, eps);
  }
  return { sequence: x };
}
