// DistilBERT (Hugging Face DistilBertModel) over tf.Variables keyed by DistilBertModel's names (no "distilbert."
// prefix). No token types, no pooler: the pooled output is the first ([CLS]) token's state. LayerNorm eps is 1e-12
// (fixed in transformers' code, not in config).
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { activation, blockOfBertName, checkParams, embeddingLookup, initParams } from './bert';
import {
  additiveMask,
  dropout,
  layerNorm,
  linear,
  linearAct,
  linears,
  multiHeadAttention,
  resetDropoutCounter,
  type LayerContext,
  type LoraAdapter,
} from './layers';
import type { Encoder, EncoderOutput, ForwardOptions, LoraTarget, TensorBatch } from './types';

export interface DistilBertConfig {
  model_type?: string;
  vocab_size: number;
  dim: number;
  n_layers: number;
  n_heads: number;
  hidden_dim: number;
  activation?: string;
  dropout?: number;
  attention_dropout?: number;
  max_position_embeddings: number;
  initializer_range?: number;
  pad_token_id?: number;
  sinusoidal_pos_embds?: boolean;
  [key: string]: unknown;
}

export function distilBertConfig(c: Partial<DistilBertConfig>): DistilBertConfig {
  return {
    model_type: 'distilbert',
    vocab_size: 30522,
    dim: 768,
    n_layers: 6,
    n_heads: 12,
    hidden_dim: 3072,
    activation: 'gelu',
    dropout: 0.1,
    attention_dropout: 0.1,
    max_position_embeddings: 512,
    initializer_range: 0.02,
    pad_token_id: 0,
    sinusoidal_pos_embds: false,
    ...c,
  };
}

const EPS = 1e-12;

function checkConfig(c: DistilBertConfig): void {
  for (const k of ['vocab_size', 'dim', 'n_layers', 'n_heads', 'hidden_dim', 'max_position_embeddings'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new UserError(
        `config key "${k}" must be a positive integer (got ${JSON.stringify(v)})`,
        { file: 'config.json', option: k },
        'check config.json',
      );
  }
  if (c.dim % c.n_heads !== 0)
    throw new UserError(
      `dim ${c.dim} is not a multiple of n_heads ${c.n_heads}`,
      { file: 'config.json', option: 'n_heads' },
      'check config.json',
    );
}

export function distilBertParamShapes(c: DistilBertConfig): Map<string, number[]> {
  const D = c.dim,
    F = c.hidden_dim;
  const m = new Map<string, number[]>();
  m.set('embeddings.word_embeddings.weight', [c.vocab_size, D]);
  m.set('embeddings.position_embeddings.weight', [c.max_position_embeddings, D]);
  m.set('embeddings.LayerNorm.weight', [D]);
  m.set('embeddings.LayerNorm.bias', [D]);
  for (let i = 0; i < c.n_layers; i++) {
    const p = `transformer.layer.${i}`;
    for (const n of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) {
      m.set(`${p}.attention.${n}.weight`, [D, D]);
      m.set(`${p}.attention.${n}.bias`, [D]);
    }
    m.set(`${p}.sa_layer_norm.weight`, [D]);
    m.set(`${p}.sa_layer_norm.bias`, [D]);
    m.set(`${p}.ffn.lin1.weight`, [F, D]);
    m.set(`${p}.ffn.lin1.bias`, [F]);
    m.set(`${p}.ffn.lin2.weight`, [D, F]);
    m.set(`${p}.ffn.lin2.bias`, [D]);
    m.set(`${p}.output_layer_norm.weight`, [D]);
    m.set(`${p}.output_layer_norm.bias`, [D]);
  }
  return m;
}

const isLn = (n: string) => n.includes('LayerNorm') || n.includes('layer_norm');

export function randomDistilBertParams(config: DistilBertConfig, seed = 0): Map<string, tf.Variable> {
  const c = distilBertConfig(config);
  checkConfig(c);
  return initParams(distilBertParamShapes(c), c.initializer_range ?? 0.02, seed, isLn);
}

export function blockOfDistilBertName(name: string): 'embeddings' | number | 'pooler' | 'other' {
  const m = /^transformer\.layer\.(\d+)\./.exec(name);
  if (m) return Number(m[1]);
  return blockOfBertName(name);
}

export function createDistilBert(
  config: DistilBertConfig,
  params?: Map<string, tf.Variable>,
): Encoder & { lora: Map<string, LoraAdapter> } {
  const c = distilBertConfig(config);
  checkConfig(c);
  const ps = params ?? randomDistilBertParams(c, 0);
  checkParams(distilBertParamShapes(c), ps, 'model.safetensors');
  const act = activation(c.activation, 'config.json');
  const D = c.dim,
    L = c.n_layers,
    heads = c.n_heads;
  const drop = c.dropout ?? 0.1,
    attnDrop = c.attention_dropout ?? 0.1;
  const lora = new Map<string, LoraAdapter>();
  let disposed = false;

  return {
    arch: 'distilbert',
    config: c,
    pooledSize: D,
    hiddenSize: D,
    numLayers: L,
    params: ps,
    lora,
    blockOf: blockOfDistilBertName,
    linearPrefixes(target: LoraTarget): string[] {
      const per: Record<LoraTarget, string[]> = {
        query: ['attention.q_lin'],
        key: ['attention.k_lin'],
        value: ['attention.v_lin'],
        output: ['attention.out_lin'],
        ffn: ['ffn.lin1', 'ffn.lin2'],
      };
      return Array.from({ length: L }, (_, i) => per[target].map((s) => `transformer.layer.${i}.${s}`)).flat();
    },
    forward(batch: TensorBatch, fo: ForwardOptions): EncoderOutput {
      if (disposed) throw new Error('encoder used after dispose()');
      resetDropoutCounter();
      const ctx: LayerContext = { params: ps, training: fo.training, lora, seed: fo.seed, rows: fo.rows };
      const [b, t] = batch.inputIds.shape;
      if (t > c.max_position_embeddings)
        throw new UserError(
          `sequence of ${t} tokens is longer than the model's ${c.max_position_embeddings} positions`,
          { option: 'maxLength' },
          `truncate to at most ${c.max_position_embeddings} tokens`,
        );
      const word = embeddingLookup(ps.get('embeddings.word_embeddings.weight')!, batch.inputIds);
      const posIds = tf.range(0, t, 1, 'int32').expandDims(0).tile([b, 1]);
      const pos = embeddingLookup(ps.get('embeddings.position_embeddings.weight')!, posIds);
      let x = dropout(layerNorm(ctx, 'embeddings.LayerNorm', word.add(pos), EPS), drop, ctx) as tf.Tensor3D;
      const hidden: tf.Tensor3D[] = fo.outputHiddenStates ? [x] : [];
      const mask4d = additiveMask(batch.attentionMask);
      for (let i = 0; i < L; i++) {
        const p = `transformer.layer.${i}`;
        const [q, k, v] = linears(
          ctx,
          ['q_lin', 'k_lin', 'v_lin'].map((n) => `${p}.attention.${n}`),
          x,
        );
        const sa = linear(ctx, `${p}.attention.out_lin`, multiHeadAttention(q, k, v, heads, mask4d, attnDrop, ctx));
        const h1 = layerNorm(ctx, `${p}.sa_layer_norm`, sa.add(x), EPS);
        const f = dropout(linear(ctx, `${p}.ffn.lin2`, linearAct(ctx, `${p}.ffn.lin1`, h1, act)), drop, ctx);
        x = layerNorm(ctx, `${p}.output_layer_norm`, f.add(h1), EPS) as tf.Tensor3D;
        if (fo.outputHiddenStates) hidden.push(x);
      }
      const pooled = x.slice([0, 0, 0], [b, 1, D]).reshape([b, D]) as tf.Tensor2D;
      return { sequence: x, pooled, hiddenStates: fo.outputHiddenStates ? hidden : undefined };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of ps.values()) if (!v.isDisposed) v.dispose();
      for (const a of lora.values()) for (const v of [a.A, a.B]) if (!v.isDisposed) v.dispose();
      lora.clear();
    },
  };
}
