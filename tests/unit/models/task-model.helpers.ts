// Shared by the head / mode / LoRA / TaskModel tests: a tiny random BERT, a toy tokenizer and padded batches.
import * as tf from '@tensorflow/tfjs';
import { bertConfig, createBert, randomBertParams } from '@/lib/models/bert';
import { createDistilBert, distilBertConfig, randomDistilBertParams } from '@/lib/models/distilbert';
import { createRoberta, randomRobertaParams, robertaConfig } from '@/lib/models/roberta';
import type { Architecture, Encoder, Encoding, TensorBatch, TextTokenizer } from '@/lib/models/types';

export const TINY = bertConfig({
  vocab_size: 100,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 48,
  max_position_embeddings: 32,
});

/** A tiny random encoder of the given architecture (L2, H32, 2 heads, vocab 100), seeded. */
export function tinyEncoder(arch: Architecture = 'bert', seed = 1): Encoder {
  if (arch === 'distilbert') {
    const c = distilBertConfig({ vocab_size: 100, dim: 32, n_layers: 2, n_heads: 2, hidden_dim: 48, max_position_embeddings: 32 });
    return createDistilBert(c, randomDistilBertParams(c, seed));
  }
  if (arch === 'roberta') {
    const c = robertaConfig({
      vocab_size: 100,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 48,
      max_position_embeddings: 40,
    });
    return createRoberta(c, randomRobertaParams(c, seed));
  }
  if (arch !== 'bert') throw new Error(`no tiny ${arch} encoder in these tests`);
  return createBert(TINY, randomBertParams(TINY, seed));
}

/** Word-level toy tokenizer: [CLS]=1 words… [SEP]=2 (pair: … [SEP]), ids from a stable hash into 5..vocab-1. */
export function toyTokenizer(vocab = TINY.vocab_size): TextTokenizer {
  const id = (w: string) => 5 + ([...w].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % (vocab - 5));
  return {
    kind: 'hf',
    vocabSize: vocab,
    padId: 0,
    modelMaxLength: 32,
    encode(text: string, pair?: string): Encoding {
      const a = text.split(/\s+/).filter(Boolean).map(id);
      const b = pair === undefined ? [] : pair.split(/\s+/).filter(Boolean).map(id);
      const ids = [1, ...a, 2, ...(pair === undefined ? [] : [...b, 2])];
      const typeIds = [...Array(a.length + 2).fill(0), ...Array(pair === undefined ? 0 : b.length + 1).fill(1)];
      return { ids, typeIds };
    },
    files: () => ({}),
  };
}

export function padBatch(encs: Encoding[], padId = 0): TensorBatch {
  const T = Math.max(...encs.map((e) => e.ids.length));
  const ids = encs.map((e) => [...e.ids, ...Array(T - e.ids.length).fill(padId)]);
  const mask = encs.map((e) => [...Array(e.ids.length).fill(1), ...Array(T - e.ids.length).fill(0)]);
  const types = encs.map((e) => [...(e.typeIds ?? Array(e.ids.length).fill(0)), ...Array(T - e.ids.length).fill(0)]);
  return {
    inputIds: tf.tensor2d(ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(mask, undefined, 'int32'),
    tokenTypeIds: tf.tensor2d(types, undefined, 'int32'),
  };
}

export const SENTENCES = ['the movie was great', 'terrible plot and bad acting', 'an ok film overall', 'i loved every minute of it'];

export function sampleBatch(tok: TextTokenizer = toyTokenizer()): TensorBatch {
  return padBatch(SENTENCES.map((s) => tok.encode(s)));
}

export function disposeBatch(b: TensorBatch): void {
  b.inputIds.dispose();
  b.attentionMask.dispose();
  b.tokenTypeIds?.dispose();
}

export function snapshot(vars: Map<string, tf.Variable>): Map<string, Float32Array> {
  return new Map([...vars].map(([n, v]) => [n, v.dataSync() as Float32Array]));
}

export function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((x, i) => x === ub[i]);
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}
