// Tiny BERT / DistilBERT / RoBERTa folders in Hugging Face layout with real tokenizer files, for tests and benches:
// BERT and DistilBERT get a WordPiece vocab.txt + tokenizer_config.json (common English words, then every letter,
// digit and punctuation mark alone and as "##" continuation, so any lowercase text tokenizes), RoBERTa a byte-level
// BPE tokenizer.json (the 256 byte symbols plus merges learned here from the same words). Weights are seeded random.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '@/lib/io/safetensors';
import { bertConfig, bertParamShapes } from '@/lib/models/bert';
import { distilBertConfig, distilBertParamShapes } from '@/lib/models/distilbert';
import { robertaConfig } from '@/lib/models/roberta';

export type TinyArch = 'bert' | 'distilbert' | 'roberta';

export interface TinyHfOptions {
  hidden?: number;
  layers?: number;
  heads?: number;
  intermediate?: number;
  /** token positions (RoBERTa's table has 2 more rows) and the tokenizer's model_max_length */
  positions?: number;
  seed?: number;
  /** std of the random weights, and config initializer_range (so a fresh head is as large) */
  std?: number;
}

const WORDS = (
  "the a an and or but of to in on at for with by from as is are was were be been it it's 's this that these those " +
  "i you he she we they me him her us them my your his its our their what which who whom not no n't never very too so " +
  'more most less much many some any all one two three film films movie movies story stories character characters ' +
  'director comedy drama plot script actor actors cast performance performances scene scenes audience time life world ' +
  'good great best better bad worse worst funny fun love like enjoy boring dull awful wonderful beautiful charming ' +
  'interesting entertaining clever smart fresh original predictable silly stupid mess messy moving touching powerful ' +
  'compelling engaging sweet sad dark long short little big new old real true well even just only also still ever ' +
  'really quite rather enough nothing something everything anything make makes made making see seen watch feel feels ' +
  'feeling work works look looks seems take takes give gives get gets go goes come comes find way thing things ' +
  'people man men woman women kids family heart mind eyes hollywood American picture pictures minutes hour hours ' +
  'end ending humor laughs action thriller romance romantic emotional heartfelt tale journey fails fail failure ' +
  'success succeeds effort effects special style visual visually music screen screenplay writer writing written ' +
  'worth if than then when while because about into over out up down off there here where how why can could would ' +
  'should may might must will has have had do does did'
).split(/\s+/);
const CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789', ...'.,\'!?-;:()"&/*$%'];

/** WordPiece vocabulary: specials, then words, then single characters and their "##" continuations. */
export function tinyWordPieceVocab(): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of [
    '[PAD]',
    '[UNK]',
    '[CLS]',
    '[SEP]',
    '[MASK]',
    ...WORDS.map((w) => w.toLowerCase()),
    ...CHARS,
    ...CHARS.map((c) => `##${c}`),
  ]) {
    if (seen.has(t)) continue;
    out.push(t);
    seen.add(t);
  }
  return out;
}

/** GPT-2's byte → printable character table (bytes_to_unicode). */
function byteChars(): string[] {
  const bs: number[] = [];
  for (const [a, b] of [
    [33, 126],
    [161, 172],
    [174, 255],
  ])
    for (let i = a; i <= b; i++) bs.push(i);
  const map = new Array<string>(256);
  for (const b of bs) map[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) map[b] = String.fromCharCode(256 + n++);
  return map;
}

/**
 * Greedy byte-level BPE on `words` (each a list of GPT-2 byte characters): `merges` times, the most frequent adjacent
 * pair (ties: the smaller pair) becomes one symbol. Returns the vocabulary (specials, the 256 byte characters, the
 * merged symbols) and the merges in order.
 */
export function trainByteBpe(words: string[][], merges: number, specials = ['<s>', '<pad>', '</s>', '<unk>']) {
  const vocab: Record<string, number> = {};
  for (const t of [...specials, ...byteChars()]) vocab[t] ??= Object.keys(vocab).length;
  const pairs: [string, string][] = [];
  for (let m = 0; m < merges; m++) {
    const counts = new Map<string, number>();
    for (const w of words)
      for (let i = 0; i + 1 < w.length; i++) counts.set(`${w[i]} ${w[i + 1]}`, (counts.get(`${w[i]} ${w[i + 1]}`) ?? 0) + 1);
    const best = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0];
    if (!best || best[1] < 2) break;
    const [a, b] = best[0].split(' ');
    pairs.push([a, b]);
    vocab[a + b] ??= Object.keys(vocab).length;
    words = words.map((w) => {
      const out: string[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) out.push(a + w[++i]);
        else out.push(w[i]);
      }
      return out;
    });
  }
  vocab['<mask>'] ??= Object.keys(vocab).length;
  return { vocab, merges: pairs };
}

/** GPT-2's byte characters of a string (" hi" -> ["Ġ", "h", "i"]). */
export function byteLevel(s: string): string[] {
  const chars = byteChars();
  return [...new TextEncoder().encode(s)].map((b) => chars[b]);
}

/** A tokenizer.json in RoBERTa's layout (byte-level BPE, <s> A </s></s> B </s>) over `vocab` and `merges`. */
export function robertaTokenizerJson(vocab: Record<string, number>, merges: string[] | [string, string][]): Record<string, unknown> {
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: content === '<mask>',
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'].filter((c) => c in vocab).map(special),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** A byte-level BPE tokenizer.json (RoBERTa layout) with up to `merges` merges learned from the word list. */
export function tinyByteBpeTokenizerJson(merges = 400): Record<string, unknown> {
  const bpe = trainByteBpe(
    WORDS.flatMap((w) => [byteLevel(` ${w}`), byteLevel(w)]),
    merges,
  );
  return robertaTokenizerJson(
    bpe.vocab,
    bpe.merges.map((m) => m.join(' ')),
  );
}

/** Seeded N(0, std)-ish values (a sum of uniforms), for weights that give outputs far from zero. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const u = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return (std: number) => (u() + u() + u() + u() - 2) * std * Math.sqrt(3);
}

function randomWeights(shapes: Map<string, number[]>, prefix: string, std: number, seed: number) {
  const r = rng(seed);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const ln = /LayerNorm|layer_norm/.test(name);
    const init = ln ? (name.endsWith('weight') ? () => 1 + r(0.2) : () => r(0.1)) : name.endsWith('bias') ? () => r(0.1) : () => r(std);
    out[prefix + name] = { shape, data: Float32Array.from({ length: n }, init) };
  }
  return out;
}

/** Writes a tiny model of `arch` into `dir` (created) and returns `dir`. */
export function writeTinyHf(arch: TinyArch, dir: string, opts: TinyHfOptions = {}): string {
  const H = opts.hidden ?? 32;
  const L = opts.layers ?? 2;
  const heads = opts.heads ?? 4;
  const I = opts.intermediate ?? 2 * H;
  const P = opts.positions ?? 128;
  const std = opts.std ?? 0.2;
  const seed = opts.seed ?? 7;
  mkdirSync(dir, { recursive: true });
  const put = (file: string, v: unknown) => writeFileSync(join(dir, file), typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  if (arch === 'roberta') {
    const tj = tinyByteBpeTokenizerJson();
    const V = Object.keys((tj.model as { vocab: object }).vocab).length;
    const cfg = robertaConfig({
      vocab_size: V,
      hidden_size: H,
      num_hidden_layers: L,
      num_attention_heads: heads,
      intermediate_size: I,
      max_position_embeddings: P + 2,
      initializer_range: std,
      bos_token_id: 0,
      eos_token_id: 2,
    });
    put('config.json', { ...cfg, architectures: ['RobertaModel'] });
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(randomWeights(bertParamShapes(cfg), 'roberta.', std, seed)));
    put('tokenizer.json', tj);
    put('tokenizer_config.json', {
      tokenizer_class: 'RobertaTokenizer',
      model_max_length: P,
      add_prefix_space: false,
      ...{ bos_token: '<s>', eos_token: '</s>', cls_token: '<s>', sep_token: '</s>', pad_token: '<pad>', unk_token: '<unk>' },
      mask_token: '<mask>',
    });
    return dir;
  }
  const vocab = tinyWordPieceVocab();
  put('vocab.txt', `${vocab.join('\n')}\n`);
  const tokCfg = { do_lower_case: true, model_max_length: P };
  if (arch === 'distilbert') {
    const cfg = distilBertConfig({
      vocab_size: vocab.length,
      dim: H,
      n_layers: L,
      n_heads: heads,
      hidden_dim: I,
      max_position_embeddings: P,
      initializer_range: std,
    });
    put('config.json', { ...cfg, architectures: ['DistilBertModel'] });
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(randomWeights(distilBertParamShapes(cfg), 'distilbert.', std, seed)));
    put('tokenizer_config.json', { tokenizer_class: 'DistilBertTokenizer', ...tokCfg });
    return dir;
  }
  const cfg = bertConfig({
    vocab_size: vocab.length,
    hidden_size: H,
    num_hidden_layers: L,
    num_attention_heads: heads,
    intermediate_size: I,
    max_position_embeddings: P,
    initializer_range: std,
  });
  put('config.json', { ...cfg, architectures: ['BertModel'] });
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(randomWeights(bertParamShapes(cfg), 'bert.', std, seed)));
  put('tokenizer_config.json', { tokenizer_class: 'BertTokenizer', ...tokCfg });
  return dir;
}

/** A tiny model of `arch` in a fresh temp folder (…/tiny-<arch>); returns the folder. */
export function tinyHfDir(arch: TinyArch, opts: TinyHfOptions = {}): string {
  return writeTinyHf(arch, join(mkdtempSync(join(tmpdir(), 'finetune-tiny-hf-')), `tiny-${arch}`), opts);
}
