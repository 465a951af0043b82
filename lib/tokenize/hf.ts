// Hugging Face tokenizers (WordPiece, BPE, Unigram) from a model's own files, run by @huggingface/tokenizers (pure JS).
// tokenizer.json is used when present; a BERT repo with only vocab.txt gets the tokenizer.json that transformers'
// BertConverter would build. Truncation (longest first) and the special-token layout are done here so pairs,
// pre-split words and max lengths behave as transformers' tokenizer(text, pair, truncation=True, max_length=N).
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '../errors';
import { readText, type FileSource } from '../io/source';
import { hfTokenizerFiles } from './hf-files';
import type { Encoding, TextTokenizer } from './types';
import { sliceWindows } from './windows';

type Json = Record<string, unknown>;

function parseJson(text: string, file: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message})`, { file }, `re-download ${file}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new UserError(`${file} is not a JSON object`, { file }, `re-download ${file}`);
  return v as Json;
}

/** A special token entry in tokenizer_config.json / special_tokens_map.json: a string or {content: string}. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

/** tokenizer.json for a BERT WordPiece vocab.txt, as transformers' BertConverter builds it. */
export function wordPieceTokenizerJson(vocabTxt: string, cfg: Json): Json {
  const vocab: Record<string, number> = {};
  vocabTxt.split(/\r?\n/).forEach((line, i, all) => {
    if (i === all.length - 1 && line === '') return;
    if (!(line in vocab)) vocab[line] = i;
  });
  const sp = (k: string, d: string) => tokenString(cfg[k]) ?? d;
  const cls = sp('cls_token', '[CLS]'),
    sep = sp('sep_token', '[SEP]'),
    unk = sp('unk_token', '[UNK]'),
    pad = sp('pad_token', '[PAD]'),
    mask = sp('mask_token', '[MASK]');
  for (const t of [cls, sep, unk]) {
    if (!(t in vocab))
      throw new UserError(`special token "${t}" is not in vocab.txt`, { file: 'vocab.txt' }, 'use the vocab.txt that came with the model');
  }
  const lower = cfg.do_lower_case !== false;
  const added = [pad, unk, cls, sep, mask]
    .filter((t) => t in vocab)
    .map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  return {
    version: '1.0',
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: cfg.tokenize_chinese_chars !== false,
      strip_accents: cfg.strip_accents ?? null,
      lowercase: lower,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: { [cls]: { id: cls, ids: [vocab[cls]], tokens: [cls] }, [sep]: { id: sep, ids: [vocab[sep]], tokens: [sep] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

const SA = '\u0000A\u0000',
  SB = '\u0000B\u0000';

interface Slot {
  kind: 'A' | 'B' | 'special';
  token: string;
  type: number;
}

export interface HfTokenizerOptions {
  /** the model's position count (config max_position_embeddings, less RoBERTa's offset): caps modelMaxLength */
  modelPositions?: number;
  /** the model's pad_token_id from config.json, used when the tokenizer files name no pad token */
  padTokenId?: number;
  /** config type_vocab_size: with 1 (RoBERTa) every token type is 0, as its model_input_names carry none */
  typeVocabSize?: number;
  /** config.json's model_type (bert, distilbert, roberta): the tokenizer_class files() writes */
  modelType?: string;
}

export class HfTokenizer implements TextTokenizer {
  readonly kind = 'hf' as const;
  readonly vocabSize: number;
  readonly padId: number;
  readonly modelMaxLength: number;
  private readonly tok: Tokenizer;
  private readonly single: Slot[];
  private readonly pair: Slot[];
  private readonly added: Map<string, number>;
  /** the vocabulary's unknown token, where it has one (a byte-level BPE never needs it) */
  readonly unkId: number | undefined;
  /** byte-level BPE (RoBERTa, GPT-2): pre-split words get a leading space, as add_prefix_space=True does */
  private readonly byteLevel: boolean;

  constructor(
    private readonly tokenizerJson: Json,
    private readonly tokenizerConfig: Json,
    private readonly specialTokensMap: Json | null,
    private readonly opts: HfTokenizerOptions = {},
  ) {
    const model = tokenizerJson.model as Json | undefined;
    if (!model || typeof model.type !== 'string')
      throw new UserError('tokenizer.json has no model section', { file: 'tokenizer.json' }, 're-download tokenizer.json');
    try {
      this.tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new UserError(
        `tokenizer.json could not be read (${(e as Error).message})`,
        { file: 'tokenizer.json' },
        'use a tokenizer.json written by the tokenizers library (WordPiece, BPE or Unigram)',
      );
    }
    this.added = new Map([...this.tok.get_added_tokens_decoder()].map(([id, t]) => [t.content, id]));
    const vocab = this.tok.get_vocab(true);
    this.vocabSize = Math.max(vocab.size, ...[...vocab.values()].map((v) => v + 1));
    const m = this.tok.model as unknown as { unk_token_id?: number } | null;
    this.unkId = m?.unk_token_id;
    const padTok = tokenString(tokenizerConfig.pad_token) ?? tokenString(specialTokensMap?.pad_token);
    const padFromJson = (tokenizerJson.padding as Json | null | undefined)?.pad_id;
    const padId = padTok !== undefined ? this.idOf(padTok) : undefined;
    this.padId = padId ?? (typeof padFromJson === 'number' ? padFromJson : undefined) ?? opts.padTokenId ?? 0;
    const declared =
      typeof tokenizerConfig.model_max_length === 'number' && tokenizerConfig.model_max_length > 0 && tokenizerConfig.model_max_length < 1e7
        ? tokenizerConfig.model_max_length
        : Infinity;
    const max = Math.min(declared, opts.modelPositions ?? Infinity);
    this.modelMaxLength = Number.isFinite(max) ? max : 512;
    const oneType = opts.typeVocabSize !== undefined && opts.typeVocabSize <= 1;
    this.byteLevel = JSON.stringify(tokenizerJson.pre_tokenizer ?? null).includes('"ByteLevel"');
    this.single = this.layout(false).map((x) => (oneType ? { ...x, type: 0 } : x));
    this.pair = this.layout(true).map((x) => (oneType ? { ...x, type: 0 } : x));
  }

  private idOf(token: string): number | undefined {
    return this.added.get(token) ?? this.tok.token_to_id(token);
  }

  /** Where the post-processor puts specials around sequence A (and B): found by post-processing two sentinels. */
  private layout(pair: boolean): Slot[] {
    const pp = this.tok.post_processor as unknown as
      ((a: string[], b: string[] | null, add: boolean) => { tokens: string[]; token_type_ids?: number[] }) | null;
    if (!pp)
      return pair
        ? [
            { kind: 'A', token: '', type: 0 },
            { kind: 'B', token: '', type: 1 },
          ]
        : [{ kind: 'A', token: '', type: 0 }];
    const r = pp([SA], pair ? [SB] : null, true);
    return r.tokens.map((t, i) => ({ kind: t === SA ? 'A' : t === SB ? 'B' : 'special', token: t, type: r.token_type_ids?.[i] ?? 0 }));
  }

  private pieces(text: string): string[] {
    return this.tok.tokenize(text, { add_special_tokens: false });
  }

  private toId(token: string): number {
    const id = this.idOf(token) ?? this.unkId;
    if (id === undefined)
      throw new UserError(
        `token "${token}" is not in the vocabulary and the tokenizer has no unknown token`,
        { file: 'tokenizer.json' },
        'use a tokenizer with an unk_token',
      );
    return id;
  }

  private budget(maxLength: number | undefined, pair: boolean): number {
    const max = Math.min(maxLength ?? this.modelMaxLength, this.modelMaxLength);
    const specials = (pair ? this.pair : this.single).filter((s) => s.kind === 'special').length;
    if (max < specials + (pair ? 2 : 1))
      throw new UserError(
        `max length ${max} leaves no room for text after ${specials} special tokens`,
        { option: 'maxLength' },
        `use a max length of at least ${specials + (pair ? 2 : 1)}`,
      );
    return max - specials;
  }

  private assemble(a: string[], b: string[] | null, aWords?: number[]): Encoding {
    const ids: number[] = [],
      typeIds: number[] = [],
      wordIds: (number | null)[] = [];
    for (const s of b === null ? this.single : this.pair) {
      const seq = s.kind === 'A' ? a : s.kind === 'B' ? b! : [s.token];
      seq.forEach((t, i) => {
        ids.push(this.toId(t));
        typeIds.push(s.type);
        wordIds.push(s.kind === 'A' && aWords ? aWords[i] : null);
      });
    }
    return aWords ? { ids, typeIds, wordIds } : { ids, typeIds };
  }

  encode(text: string, pair?: string, opts?: { maxLength?: number }): Encoding {
    const a = this.pieces(text);
    if (pair === undefined) return this.assemble(a.slice(0, this.budget(opts?.maxLength, false)), null);
    const b = this.pieces(pair);
    // longest_first: drop one token at a time from the longer sequence (ties: the second), as transformers'
    // truncate_sequences does
    const room = this.budget(opts?.maxLength, true);
    let la = a.length,
      lb = b.length;
    while (la + lb > room) {
      if (la > lb) la--;
      else lb--;
    }
    return this.assemble(a.slice(0, la), b.slice(0, lb));
  }

  countTokens(text: string, pair?: string): number {
    const slots = pair === undefined ? this.single : this.pair;
    const specials = slots.filter((x) => x.kind === 'special').length;
    return this.pieces(text).length + (pair === undefined ? 0 : this.pieces(pair).length) + specials;
  }

  encodeWindows(text: string, opts: { maxLength?: number; maxWindows: number }): Encoding[] {
    return sliceWindows(this.pieces(text), this.budget(opts.maxLength, false), opts.maxWindows).map((a) => this.assemble(a, null));
  }

  encodeWords(words: string[], opts?: { maxLength?: number }): Encoding {
    const toks: string[] = [],
      wids: number[] = [];
    words.forEach((w, i) => {
      for (const t of this.pieces(this.byteLevel ? ` ${w}` : w)) {
        toks.push(t);
        wids.push(i);
      }
    });
    const n = this.budget(opts?.maxLength, false);
    return this.assemble(toks.slice(0, n), null, wids.slice(0, n));
  }

  decode(ids: number[]): string {
    return ids.length ? this.tok.decode(ids, { skip_special_tokens: true }) : '';
  }

  /** tokenizer.json, tokenizer_config.json, special_tokens_map.json, and vocab.txt (WordPiece) or vocab.json +
   *  merges.txt (BPE): what transformers' fast and slow tokenizers of the family read (./hf-files.ts). */
  files(): Record<string, string> {
    return hfTokenizerFiles({
      tokenizerJson: this.tokenizerJson,
      tokenizerConfig: this.tokenizerConfig,
      specialTokensMap: this.specialTokensMap,
      modelMaxLength: this.modelMaxLength,
      modelType: this.opts.modelType,
      oneTokenType: this.opts.typeVocabSize !== undefined && this.opts.typeVocabSize <= 1,
    });
  }
}

/** Files a Hugging Face tokenizer can come from, for messages. */
export const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'];

/**
 * The tokenizer of an HF-layout file set: tokenizer.json (+ tokenizer_config.json, special_tokens_map.json), or a
 * WordPiece vocab.txt. Returns null when the source has neither.
 */
export async function loadHfTokenizer(src: FileSource, opts: HfTokenizerOptions = {}): Promise<HfTokenizer | null> {
  const cfgText = await readText(src, 'tokenizer_config.json');
  const stmText = await readText(src, 'special_tokens_map.json');
  const stm = stmText === null ? null : parseJson(stmText, 'special_tokens_map.json');
  const cfg: Json = { ...(stm ?? {}), ...(cfgText === null ? {} : parseJson(cfgText, 'tokenizer_config.json')) };
  const tj = await readText(src, 'tokenizer.json');
  if (tj !== null) return new HfTokenizer(parseJson(tj, 'tokenizer.json'), cfg, stm, opts);
  const vocab = await readText(src, 'vocab.txt');
  if (vocab !== null) return new HfTokenizer(wordPieceTokenizerJson(vocab, cfg), cfg, stm, opts);
  return null;
}
