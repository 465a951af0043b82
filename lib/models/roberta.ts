// RoBERTa (Hugging Face RobertaModel): BERT's computation with positions counted from padding_idx + 1 over the
// non-padding tokens only (transformers' create_position_ids_from_input_ids), one token type, LayerNorm eps 1e-5.
import * as tf from '@tensorflow/tfjs';
import { bertConfig, bertParamShapes, createBertCore, initParams, type BertConfig, type EncoderExtras } from './bert';
import type { Encoder } from './types';

/** RobertaConfig's defaults over BertConfig's (as transformers' roberta-base config.json). */
export function robertaConfig(c: Partial<BertConfig>): BertConfig {
  return bertConfig({
    model_type: 'roberta',
    vocab_size: 50265,
    max_position_embeddings: 514,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
    pad_token_id: 1,
    ...c,
  });
}

/** position = cumsum(ids != pad) · (ids != pad) + pad: pads keep position pad, real tokens count from pad + 1. */
export function robertaPositionIds(inputIds: tf.Tensor2D, padId: number): tf.Tensor2D {
  return tf.tidy(() => {
    const mask = tf.notEqual(inputIds.toInt(), padId).toInt();
    return tf.cumsum(mask, 1).mul(mask).add(padId).toInt() as tf.Tensor2D;
  });
}

export function randomRobertaParams(config: BertConfig, seed = 0): Map<string, tf.Variable> {
  const c = robertaConfig(config);
  return initParams(bertParamShapes(c), c.initializer_range ?? 0.02, seed, (n) => n.includes('LayerNorm'));
}

/** A RoBERTa encoder over `params` (RobertaModel names, no "roberta." prefix); seeded random init when omitted. */
export function createRoberta(config: BertConfig, params?: Map<string, tf.Variable>): Encoder & EncoderExtras {
  const c = robertaConfig(config);
  const pad = c.pad_token_id ?? 1;
  return createBertCore(c, params ?? randomRobertaParams(c, 0), {
    arch: 'roberta',
    positionIds: (batch) => robertaPositionIds(batch.inputIds, pad),
    maxLength: c.max_position_embeddings - pad - 1,
  });
}
