// The tokenizer files a Hugging Face folder carries for its family, from the tokenizer.json we run: vocab.txt for
// WordPiece (BERT, DistilBERT), vocab.json + merges.txt for BPE (RoBERTa), special_tokens_map.json, and a
// tokenizer_config.json naming the tokenizer class, so slow and fast transformers tokenizers both load the folder.

type Json = Record<string, unknown>;

export interface TokenizerFilesInput {
  tokenizerJson: Json;
  /** tokenizer_config.json as read (special_tokens_map.json's entries merged under it) */
  tokenizerConfig: Json;
  specialTokensMap: Json | null;
  modelMaxLength: number;
  /** the model's config.json model_type, when known: picks the tokenizer class */
  modelType?: string;
  /** the model has a single token type (DistilBERT, RoBERTa): tells DistilBERT's WordPiece from BERT's */
  oneTokenType?: boolean;
}

const CLASS_OF_MODEL_TYPE: Record<string, string> = {
  bert: 'BertTokenizer',
  distilbert: 'DistilBertTokenizer',
  roberta: 'RobertaTokenizer',
};

const WORDPIECE_SPECIALS: Record<string, string> = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};
const BPE_SPECIALS: Record<string, string> = {
  bos_token: '<s>',
  eos_token: '</s>',
  unk_token: '<unk>',
  sep_token: '</s>',
  pad_token: '<pad>',
  cls_token: '<s>',
  mask_token: '<mask>',
};

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

function modelOf(tj: Json): Json {
  return (tj.model as Json | undefined) ?? {};
}

/** token → id of the model's vocabulary plus added tokens it lacks (both live in one id space). */
function fullVocab(tj: Json): Map<string, number> {
  const out = new Map<string, number>(Object.entries((modelOf(tj).vocab as Record<string, number> | undefined) ?? {}));
  for (const a of (tj.added_tokens as Json[] | undefined) ?? []) {
    if (typeof a.content === 'string' && typeof a.id === 'number' && !out.has(a.content)) out.set(a.content, a.id);
  }
  return out;
}

/** vocab.txt: one token per line, line number = id. A gap in the ids gets a placeholder line so later ids stay put. */
export function vocabTxt(tj: Json): string {
  const byId: string[] = [];
  for (const [t, id] of fullVocab(tj)) if (byId[id] === undefined) byId[id] = t;
  const lines: string[] = [];
  for (let id = 0; id < byId.length; id++) lines.push(byId[id] ?? `[unused_gap_${id}]`);
  return lines.map((l) => `${l}\n`).join('');
}

/** vocab.json (token → id, in id order) and merges.txt ("#version: 0.2" then one "a b" pair a line), or null when a
 *  merge piece holds a space (only tokenizer.json's array form can say that). Merges may be "a b" strings or pairs. */
export function bpeFiles(tj: Json): { 'vocab.json': string; 'merges.txt': string } | null {
  const merges = ((modelOf(tj).merges as unknown[] | undefined) ?? []).map((m) =>
    Array.isArray(m) ? m.map(String) : String(m).split(' '),
  );
  if (merges.some((m) => m.length !== 2 || m.some((p) => p.includes(' ') || p.includes('\n')))) return null;
  const vocab = Object.fromEntries([...fullVocab(tj)].sort((a, b) => a[1] - b[1]));
  return {
    'vocab.json': `${JSON.stringify(vocab)}\n`,
    'merges.txt': `#version: 0.2\n${merges.map((m) => `${m[0]} ${m[1]}\n`).join('')}`,
  };
}

/** The BertNormalizer in tokenizer.json (alone or inside a Sequence), which decides casing for the fast tokenizer. */
function bertNormalizer(tj: Json): Json | null {
  const n = tj.normalizer as Json | null | undefined;
  if (!n) return null;
  if (n.type === 'BertNormalizer') return n;
  if (n.type === 'Sequence') return ((n.normalizers as Json[] | undefined) ?? []).find((x) => x?.type === 'BertNormalizer') ?? null;
  return null;
}

function tokenizerClass(x: TokenizerFilesInput, kind: 'wordpiece' | 'bpe' | 'other'): string | undefined {
  if (x.modelType && CLASS_OF_MODEL_TYPE[x.modelType]) return CLASS_OF_MODEL_TYPE[x.modelType];
  if (typeof x.tokenizerConfig.tokenizer_class === 'string') return x.tokenizerConfig.tokenizer_class;
  if (kind === 'wordpiece') return x.oneTokenType ? 'DistilBertTokenizer' : 'BertTokenizer';
  if (kind === 'bpe' && JSON.stringify(x.tokenizerJson.pre_tokenizer ?? null).includes('"ByteLevel"')) return 'RobertaTokenizer';
  return undefined;
}

/**
 * tokenizer.json, tokenizer_config.json, special_tokens_map.json and the family's vocabulary files. Special tokens
 * come from the config, then special_tokens_map.json, then the family's defaults, and only those the vocabulary has.
 */
export function hfTokenizerFiles(x: TokenizerFilesInput): Record<string, string> {
  const tj = x.tokenizerJson;
  const type = modelOf(tj).type;
  const kind = type === 'WordPiece' ? 'wordpiece' : type === 'BPE' ? 'bpe' : 'other';
  const vocab = fullVocab(tj);
  const specials: Record<string, string> = {};
  const defaults = kind === 'wordpiece' ? WORDPIECE_SPECIALS : kind === 'bpe' ? BPE_SPECIALS : {};
  const keys = new Set([...Object.keys(defaults), ...Object.keys(x.specialTokensMap ?? {})].filter((k) => k.endsWith('_token')));
  for (const k of keys) {
    const t = tokenString(x.tokenizerConfig[k]) ?? tokenString(x.specialTokensMap?.[k]) ?? defaults[k];
    if (t !== undefined && vocab.has(t)) specials[k] = t;
  }

  const cfg: Json = { ...x.tokenizerConfig };
  const cls = tokenizerClass(x, kind);
  if (cls) cfg.tokenizer_class = cls;
  cfg.model_max_length = x.modelMaxLength;
  if (kind === 'wordpiece') {
    const n = bertNormalizer(tj);
    cfg.do_lower_case = typeof n?.lowercase === 'boolean' ? n.lowercase : x.tokenizerConfig.do_lower_case !== false;
    if (n && typeof n.handle_chinese_chars === 'boolean') cfg.tokenize_chinese_chars = n.handle_chinese_chars;
    if (n && 'strip_accents' in n) cfg.strip_accents = n.strip_accents ?? null;
  }
  for (const [k, t] of Object.entries(specials)) if (tokenString(cfg[k]) === undefined) cfg[k] = t;

  const stm: Json = { ...specials, ...(x.specialTokensMap ?? {}) };
  const out: Record<string, string> = {
    'tokenizer.json': JSON.stringify(tj),
    'tokenizer_config.json': JSON.stringify(cfg, null, 2),
    'special_tokens_map.json': JSON.stringify(stm, null, 2),
  };
  if (kind === 'wordpiece') out['vocab.txt'] = vocabTxt(tj);
  if (kind === 'bpe') Object.assign(out, bpeFiles(tj) ?? {});
  return out;
}
