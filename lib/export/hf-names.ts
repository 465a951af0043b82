// The state dict Hugging Face transformers builds for each task class we export, written out from its modeling code
// (modeling_bert.py, modeling_distilbert.py, modeling_roberta.py) rather than from our own encoders, so a test can hold
// the engine's model.safetensors against it: from_pretrained then reports no missing and no unexpected keys.
import { hfArchitectureName } from '../models/heads';
import type { Architecture, Task } from '../models/types';

export { hfArchitectureName };

type Config = Record<string, unknown>;

function int(config: Config, key: string, fallback: number): number {
  const v = config[key];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fallback;
}

/** config.num_labels as PretrainedConfig derives it: len(id2label) when given, else num_labels, else 2. */
export function hfNumLabels(config: Config): number {
  const id2label = config.id2label;
  if (id2label && typeof id2label === 'object' && !Array.isArray(id2label)) {
    const n = Object.keys(id2label).length;
    if (n > 0) return n;
  }
  return int(config, 'num_labels', 2);
}

/** BertModel / RobertaModel under `prefix` ("bert." / "roberta."); the pooler only when the class builds one. */
function bertLike(m: Map<string, number[]>, prefix: string, config: Config, defaults: { vocab: number }, pooler: boolean): void {
  const H = int(config, 'hidden_size', 768);
  const I = int(config, 'intermediate_size', 3072);
  const L = int(config, 'num_hidden_layers', 12);
  const e = `${prefix}embeddings`;
  m.set(`${e}.word_embeddings.weight`, [int(config, 'vocab_size', defaults.vocab), H]);
  m.set(`${e}.position_embeddings.weight`, [int(config, 'max_position_embeddings', 512), H]);
  m.set(`${e}.token_type_embeddings.weight`, [int(config, 'type_vocab_size', 2), H]);
  m.set(`${e}.LayerNorm.weight`, [H]);
  m.set(`${e}.LayerNorm.bias`, [H]);
  for (let i = 0; i < L; i++) {
    const p = `${prefix}encoder.layer.${i}`;
    const lin = (name: string, out: number, inp: number) => {
      m.set(`${p}.${name}.weight`, [out, inp]);
      m.set(`${p}.${name}.bias`, [out]);
    };
    const ln = (name: string) => {
      m.set(`${p}.${name}.weight`, [H]);
      m.set(`${p}.${name}.bias`, [H]);
    };
    lin('attention.self.query', H, H);
    lin('attention.self.key', H, H);
    lin('attention.self.value', H, H);
    lin('attention.output.dense', H, H);
    ln('attention.output.LayerNorm');
    lin('intermediate.dense', I, H);
    lin('output.dense', H, I);
    ln('output.LayerNorm');
  }
  if (pooler) {
    m.set(`${prefix}pooler.dense.weight`, [H, H]);
    m.set(`${prefix}pooler.dense.bias`, [H]);
  }
}

/** DistilBertModel under "distilbert.": no token types, no pooler. */
function distilBert(m: Map<string, number[]>, config: Config): void {
  const D = int(config, 'dim', 768);
  const F = int(config, 'hidden_dim', 3072);
  const L = int(config, 'n_layers', 6);
  m.set('distilbert.embeddings.word_embeddings.weight', [int(config, 'vocab_size', 30522), D]);
  m.set('distilbert.embeddings.position_embeddings.weight', [int(config, 'max_position_embeddings', 512), D]);
  m.set('distilbert.embeddings.LayerNorm.weight', [D]);
  m.set('distilbert.embeddings.LayerNorm.bias', [D]);
  for (let i = 0; i < L; i++) {
    const p = `distilbert.transformer.layer.${i}`;
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
}

function linear(m: Map<string, number[]>, name: string, out: number, inp: number): void {
  m.set(`${name}.weight`, [out, inp]);
  m.set(`${name}.bias`, [out]);
}

/**
 * Every tensor in the state dict of transformers' <Arch>ForSequenceClassification (classification, multilabel,
 * regression) or <Arch>ForTokenClassification, by name, with its shape ([out, in] for Linear weights), for the
 * config.json given (transformers' config defaults where a key is absent). Non-persistent buffers (position_ids,
 * token_type_ids) are not in the state dict and not listed. USE-Lite has no transformers class: an error.
 *
 * - BertForSequenceClassification: bert.* with the pooler, classifier [N, H]
 * - BertForTokenClassification: bert.* without the pooler (add_pooling_layer=False), classifier [N, H]
 * - RobertaForSequenceClassification: roberta.* without the pooler, classifier.dense [H, H] + classifier.out_proj [N, H]
 * - RobertaForTokenClassification: roberta.* without the pooler, classifier [N, H]
 * - DistilBertForSequenceClassification: distilbert.*, pre_classifier [D, D], classifier [N, D]
 * - DistilBertForTokenClassification: distilbert.*, classifier [N, D]
 */
export function expectedHfTensors(arch: Architecture, task: Task, config: Config): Map<string, number[]> {
  if (arch === 'use-lite') throw new Error('USE-Lite has no transformers class: its export is not a transformers state dict');
  const m = new Map<string, number[]>();
  const token = task === 'token-classification';
  const N = task === 'regression' ? 1 : hfNumLabels(config);
  if (arch === 'distilbert') {
    distilBert(m, config);
    const D = int(config, 'dim', 768);
    if (!token) linear(m, 'pre_classifier', D, D);
    linear(m, 'classifier', N, D);
    return m;
  }
  const H = int(config, 'hidden_size', 768);
  if (arch === 'roberta') {
    bertLike(m, 'roberta.', config, { vocab: 50265 }, false);
    if (token) linear(m, 'classifier', N, H);
    else {
      linear(m, 'classifier.dense', H, H);
      linear(m, 'classifier.out_proj', N, H);
    }
    return m;
  }
  bertLike(m, 'bert.', config, { vocab: 30522 }, !token);
  linear(m, 'classifier', N, H);
  return m;
}

export interface HfTensorCheck {
  /** expected by the class, absent from the file: transformers would initialise them randomly */
  missing: string[];
  /** in the file, not in the class: transformers would ignore them ("Some weights ... were not used") */
  extra: string[];
  /** present in both with another shape: "name: got [..], expected [..]" (from_pretrained refuses these) */
  wrongShape: string[];
}

/** Compares a file's tensors (name → shape, or name → { shape }) with expectedHfTensors' answer. Sorted lists. */
export function checkHfTensors(
  actual: ReadonlyMap<string, readonly number[] | { shape: readonly number[] }>,
  expected: ReadonlyMap<string, readonly number[]>,
): HfTensorCheck {
  const missing: string[] = [];
  const extra: string[] = [];
  const wrongShape: string[] = [];
  for (const [name, v] of actual) {
    const want = expected.get(name);
    if (!want) {
      extra.push(name);
      continue;
    }
    const got = 'shape' in v ? v.shape : v;
    if (got.length !== want.length || got.some((d, i) => d !== want[i]))
      wrongShape.push(`${name}: got [${got.join(', ')}], expected [${want.join(', ')}]`);
  }
  for (const name of expected.keys()) if (!actual.has(name)) missing.push(name);
  return { missing: missing.sort(), extra: extra.sort(), wrongShape: wrongShape.sort() };
}
