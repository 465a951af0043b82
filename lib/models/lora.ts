// LoRA adapters: which Linears each target means per architecture, PEFT-style initialisation and names, and merging
// W' = W + scale·B·A back into the dense weights for export.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { LoraAdapter } from './layers';
import type { Encoder, FineTuneMode, LoraTarget } from './types';

export type LoraMode = Extract<FineTuneMode, { kind: 'lora' }>;

export const LORA_TARGETS: readonly LoraTarget[] = ['query', 'key', 'value', 'output', 'ffn'];

/**
 * Linear-name patterns per target (matched against "<prefix>.weight"), covering BertModel / RobertaModel
 * (attention.self.query, attention.output.dense, intermediate.dense, output.dense) and DistilBertModel (q_lin, out_lin,
 * ffn.lin1/lin2). An encoder with other names implements Encoder.linearPrefixes instead.
 */
const PATTERNS: Record<LoraTarget, RegExp[]> = {
  query: [/\.attention\.self\.query$/, /\.attention\.q_lin$/],
  key: [/\.attention\.self\.key$/, /\.attention\.k_lin$/],
  value: [/\.attention\.self\.value$/, /\.attention\.v_lin$/],
  output: [/\.attention\.output\.dense$/, /\.attention\.out_lin$/],
  ffn: [/\.intermediate\.dense$/, /\.layer\.\d+\.output\.dense$/, /\.ffn\.lin[12]$/],
};

/** The Linear prefixes (weight "<prefix>.weight", [out, in]) that the targets select, in parameter order. */
export function loraTargetPrefixes(encoder: Encoder, targets: LoraTarget[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    let prefixes: string[];
    if (encoder.linearPrefixes) {
      prefixes = encoder.linearPrefixes(t);
    } else {
      prefixes = [];
      for (const [name, v] of encoder.params) {
        if (!name.endsWith('.weight') || v.rank !== 2 || typeof encoder.blockOf(name) !== 'number') continue;
        const prefix = name.slice(0, -'.weight'.length);
        if (PATTERNS[t].some((re) => re.test(prefix))) prefixes.push(prefix);
      }
    }
    if (prefixes.length === 0) {
      throw new UserError(
        `LoRA target "${t}" matches no layer of this ${encoder.arch} model`,
        { option: 'lora.targets' },
        `choose among targets that this model has (${LORA_TARGETS.join(', ')})`,
      );
    }
    for (const p of prefixes) {
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
    }
  }
  // prefixes name "<prefix>.weight" or (TF kernels) the weight itself
  const order = new Map([...encoder.params.keys()].map((n, i) => [n, i]));
  const rank = (p: string) => order.get(`${p}.weight`) ?? order.get(p) ?? order.size;
  return out.sort((a, b) => rank(a) - rank(b));
}

/** PEFT's parameter names for one adapter: "<prefix>.lora_A.weight" [r, in] and "<prefix>.lora_B.weight" [out, r]. */
export function loraParamNames(prefix: string): { A: string; B: string } {
  return { A: `${prefix}.lora_A.weight`, B: `${prefix}.lora_B.weight` };
}

/** "<prefix>.lora_A.weight" → { prefix, which: 'A' }; null for any other name. */
export function parseLoraParamName(name: string): { prefix: string; which: 'A' | 'B' } | null {
  const m = /^(.*)\.lora_([AB])\.weight$/.exec(name);
  return m ? { prefix: m[1], which: m[2] as 'A' | 'B' } : null;
}

export function checkLoraMode(mode: LoraMode): void {
  if (!Number.isInteger(mode.rank) || mode.rank < 1) {
    throw new UserError(`LoRA rank must be a positive integer, got ${mode.rank}`, { option: 'lora.rank' }, 'use a rank such as 8');
  }
  if (!(typeof mode.alpha === 'number' && Number.isFinite(mode.alpha) && mode.alpha > 0)) {
    throw new UserError(
      `LoRA alpha must be a positive number, got ${mode.alpha}`,
      { option: 'lora.alpha' },
      'use alpha = 2 × rank, e.g. 16 for rank 8',
    );
  }
  if (!(mode.dropout >= 0 && mode.dropout < 1)) {
    throw new UserError(`LoRA dropout must be in [0, 1), got ${mode.dropout}`, { option: 'lora.dropout' }, 'use a value such as 0.05');
  }
  if (!Array.isArray(mode.targets) || mode.targets.length === 0) {
    throw new UserError('LoRA needs at least one target', { option: 'lora.targets' }, `pick some of ${LORA_TARGETS.join(', ')}`);
  }
  for (const t of mode.targets) {
    if (!LORA_TARGETS.includes(t)) {
      throw new UserError(`unknown LoRA target "${t}"`, { option: 'lora.targets' }, `pick among ${LORA_TARGETS.join(', ')}`);
    }
  }
}

/** The weight a Linear prefix names: "<prefix>.weight", else the prefix itself (encoders with TF-style names). */
export function linearWeightName(params: Map<string, tf.Variable>, prefix: string): string {
  if (params.has(`${prefix}.weight`)) return `${prefix}.weight`;
  if (params.has(prefix)) return prefix;
  throw new Error(`LoRA target "${prefix}" has no weight`);
}

/** [out, in] of a Linear weight in the encoder's layout ('in-out' kernels may carry leading 1s: [1, 1, in, out]). */
export function linearDims(w: tf.Tensor, layout: 'out-in' | 'in-out'): [number, number] {
  const [a, b] = w.shape.slice(-2) as [number, number];
  if (w.rank < 2 || w.shape.slice(0, -2).some((d) => d !== 1)) throw new Error(`not a Linear weight: [${w.shape.join(', ')}]`);
  return layout === 'out-in' ? [a, b] : [b, a];
}

/**
 * New adapters for the targeted Linears: A ~ kaiming-uniform(a=√5) = U(±1/√in) as PEFT, B = 0, so the adapted model
 * starts exactly equal to the base one. Seeded.
 */
export function createLoraAdapters(encoder: Encoder, mode: LoraMode, seed: number): Map<string, LoraAdapter> {
  checkLoraMode(mode);
  const adapters = new Map<string, LoraAdapter>();
  const scale = mode.alpha / mode.rank;
  const layout = encoder.linearLayout ?? 'out-in';
  let i = 0;
  for (const prefix of loraTargetPrefixes(encoder, mode.targets)) {
    i++;
    const w = encoder.params.get(linearWeightName(encoder.params, prefix))!;
    const [out, inn] = linearDims(w, layout);
    const bound = 1 / Math.sqrt(inn);
    const a = tf.randomUniform([mode.rank, inn], -bound, bound, 'float32', seed * 15485863 + i);
    const b = tf.zeros([out, mode.rank]);
    adapters.set(prefix, { A: tf.variable(a, true), B: tf.variable(b, true), scale, dropout: mode.dropout });
    a.dispose();
    b.dispose();
  }
  return adapters;
}

/** W + scale·B·A as a new tensor in W's own shape and layout (the caller disposes it). */
export function mergedWeight(w: tf.Tensor, ad: LoraAdapter, layout: 'out-in' | 'in-out' = 'out-in'): tf.Tensor {
  return tf.tidy(() => {
    const delta = tf.matMul(ad.B as tf.Tensor2D, ad.A as tf.Tensor2D).mul(ad.scale);
    return w.add((layout === 'out-in' ? delta : delta.transpose()).reshape(w.shape));
  });
}

/** Folds every adapter into its Linear's weight in place (W ← W + scale·B·A) and disposes the adapters. */
export function mergeAdaptersInto(encoder: Encoder, adapters: Map<string, LoraAdapter>): void {
  const layout = encoder.linearLayout ?? 'out-in';
  for (const [prefix, ad] of adapters) {
    const w = encoder.params.get(linearWeightName(encoder.params, prefix))!;
    const merged = mergedWeight(w, ad, layout);
    w.assign(merged);
    merged.dispose();
    if (encoder.lora?.get(prefix) === ad) encoder.lora.delete(prefix);
    ad.A.dispose();
    ad.B.dispose();
  }
  adapters.clear();
}
