// Analytic FLOP counts for the benchmarked encoders, so achieved GFLOP/s can be compared with the backend's matmul
// GFLOP/s. Only matrix multiplications are counted (elementwise ops, softmax, LayerNorm, gathers are left out), so
// the achieved figure is a lower bound of the work done.
//
// Per sequence of T tokens, with P = the parameters that multiply every token (the dense/Linear weights) and, per
// layer l, attention width d_l:
//   forward   = 2·P·T  +  Σ_l 4·T²·d_l  (QKᵀ and A·V, 2·T²·d_l each)  +  2·Q   (Q: per-sequence weights, e.g. pooler)
//   training  = 3 × forward  (backward = gradients w.r.t. inputs and w.r.t. weights, each as costly as the forward)
// This is the usual 6·N·tokens rule for training plus the attention terms.

export interface FlopShape {
  /** dense parameters applied to every token */
  perTokenParams: number;
  /** attention width of each layer */
  attentionWidths: number[];
  /** dense parameters applied once per sequence (pooler / projection) */
  perSequenceParams: number;
}

export function forwardFlops(s: FlopShape, batch: number, seqLen: number): number {
  const attn = s.attentionWidths.reduce((a, d) => a + 4 * seqLen * seqLen * d, 0);
  return batch * (2 * s.perTokenParams * seqLen + attn + 2 * s.perSequenceParams);
}

export function trainingFlops(s: FlopShape, batch: number, seqLen: number): number {
  return 3 * forwardFlops(s, batch, seqLen);
}

/** BERT: per layer Q, K, V, attention output (4·H²) and the FFN (2·H·I); the pooler (H²) once per sequence. */
export function bertFlopShape(c: { hidden_size: number; num_hidden_layers: number; intermediate_size: number }): FlopShape {
  const H = c.hidden_size,
    I = c.intermediate_size,
    L = c.num_hidden_layers;
  return { perTokenParams: L * (4 * H * H + 2 * H * I), attentionWidths: new Array(L).fill(H), perSequenceParams: H * H };
}

/** USE-Lite: per layer the fused QKV (in·3d), the output (d·H), layer 0's residual projection (in·H), the FFN (2·H·I);
 *  the tanh projection once per sequence. */
export function useLiteFlopShape(c: {
  embedding_size: number;
  hidden_size: number;
  attention_sizes: number[];
  intermediate_size: number;
  projection_size: number;
}): FlopShape {
  let width = c.embedding_size;
  let perToken = 0;
  for (const d of c.attention_sizes) {
    perToken += width * 3 * d + d * c.hidden_size + 2 * c.hidden_size * c.intermediate_size;
    if (width !== c.hidden_size) perToken += width * c.hidden_size;
    width = c.hidden_size;
  }
  return { perTokenParams: perToken, attentionWidths: [...c.attention_sizes], perSequenceParams: c.hidden_size * c.projection_size };
}
