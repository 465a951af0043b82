// What bench/train.ts (Node) and bench/train-browser.ts (Chromium) train on: the bert-tiny shape with random weights,
// synthetic token ids (lcg32, so every run sees the same ones) and a tokenizer stand-in.
import type { TextTokenizer } from '../lib/models/types';
import { lcg32 } from '../lib/rng';
import type { EncodedExample } from '../lib/train/encode';

export const BERT_TINY = {
  vocab_size: 30522,
  hidden_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 512,
  max_position_embeddings: 512,
};

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** Tokenizer stand-in for a randomly initialised BERT: the benchmark feeds token ids directly. */
export function idsOnlyTokenizer(vocabSize: number, modelMaxLength: number): TextTokenizer {
  return {
    kind: 'hf',
    vocabSize,
    padId: 0,
    modelMaxLength,
    encode() {
      throw new Error('the benchmark feeds token ids directly');
    },
    files: () => ({}),
  };
}

export function syntheticExamples(n: number, seqLen: number, vocab: number, seed: number): EncodedExample[] {
  const rand = lcg32(seed);
  return Array.from({ length: n }, () => ({
    ids: Array.from({ length: seqLen }, () => 5 + Math.floor(rand() * (vocab - 5))),
    label: rand() < 0.5 ? 0 : 1,
  }));
}
