// TaskModel: an encoder plus a task head in one fine-tuning mode (full, freeze bottom N, head-only, LoRA). Owns which
// variables train (the optimizer's list and each tf.Variable's `trainable` flag agree) and the memory of head/adapters.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { applyHead, headFeatures, headSpec, initHeadParams, numLabelsFor, type HeadSpec } from './heads';
import type { LoraAdapter } from './layers';
import { checkLoraMode, createLoraAdapters, loraParamNames, mergeAdaptersInto, parseLoraParamName } from './lora';
import type { Encoder, FineTuneMode, ForwardOptions, Task, TaskModel, TensorBatch, TextTokenizer } from './types';

export interface CreateTaskModelOptions {
  encoder: Encoder;
  tokenizer: TextTokenizer;
  task: Task;
  /** id2label in id order (empty for regression) */
  labels: string[];
  mode: FineTuneMode;
  /**
   * A saved head (Hugging Face names: classifier.*, pre_classifier.*) and, in LoRA mode, saved adapters
   * ("<linear>.lora_A.weight" / ".lora_B.weight"). Variables passed here are taken over (disposed with the model).
   * Absent: a fresh seeded head (and fresh adapters).
   */
  headParams?: Map<string, tf.Variable | Float32Array>;
  seed?: number;
  /** overrides the architecture's default head dropout (classifier_dropout / hidden_dropout_prob / seq_classif_dropout) */
  classifierDropout?: number;
  /** dispose() also disposes the encoder (default true) */
  ownsEncoder?: boolean;
}

function checkMode(mode: FineTuneMode, encoder: Encoder): void {
  switch (mode.kind) {
    case 'full':
    case 'head':
      return;
    case 'freeze':
      if (!Number.isInteger(mode.layers) || mode.layers < 0 || mode.layers > encoder.numLayers) {
        throw new UserError(
          `can freeze 0 to ${encoder.numLayers} layers of this model, got ${mode.layers}`,
          { option: 'freeze.layers' },
          `pick a whole number from 0 to ${encoder.numLayers}`,
        );
      }
      return;
    case 'lora':
      checkLoraMode(mode);
      if (!encoder.lora) {
        throw new UserError(
          `this ${encoder.arch} model does not support LoRA`,
          { option: 'mode' },
          'choose full, freeze or head-only fine-tuning',
        );
      }
      return;
    default:
      throw new UserError(
        `unknown fine-tuning mode "${(mode as { kind: string }).kind}"`,
        { option: 'mode' },
        'choose full, freeze, head or lora',
      );
  }
}

/** Whether an encoder parameter trains in this mode; blocks the head never reads (e.g. an unused pooler) never train. */
function encoderParamTrains(mode: FineTuneMode, spec: HeadSpec, block: ReturnType<Encoder['blockOf']>): boolean {
  if (mode.kind === 'head' || mode.kind === 'lora') return false;
  if (block === 'pooler' || block === 'other') return spec.input === 'pooled';
  if (mode.kind === 'full') return true;
  if (block === 'embeddings') return false;
  return block >= mode.layers;
}

function shapeOf(v: tf.Variable | Float32Array, expected: number[]): number[] | null {
  if (v instanceof Float32Array) return v.length === expected.reduce((a, b) => a * b, 1) ? expected : null;
  return v.shape as number[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function toVariable(v: tf.Variable | Float32Array, shape: number[]): tf.Variable {
  if (!(v instanceof Float32Array)) return v;
  const t = tf.tensor(v, shape, 'float32');
  const out = tf.variable(t, true);
  t.dispose();
  return out;
}

class TaskModelImpl implements TaskModel {
  readonly task: Task;
  readonly encoder: Encoder;
  readonly tokenizer: TextTokenizer;
  readonly labels: string[];
  readonly mode: FineTuneMode;
  readonly spec: HeadSpec;
  readonly seed: number;
  readonly ownsEncoder: boolean;
  readonly classifierDropout?: number;
  readonly head: Map<string, tf.Variable>;
  /** this model's adapters (also installed in encoder.lora while the model lives) */
  readonly adapters: Map<string, LoraAdapter>;
  private readonly trainableNames: Set<string>;
  private state: 'live' | 'disposed' | 'moved' = 'live';

  constructor(o: CreateTaskModelOptions) {
    this.task = o.task;
    this.encoder = o.encoder;
    this.tokenizer = o.tokenizer;
    this.labels = [...o.labels];
    this.mode = o.mode;
    this.seed = o.seed ?? 0;
    this.ownsEncoder = o.ownsEncoder ?? true;
    this.classifierDropout = o.classifierDropout;
    const numLabels = numLabelsFor(o.task, this.labels);
    this.spec = headSpec(o.encoder, o.task, numLabels, o.classifierDropout);
    checkMode(o.mode, o.encoder);
    if (o.encoder.lora && o.encoder.lora.size > 0) {
      throw new Error('the encoder already carries LoRA adapters of another TaskModel: merge (mergeLora) or dispose that model first');
    }

    // Validate everything given before allocating anything, so a UserError leaks no tensors.
    const given = o.headParams ?? new Map<string, tf.Variable | Float32Array>();
    const headGiven = [...this.spec.shapes.keys()].filter((n) => given.has(n));
    if (headGiven.length > 0 && headGiven.length < this.spec.shapes.size) {
      const missing = [...this.spec.shapes.keys()].find((n) => !given.has(n))!;
      throw new UserError(
        `the saved head lacks "${missing}"`,
        { tensor: missing },
        'use the checkpoint the head came from, or start a new head',
      );
    }
    for (const n of headGiven) {
      const want = this.spec.shapes.get(n)!;
      const got = shapeOf(given.get(n)!, want);
      if (!got || !sameShape(got, want)) {
        throw new UserError(
          `the saved head's "${n}" does not fit: expected [${want.join(', ')}]${got ? `, got [${got.join(', ')}]` : ''} ` +
            `(${numLabels} label${numLabels === 1 ? '' : 's'}, width ${this.spec.featureSize})`,
          { tensor: n },
          'use the same labels and base model as the checkpoint, or start a new head',
        );
      }
    }
    const adapterGiven = new Map<string, { A?: tf.Variable | Float32Array; B?: tf.Variable | Float32Array }>();
    for (const [name, v] of given) {
      if (this.spec.shapes.has(name)) continue;
      const p = parseLoraParamName(name);
      if (!p)
        throw new UserError(
          `unexpected head parameter "${name}"`,
          { tensor: name },
          'pass only classifier/pre_classifier weights and LoRA adapters',
        );
      if (o.mode.kind !== 'lora')
        throw new UserError(
          `the saved weights hold LoRA adapters ("${name}") but the mode is ${o.mode.kind}`,
          { tensor: name, option: 'mode' },
          'choose LoRA mode, or export the merged model first',
        );
      const e = adapterGiven.get(p.prefix) ?? {};
      e[p.which] = v;
      adapterGiven.set(p.prefix, e);
    }

    const owned: tf.Variable[] = [];
    try {
      this.head =
        headGiven.length > 0
          ? new Map([...this.spec.shapes].map(([n, shape]) => [n, toVariable(given.get(n)!, shape)]))
          : initHeadParams(this.spec, Number(o.encoder.config.initializer_range ?? 0.02), this.seed);
      owned.push(...this.head.values());
      this.adapters = o.mode.kind === 'lora' ? createLoraAdapters(o.encoder, o.mode, this.seed) : new Map();
      for (const a of this.adapters.values()) owned.push(a.A, a.B);
      for (const [prefix, e] of adapterGiven) {
        const ad = this.adapters.get(prefix);
        const names = loraParamNames(prefix);
        if (!ad)
          throw new UserError(
            `the saved adapter "${names.A}" is not among this mode's LoRA targets`,
            { tensor: names.A, option: 'lora.targets' },
            'use the targets the adapters were trained with',
          );
        for (const which of ['A', 'B'] as const) {
          const v = e[which];
          const name = names[which];
          if (!v) throw new UserError(`the saved adapters lack "${name}"`, { tensor: name }, 'use the checkpoint the adapters came from');
          const want = ad[which].shape as number[];
          const got = shapeOf(v, want);
          if (!got || !sameShape(got, want))
            throw new UserError(
              `the saved adapter "${name}" does not fit: expected [${want.join(', ')}]`,
              { tensor: name, option: 'lora.rank' },
              'use the rank the adapters were trained with',
            );
          const t = v instanceof Float32Array ? tf.tensor(v, want, 'float32') : v;
          ad[which].assign(t);
          t.dispose(); // a given Variable is taken over: its values now live in the adapter
        }
      }
    } catch (e) {
      for (const v of owned) v.dispose();
      throw e;
    }

    this.trainableNames = new Set<string>();
    for (const [name, v] of o.encoder.params) {
      v.trainable = encoderParamTrains(o.mode, this.spec, o.encoder.blockOf(name));
      if (v.trainable) this.trainableNames.add(name);
    }
    for (const [name, v] of this.head) {
      v.trainable = true;
      this.trainableNames.add(name);
    }
    for (const [prefix, ad] of this.adapters) {
      ad.A.trainable = true;
      ad.B.trainable = true;
      const n = loraParamNames(prefix);
      this.trainableNames.add(n.A);
      this.trainableNames.add(n.B);
      o.encoder.lora!.set(prefix, ad);
    }
  }

  private live(): void {
    if (this.state === 'disposed') throw new Error('TaskModel used after dispose()');
    if (this.state === 'moved') throw new Error('TaskModel used after mergeLora()/switchMode() replaced it: use the model they returned');
  }

  forward(batch: TensorBatch, opts: ForwardOptions): tf.Tensor {
    this.live();
    if (this.mode.kind === 'head') {
      // Same computation as headForward(features(batch)): the frozen encoder runs without dropout.
      return tf.tidy(() => this.headForward(this.features(batch), opts));
    }
    return tf.tidy(() => applyHead(this.spec, this.head, headFeatures(this.spec, this.encoder.forward(batch, opts)), opts));
  }

  features(batch: TensorBatch): tf.Tensor {
    this.live();
    return tf.tidy(() => headFeatures(this.spec, this.encoder.forward(batch, { training: false })));
  }

  headForward(features: tf.Tensor, opts: ForwardOptions): tf.Tensor {
    this.live();
    return tf.tidy(() => applyHead(this.spec, this.head, features, opts));
  }

  trainable(): Map<string, tf.Variable> {
    this.live();
    const all = this.variables();
    return new Map([...all].filter(([n]) => this.trainableNames.has(n)));
  }

  variables(): Map<string, tf.Variable> {
    this.live();
    const out = new Map<string, tf.Variable>(this.encoder.params);
    for (const [prefix, ad] of this.adapters) {
      const n = loraParamNames(prefix);
      out.set(n.A, ad.A);
      out.set(n.B, ad.B);
    }
    for (const [n, v] of this.head) out.set(n, v);
    return out;
  }

  paramCounts(): { trainable: number; total: number } {
    let trainable = 0;
    let total = 0;
    for (const [n, v] of this.variables()) {
      total += v.size;
      if (this.trainableNames.has(n)) trainable += v.size;
    }
    return { trainable, total };
  }

  /** Hands encoder, head and (merged or kept) adapters over to a successor; this object becomes unusable. */
  moveOut(): void {
    this.live();
    this.state = 'moved';
  }

  dispose(): void {
    if (this.state !== 'live') return;
    this.state = 'disposed';
    for (const v of this.head.values()) v.dispose();
    for (const [prefix, ad] of this.adapters) {
      if (this.encoder.lora?.get(prefix) === ad) this.encoder.lora.delete(prefix);
      ad.A.dispose();
      ad.B.dispose();
    }
    this.adapters.clear();
    if (this.ownsEncoder) this.encoder.dispose();
  }
}

/** An encoder plus a task head in a fine-tuning mode. The model owns the head, the adapters and (by default) the encoder. */
export function createTaskModel(opts: CreateTaskModelOptions): TaskModel {
  return new TaskModelImpl(opts);
}

function impl(model: TaskModel): TaskModelImpl {
  if (!(model instanceof TaskModelImpl)) throw new Error('not a TaskModel made by createTaskModel()');
  return model;
}

/** The head variables (Hugging Face names) of a model made by createTaskModel. */
export function headVariables(model: TaskModel): Map<string, tf.Variable> {
  return new Map(impl(model).head);
}

/** Specification of the model's head (kind, input, shapes). */
export function taskHeadSpec(model: TaskModel): HeadSpec {
  return impl(model).spec;
}

/**
 * The same model in another fine-tuning mode, keeping the encoder and the head. LoRA adapters are first folded into the
 * dense weights (what they learned is kept). `model` must not be used afterwards (its dispose() is a no-op).
 */
export function switchMode(model: TaskModel, mode: FineTuneMode, seed?: number): TaskModel {
  const m = impl(model);
  m.moveOut();
  if (m.adapters.size > 0) mergeAdaptersInto(m.encoder, m.adapters);
  try {
    return new TaskModelImpl({
      encoder: m.encoder,
      tokenizer: m.tokenizer,
      task: m.task,
      labels: m.labels,
      mode,
      headParams: new Map(m.head),
      seed: seed ?? m.seed,
      classifierDropout: m.classifierDropout,
      ownsEncoder: m.ownsEncoder,
    });
  } catch (e) {
    // The old model is gone; free what it held rather than leak it.
    for (const v of m.head.values()) v.dispose();
    if (m.ownsEncoder) m.encoder.dispose();
    throw e;
  }
}

/**
 * Folds LoRA (W ← W + scale·B·A) into the encoder's dense weights and removes the adapters: returns the model in full
 * fine-tuning mode, ready to export as a plain checkpoint. `model` must not be used afterwards.
 */
export function mergeLora(model: TaskModel): TaskModel {
  if (model.mode.kind !== 'lora') throw new Error(`mergeLora() needs a LoRA model, got mode "${model.mode.kind}"`);
  return switchMode(model, { kind: 'full' });
}
