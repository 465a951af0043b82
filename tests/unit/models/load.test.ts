import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { writeSafetensors } from '@/lib/io/safetensors';
import { memorySource } from '@/lib/io/source';
import { filesSource } from '@/lib/io/source-files';
import { bertConfig, createBert } from '@/lib/models/bert';
import { createDistilBert, distilBertConfig } from '@/lib/models/distilbert';
import { loadPretrained, toHfFiles } from '@/lib/models/load';
import { createRoberta, robertaConfig } from '@/lib/models/roberta';
import { loadHfTokenizer } from '@/lib/tokenize/hf';
import type { Encoder, TensorBatch } from '@/lib/models/types';
import { useWasm } from '@/tests/helpers/tf';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'sat', 'on', 'mat', '.', 'dog', 'ran'];
const tinyCfg = bertConfig({
  vocab_size: VOCAB.length,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 24,
  max_position_embeddings: 32,
});

function batch(ids: number[][], types?: number[][]) {
  return {
    inputIds: tf.tensor2d(ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(
      ids.map((r) => r.map((v) => (v === 0 ? 0 : 1))),
      undefined,
      'int32',
    ),
    tokenTypeIds: types ? tf.tensor2d(types, undefined, 'int32') : undefined,
  };
}

function pooled(enc: Encoder, b: TensorBatch): number[] {
  return tf.tidy(() => Array.from(enc.forward(b, { training: false }).pooled.dataSync()));
}

async function tokenizer() {
  return (await loadHfTokenizer(memorySource('t', { 'vocab.txt': VOCAB.join('\n'), 'tokenizer_config.json': '{"do_lower_case":true}' })))!;
}

describe('loadPretrained', () => {
  beforeAll(useWasm);

  it('a studio checkpoint (HF layout with classifier head, id2label, tokenizer) loads back bit-identical under bert.* names', async () => {
    const enc = createBert(tinyCfg);
    const head = new Map<string, tf.Tensor>([
      ['classifier.weight', tf.randomNormal([3, 16], 0, 0.02, 'float32', 1)],
      ['classifier.bias', tf.tensor1d([0.1, 0.2, 0.3])],
    ]);
    const files = await toHfFiles({
      encoder: enc,
      tokenizer: await tokenizer(),
      head,
      labels: ['neg', 'neu', 'pos'],
      architectures: ['BertForSequenceClassification'],
    });
    const st = files['model.safetensors'] as Uint8Array;
    expect(new TextDecoder().decode(st.subarray(8, 300))).toContain('bert.embeddings');
    const m = await loadPretrained(memorySource('ckpt', files));
    expect(m.arch).toBe('bert');
    expect(m.prefix).toBe('bert.');
    expect(m.labels).toEqual(['neg', 'neu', 'pos']);
    expect((m.config.label2id as Record<string, number>).pos).toBe(2);
    expect(Array.from(m.headParams.get('classifier.bias')!)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    const e = m.tokenizer!.encode('the cat', 'sat on the mat');
    const b = batch([e.ids], [e.typeIds!]);
    expect(pooled(m.encoder, b)).toEqual(pooled(enc, b));
    // and written back under the same names
    const again = await toHfFiles({ encoder: m.encoder, prefix: m.prefix, config: m.config });
    expect(
      Object.keys(
        JSON.parse(
          new TextDecoder().decode(
            (again['model.safetensors'] as Uint8Array).subarray(
              8,
              8 + Number(new DataView((again['model.safetensors'] as Uint8Array).buffer).getBigUint64(0, true)),
            ),
          ),
        ),
      ),
    ).toContain('bert.pooler.dense.weight');
    tf.dispose([...head.values(), ...Object.values(b)]);
    enc.dispose();
    m.encoder.dispose();
  });

  it('a bare BertModel checkpoint (no prefix), a picked folder of File objects, and sharded weights with an index load', async () => {
    const enc = createBert(tinyCfg);
    const files = await toHfFiles({ encoder: enc, tokenizer: await tokenizer() });
    // File-like objects as a directory pick gives them ("folder/file")
    const picked = Object.entries(files).map(([name, v]) => {
      const bytes = typeof v === 'string' ? new TextEncoder().encode(v) : v;
      return { name, size: bytes.length, webkitRelativePath: `my-model/${name}`, arrayBuffer: async () => bytes.slice().buffer };
    });
    const m = await loadPretrained(filesSource(picked));
    expect(m.prefix).toBe('');
    expect(m.source).toBe('my-model');
    const b = batch([[2, 5, 6, 3]]);
    expect(pooled(m.encoder, b)).toEqual(pooled(enc, b));
    m.encoder.dispose();
    // two shards + index
    const all = [...enc.params].map(([k, v]) => [k, { shape: v.shape, data: v.dataSync() as Float32Array }] as const);
    const half = Math.floor(all.length / 2);
    const sharded = {
      'config.json': files['config.json'],
      'vocab.txt': VOCAB.join('\n'),
      'model-00001-of-00002.safetensors': writeSafetensors(new Map(all.slice(0, half))),
      'model-00002-of-00002.safetensors': writeSafetensors(new Map(all.slice(half))),
      'model.safetensors.index.json': JSON.stringify({
        weight_map: Object.fromEntries(
          all.map(([k], i) => [k, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']),
        ),
      }),
    };
    const s = await loadPretrained(memorySource('sharded', sharded));
    expect(pooled(s.encoder, b)).toEqual(pooled(enc, b));
    s.encoder.dispose();
    tf.dispose(Object.values(b));
    enc.dispose();
  });

  it("progress is reported per file and old checkpoints' I64 position_ids buffers are skipped", async () => {
    const enc = createBert(tinyCfg);
    const files = await toHfFiles({ encoder: enc, tokenizer: await tokenizer() });
    // rebuild model.safetensors with an extra I64 buffer, as transformers < 4.31 saved it
    const st = files['model.safetensors'] as Uint8Array;
    const n = Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + n)));
    const dataLen = st.length - 8 - n;
    header['embeddings.position_ids'] = { dtype: 'I64', shape: [1, 32], data_offsets: [dataLen, dataLen + 256] };
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataLen + 256);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(st.subarray(8 + n), 8 + json.length);
    const events: string[] = [];
    const m = await loadPretrained(memorySource('old', { ...files, 'model.safetensors': out }), (p) => events.push(p.file));
    expect(m.encoder.params.has('embeddings.position_ids')).toBe(false);
    expect(m.extraTensors.size).toBe(0);
    expect(events).toContain('model.safetensors');
    expect(events).toContain('config.json');
    m.encoder.dispose();
    enc.dispose();
  });

  it('clear UserErrors: no weights, no tokenizer, unknown model_type, weights that do not fit config.json', async () => {
    const enc = createBert(tinyCfg);
    const files = await toHfFiles({ encoder: enc, tokenizer: await tokenizer() });
    enc.dispose();
    const before = tf.memory().numTensors;
    const noWeights = { ...files, 'pytorch_model.bin': 'x' } as Record<string, string | Uint8Array>;
    delete noWeights['model.safetensors'];
    const e1 = await loadPretrained(memorySource('bin-only', noWeights)).catch((x) => x);
    expect(e1).toBeInstanceOf(UserError);
    expect(e1.message).toMatch(/no model\.safetensors.*pytorch_model\.bin/);
    const noTok = { 'config.json': files['config.json'], 'model.safetensors': files['model.safetensors'] };
    await expect(loadPretrained(memorySource('no-tok', noTok))).rejects.toThrow(/no tokenizer files/);
    const gpt = { ...files, 'config.json': JSON.stringify({ model_type: 'gpt2' }) };
    await expect(loadPretrained(memorySource('gpt', gpt))).rejects.toThrow(/model type "gpt2" is not supported/);
    const wrong = { ...files, 'config.json': JSON.stringify({ ...JSON.parse(files['config.json'] as string), intermediate_size: 25 }) };
    const e4 = await loadPretrained(memorySource('wrong', wrong)).catch((x) => x);
    expect(e4).toBeInstanceOf(UserError);
    expect(e4.where.tensor).toBe('encoder.layer.0.intermediate.dense.weight');
    await expect(loadPretrained(memorySource('bad', { ...files, 'config.json': '{' }))).rejects.toBeInstanceOf(UserError);
    expect(tf.memory().numTensors).toBe(before); // failed loads leak nothing
  });

  it('RoBERTa position ids start at padding_idx + 1 and count only non-pad tokens', async () => {
    const { robertaPositionIds } = await import('@/lib/models/roberta');
    const ids = tf.tensor2d(
      [
        [0, 5, 6, 2, 1, 1],
        [0, 7, 1, 8, 2, 1],
      ],
      undefined,
      'int32',
    );
    expect(robertaPositionIds(ids, 1).arraySync()).toEqual([
      [2, 3, 4, 5, 1, 1],
      [2, 3, 1, 4, 5, 1],
    ]);
    ids.dispose();
  });

  it('RoBERTa = BERT with the position table shifted by padding_idx + 1, and pads change nothing; loads as roberta.*', async () => {
    const cfg = robertaConfig({
      vocab_size: 20,
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 24,
      max_position_embeddings: 20,
    });
    const rob = createRoberta(cfg);
    expect(rob.config.layer_norm_eps).toBe(1e-5);
    // the same weights in a BERT whose row i is RoBERTa's row i + 2
    const shifted = new Map(
      [...rob.params].map(([k, v]) => [
        k,
        tf.variable(k === 'embeddings.position_embeddings.weight' ? v.slice([2, 0], [18, 16]) : v.clone()),
      ]),
    );
    const bert = createBert(bertConfig({ ...cfg, model_type: 'bert', max_position_embeddings: 18 }), shifted);
    const b = {
      inputIds: tf.tensor2d([[0, 5, 6, 7, 2]], undefined, 'int32'),
      attentionMask: tf.tensor2d([[1, 1, 1, 1, 1]], undefined, 'int32'),
    };
    const a = pooled(rob, b),
      c = pooled(bert, b);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - c[i])).toBeLessThan(1e-6);
    const padded = {
      inputIds: tf.tensor2d([[0, 5, 6, 7, 2, 1, 1]], undefined, 'int32'),
      attentionMask: tf.tensor2d([[1, 1, 1, 1, 1, 0, 0]], undefined, 'int32'),
    };
    const p = pooled(rob, padded);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - p[i])).toBeLessThan(1e-5);
    const files = await toHfFiles({ encoder: rob, head: new Map([['classifier.out_proj.bias', tf.zeros([2])]]) });
    const m = await loadPretrained(memorySource('rob', files), { requireTokenizer: false });
    expect(m.arch).toBe('roberta');
    expect(m.prefix).toBe('roberta.');
    const q = pooled(m.encoder, b);
    expect(q).toEqual(a);
    tf.dispose([...Object.values(b), ...Object.values(padded)]);
    m.encoder.dispose();
    rob.dispose();
    bert.dispose();
  });

  it('DistilBERT: random init, names, padding invariance, no token types, loads as distilbert.*', async () => {
    const cfg = distilBertConfig({ vocab_size: 20, dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 24, max_position_embeddings: 16 });
    const d = createDistilBert(cfg);
    expect(d.params.has('transformer.layer.1.attention.q_lin.weight')).toBe(true);
    expect(d.blockOf('transformer.layer.1.ffn.lin1.weight')).toBe(1);
    expect(d.blockOf('embeddings.word_embeddings.weight')).toBe('embeddings');
    const a = tf.tidy(() => Array.from(d.forward(batch([[2, 5, 6, 3]]), { training: false }).sequence.dataSync()));
    const b = tf.tidy(() => Array.from(d.forward(batch([[2, 5, 6, 3, 0]]), { training: false }).sequence.dataSync()));
    for (let t = 0; t < 4 * 16; t++) expect(Math.abs(a[t] - b[t])).toBeLessThan(1e-5);
    const files = await toHfFiles({ encoder: d, head: new Map([['pre_classifier.weight', tf.zeros([16, 16])]]) });
    const m = await loadPretrained(memorySource('d', files), { requireTokenizer: false });
    expect(m.prefix).toBe('distilbert.');
    expect(m.headParams.has('pre_classifier.weight')).toBe(true);
    const c = tf.tidy(() => Array.from(m.encoder.forward(batch([[2, 5, 6, 3]]), { training: false }).sequence.dataSync()));
    expect(c).toEqual(a);
    const { value, grads } = tf.variableGrads(
      () =>
        m.encoder
          .forward(batch([[2, 5, 6, 3]]), { training: false })
          .pooled.square()
          .sum() as tf.Scalar,
      [...m.encoder.params.values()],
    );
    expect(Object.keys(grads).length).toBe(m.encoder.params.size);
    tf.dispose([value, ...Object.values(grads)]);
    m.encoder.dispose();
    d.dispose();
  });
});
