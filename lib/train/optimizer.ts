// Adam and AdamW over plain tf.Variables (tfjs core has no AdamW). Semantics follow PyTorch: AdamW decays the weights
// directly (p -= lr·wd·p) before the Adam step; Adam adds wd·p to the gradient (L2). Biases and LayerNorm weights are
// never decayed, decided by name. State (moments, step) round-trips through plain Float32Arrays for checkpoints.
import * as tf from '@tensorflow/tfjs';
import { inPlaceAdamStep } from '@/lib/backend/fast-paths';
import type { OptimizerState, TensorData } from '@/lib/store/types';
import type { OptimizerKind } from './config';

export type { OptimizerKind };

export interface OptimizerOptions {
  kind: OptimizerKind;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Where the backend has an in-place step (wasm: lib/backend/fast-paths.ts), update each parameter and its moments
   *  in place in one pass (default true); false always uses tensor ops (about 14 kernel calls per parameter). Both
   *  compute the same update. */
  fused?: boolean;
  /** per-parameter learning-rate multipliers by name (default 1), e.g. a larger rate for a freshly initialised head */
  lrScales?: Record<string, number>;
}

/** Whether weight decay applies to a parameter: not to biases, nor to any normalisation layer's parameters. */
export function decays(name: string): boolean {
  const n = name.toLowerCase();
  if (n.endsWith('bias') || n.endsWith('.b')) return false;
  return !/(layernorm|layer_norm|\bln_?\w*\.|norm\.(weight|gamma|beta)|\.gamma$|\.beta$)/.test(n);
}

export class AdamOptimizer {
  readonly opts: OptimizerOptions;
  private readonly params: Map<string, tf.Variable>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly decayed = new Set<string>();
  /** optimizer steps taken so far */
  step = 0;

  constructor(params: Map<string, tf.Variable>, opts: OptimizerOptions) {
    this.opts = opts;
    this.params = params;
    for (const [name, p] of params) {
      // inside tidy: the zeros a variable starts from are released; the variable itself is kept
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false, undefined, 'float32')),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false, undefined, 'float32')),
      );
      if (decays(name)) this.decayed.add(name);
    }
  }

  names(): string[] {
    return [...this.params.keys()];
  }

  /** One update with learning rate `lr` from gradients keyed by parameter name (missing ones are skipped), each
   *  gradient first multiplied by `gradScale` (clipping and accumulation averaging). */
  apply(grads: Record<string, tf.Tensor>, lr: number, gradScale: number | tf.Scalar = 1): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay, kind } = this.opts;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    const sqrtBc2 = Math.sqrt(bc2);
    const lrOf = (name: string) => lr * (this.opts.lrScales?.[name] ?? 1);
    const rest: string[] = [];
    // a scale still on the device (WebGPU/WebGL read nothing back inside a step) goes through the tensor ops
    const inPlace = this.opts.fused !== false && typeof gradScale === 'number' ? inPlaceAdamStep() : null;
    for (const [name, p] of this.params) {
      const g = grads[name];
      if (!g) continue;
      const wd = this.decayed.has(name) ? weightDecay : 0;
      const lrP = lrOf(name);
      const done =
        inPlace !== null &&
        inPlace(p, this.m.get(name)!, this.v.get(name)!, g, {
          beta1,
          beta2,
          epsilon,
          stepSize: lrP / bc1,
          sqrtBc2,
          gradScale: gradScale as number,
          l2: kind === 'adam' ? wd : 0,
          decay: kind === 'adamw' ? 1 - lrP * wd : 1,
        });
      if (!done) rest.push(name);
    }
    if (!rest.length) return;
    tf.tidy(() => {
      for (const name of rest) {
        const p = this.params.get(name)!;
        const lrP = lrOf(name);
        let g = grads[name];
        if (gradScale !== 1) g = g.mul(gradScale);
        const wd = this.decayed.has(name) ? weightDecay : 0;
        if (kind === 'adam' && wd > 0) g = g.add(p.mul(wd));
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = m.mul(beta1).add(g.mul(1 - beta1));
        const v1 = v.mul(beta2).add(g.square().mul(1 - beta2));
        m.assign(m1);
        v.assign(v1);
        // PyTorch's form: p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps)
        let base: tf.Tensor = p;
        if (kind === 'adamw' && wd > 0) base = p.mul(1 - lrP * wd);
        const denom = v1.sqrt().div(sqrtBc2).add(epsilon);
        p.assign(base.sub(m1.div(denom).mul(lrP / bc1)));
      }
    });
  }

  async getState(): Promise<OptimizerState> {
    const read = async (vars: Map<string, tf.Variable>) => {
      const out: Record<string, TensorData> = {};
      for (const [name, t] of vars) out[name] = { shape: [...t.shape], data: new Float32Array((await t.data()) as Float32Array) };
      return out;
    };
    return { kind: this.opts.kind, step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  setState(state: OptimizerState): void {
    this.step = state.step;
    for (const [which, vars] of [
      ['m', this.m],
      ['v', this.v],
    ] as const) {
      for (const [name, t] of vars) {
        const d = state[which][name];
        if (!d) throw new Error(`optimizer state has no "${which}" for parameter "${name}"`);
        tf.tidy(() => t.assign(tf.tensor(d.data, t.shape, 'float32')));
      }
    }
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
