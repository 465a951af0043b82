// The contracts between tokenizers, encoders, heads and the training loop. Parameters are plain tf.Variables keyed by
// the checkpoint's own names (Hugging Face names for the BERT family), so safetensors go in and out unchanged.
import type * as tf from '@tensorflow/tfjs';
import type { Encoding, TextTokenizer } from '../tokenize/types';
import type { LoraAdapter } from './layers';

/** The tokenizer contract lives with the tokenizers (lib/tokenize/types.ts); re-exported for the model side. */
export type { Encoding, TextTokenizer };

export type Architecture = 'use-lite' | 'bert' | 'distilbert' | 'roberta';
export type Task = 'classification' | 'multilabel' | 'regression' | 'token-classification';

/** A padded batch as tensors (int32). */
export interface TensorBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds?: tf.Tensor2D;
}

export interface ForwardOptions {
  training: boolean;
  outputHiddenStates?: boolean;
  /** seeded dropout: same seed + step give the same masks (determinism / exact resume) */
  seed?: number;
  /** each batch row's position in the whole batch: with a seed, a row's dropout masks depend on its position only,
   *  so a batch split over threads trains as the whole batch does (lib/rng.ts rowDropoutMask) */
  rows?: readonly number[];
}

export interface EncoderOutput {
  /** last hidden state [B, T, H] */
  sequence: tf.Tensor3D;
  /** sentence embedding [B, H'] (BERT: pooler output; USE-Lite: the 512-d normalised embedding) */
  pooled: tf.Tensor2D;
  /** embeddings output then each layer's output, when asked */
  hiddenStates?: tf.Tensor3D[];
}

export interface Encoder {
  readonly arch: Architecture;
  /** Hugging Face config.json keys (hidden_size, num_hidden_layers, ...) */
  readonly config: Record<string, unknown>;
  readonly pooledSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  /** every parameter, by checkpoint name */
  readonly params: Map<string, tf.Variable>;
  /** which block a parameter belongs to, for freezing the bottom N layers */
  blockOf(name: string): 'embeddings' | number | 'pooler' | 'other';
  /** LoRA adapters keyed by Linear prefix, read on every forward (lora.ts fills it); absent: no LoRA support */
  readonly lora?: Map<string, LoraAdapter>;
  /** Linear prefixes (weight "<prefix>.weight", or the weight's own name) a LoRA target maps to; absent: lora.ts's name patterns */
  linearPrefixes?(target: LoraTarget): string[];
  /** how Linear weights are stored: 'out-in' (PyTorch, the default) or 'in-out' (TF kernels, possibly [1, 1, in, out]) */
  readonly linearLayout?: 'out-in' | 'in-out';
  forward(batch: TensorBatch, opts: ForwardOptions): EncoderOutput;
  dispose(): void;
}

/** How much of the model trains. */
export type FineTuneMode =
  | { kind: 'full' }
  | { kind: 'freeze'; layers: number } // embeddings + the bottom N layers frozen
  | { kind: 'head' } // encoder frozen; features can be computed once and cached
  | { kind: 'lora'; rank: number; alpha: number; dropout: number; targets: LoraTarget[] };
export type LoraTarget = 'query' | 'key' | 'value' | 'output' | 'ffn';

/** An encoder plus a task head: what the training loop trains and the playground runs. */
export interface TaskModel {
  readonly task: Task;
  readonly encoder: Encoder;
  readonly tokenizer: TextTokenizer;
  readonly labels: string[]; // id2label in id order (empty for regression)
  readonly mode: FineTuneMode;
  /** logits: [B, numLabels] (sequence tasks) or [B, T, numLabels] (token classification) */
  forward(batch: TensorBatch, opts: ForwardOptions): tf.Tensor;
  /** head-only mode: encoder features for a batch (no gradient), and the head applied to cached features */
  features(batch: TensorBatch): tf.Tensor;
  headForward(features: tf.Tensor, opts: ForwardOptions): tf.Tensor;
  /** the variables the optimizer updates in this mode, by name */
  trainable(): Map<string, tf.Variable>;
  /** every variable (encoder, head, adapters), by name: what a checkpoint stores */
  variables(): Map<string, tf.Variable>;
  paramCounts(): { trainable: number; total: number };
  dispose(): void;
}
