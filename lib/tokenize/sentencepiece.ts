// SentencePiece unigram segmentation (Viterbi over piece log-probabilities), as Universal Sentence Encoder Lite's
// tokenizer does it: NFKC, "▁" before the text and for every space, reserved pieces never matched, unknowns merged.
// @huggingface/tokenizers running the same pieces as a Unigram tokenizer.json breaks ties differently (1 of 6,920 SST-2
// sentences differs), so the Viterbi pass is written here; files() still exports that tokenizer.json for other tools.
import { UserError } from '../errors';
import type { Encoding, TextTokenizer } from './types';
import { sliceWindows } from './windows';

/** vocab.json of USE-Lite: [piece, log-probability] in id order. */
export type SentencePieceVocab = Array<[string, number]>;

export interface SentencePieceOptions {
  /** ids below this are control symbols (unk, <s>, </s>, extra_token_id_*) that text never matches; USE-Lite: 6 */
  reservedCount?: number;
  /** the model's positions; longer inputs are truncated to this */
  modelMaxLength?: number;
  unkId?: number;
  /** never produced by encode(), so a padded batch cannot be confused with text */
  padId?: number;
  /** put between the two texts of a pair (the model has no segment embeddings) */
  sepId?: number;
}

const SEP = '\u2581';
// Trie edges live in one Map keyed by node * 2^21 + code point (node ids stay far below 2^31, so keys are exact).
const CP_SPAN = 0x200000;

export class SentencePieceTokenizer implements TextTokenizer {
  readonly kind = 'sentencepiece-unigram' as const;
  readonly vocabSize: number;
  readonly padId: number;
  readonly unkId: number;
  readonly sepId: number;
  readonly modelMaxLength: number;
  readonly reservedCount: number;
  private readonly vocab: SentencePieceVocab;
  private readonly scores: Float64Array;
  /** UTF-16 length of each piece: the reference steps back by it (equal to the code point count for this vocabulary) */
  private readonly utf16Len: Int32Array;
  private readonly edges = new Map<number, number>();
  private pieceAt: Int32Array;
  private best = new Float64Array(256);
  private words = new Int32Array(256);

  constructor(vocab: SentencePieceVocab, opts: SentencePieceOptions = {}) {
    this.vocab = vocab;
    this.vocabSize = vocab.length;
    this.reservedCount = opts.reservedCount ?? 6;
    this.modelMaxLength = opts.modelMaxLength ?? 128;
    this.unkId = opts.unkId ?? 0;
    this.padId = opts.padId ?? 3;
    this.sepId = opts.sepId ?? 2;
    this.scores = new Float64Array(vocab.length);
    this.utf16Len = new Int32Array(vocab.length);
    let nodes = 1;
    let pieceAt = new Int32Array(1024).fill(-1);
    for (let i = 0; i < vocab.length; i++) {
      const [piece, score] = vocab[i];
      this.scores[i] = score;
      this.utf16Len[i] = piece.length;
      if (i < this.reservedCount) continue;
      let node = 0;
      for (const ch of piece) {
        const key = node * CP_SPAN + (ch.codePointAt(0) as number);
        let next = this.edges.get(key);
        if (next === undefined) {
          next = nodes++;
          this.edges.set(key, next);
          if (next >= pieceAt.length) {
            const grown = new Int32Array(pieceAt.length * 2).fill(-1);
            grown.set(pieceAt);
            pieceAt = grown;
          }
        }
        node = next;
      }
      // a later duplicate piece replaces the earlier one, as in the reference trie
      if (node !== 0) pieceAt[node] = i;
    }
    this.pieceAt = pieceAt;
  }

  /** Parses vocab.json text/bytes; a malformed file is a UserError naming it. */
  static fromVocabJson(data: string | Uint8Array, file = 'vocab.json', opts: SentencePieceOptions = {}): SentencePieceTokenizer {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new UserError(`not valid JSON (${(e as Error).message})`, { file }, 'Use the vocab.json that came with the model.');
    }
    return new SentencePieceTokenizer(checkVocab(parsed, file), opts);
  }

  /**
   * Reads back the tokenizer.json written by files() (a Hugging Face Unigram model), with the segmentation rules
   * plain Unigram does not carry taken from tokenizer_config.json's "use_lite" entry (USE-Lite's defaults without it).
   */
  static fromTokenizerJson(
    data: string | Uint8Array,
    config?: string | Uint8Array | null,
    file = 'tokenizer.json',
  ): SentencePieceTokenizer {
    const text = (d: string | Uint8Array) => (typeof d === 'string' ? d : new TextDecoder().decode(d));
    let parsed: { model?: { type?: string; vocab?: unknown; unk_id?: number } };
    try {
      parsed = JSON.parse(text(data));
    } catch (e) {
      throw new UserError(`not valid JSON (${(e as Error).message})`, { file }, 'Re-export the model or use its original tokenizer.json.');
    }
    if (parsed.model?.type !== 'Unigram') {
      throw new UserError(
        `expected a Unigram model, found "${String(parsed.model?.type)}"`,
        { file, option: 'model.type' },
        'This tokenizer reads SentencePiece unigram vocabularies only.',
      );
    }
    let extra: SentencePieceOptions = {};
    if (config) {
      try {
        extra = (JSON.parse(text(config)) as { use_lite?: SentencePieceOptions }).use_lite ?? {};
      } catch (e) {
        throw new UserError(`not valid JSON (${(e as Error).message})`, { file: 'tokenizer_config.json' }, 'Re-export the model.');
      }
    }
    const vocab = checkVocab(parsed.model.vocab, file);
    return new SentencePieceTokenizer(vocab, { ...extra, unkId: parsed.model.unk_id ?? 0 });
  }

  /** Token ids of one text, untruncated: the reference segmentation exactly. */
  encodeIds(input: string): number[] {
    const normalized = input.normalize('NFKC');
    if (normalized.length === 0) return [];
    const s = SEP + normalized.replace(/ /g, SEP);
    const cps: number[] = [];
    for (const ch of s) cps.push(ch.codePointAt(0) as number);
    const n = cps.length;
    if (this.best.length < n + 1) {
      this.best = new Float64Array(2 * (n + 1));
      this.words = new Int32Array(2 * (n + 1));
    }
    const best = this.best;
    const words = this.words;
    best.fill(0, 0, n + 1);
    words.fill(0, 0, n + 1);
    const { edges, pieceAt, scores } = this;
    // Forward pass by start position: every candidate ending at `end` arrives in ascending start order, the order the
    // reference visits them in, so its tie rule (later candidate wins on >=) and its "0 means unset" rule carry over.
    for (let i = 0; i < n; i++) {
      const base = best[i];
      let node = 0;
      let matched = false;
      for (let j = i; j < n; j++) {
        const next = edges.get(node * CP_SPAN + cps[j]);
        if (next === undefined) break;
        node = next;
        const id = pieceAt[node];
        if (id >= 0) {
          matched = true;
          const end = j + 1;
          const score = scores[id] + base;
          if (best[end] === 0 || score >= best[end]) {
            best[end] = score;
            words[end] = id;
          }
        }
      }
      if (!matched) {
        // an unknown symbol: one code point, score 0
        const end = i + 1;
        if (best[end] === 0 || base >= best[end]) {
          best[end] = base;
          words[end] = this.unkId;
        }
      }
    }
    const out: number[] = [];
    let prevUnk = false;
    for (let it = n; it > 0;) {
      const id = words[it];
      const unk = id === this.unkId;
      if (!(unk && prevUnk)) out.push(id);
      prevUnk = unk;
      it -= this.utf16Len[id];
    }
    return out.reverse();
  }

  encode(text: string, pair?: string, opts: { maxLength?: number } = {}): Encoding {
    const max = Math.min(opts.maxLength ?? this.modelMaxLength, this.modelMaxLength);
    const a = this.encodeIds(text);
    if (pair === undefined) return { ids: a.length > max ? a.slice(0, max) : a };
    // pairs: text, separator, pair; the longer side loses tokens first (Hugging Face's longest_first)
    const b = this.encodeIds(pair);
    let la = a.length,
      lb = b.length;
    while (la + lb + 1 > max && la + lb > 0) {
      if (la >= lb) la--;
      else lb--;
    }
    return { ids: [...a.slice(0, la), this.sepId, ...b.slice(0, lb)].slice(0, max) };
  }

  countTokens(text: string, pair?: string): number {
    return this.encodeIds(text).length + (pair === undefined ? 0 : 1 + this.encodeIds(pair).length);
  }

  encodeWindows(text: string, opts: { maxLength?: number; maxWindows: number }): Encoding[] {
    const max = Math.min(opts.maxLength ?? this.modelMaxLength, this.modelMaxLength);
    return sliceWindows(this.encodeIds(text), max, opts.maxWindows).map((ids) => ({ ids }));
  }

  /**
   * Pre-split words (NER): each word is segmented as it would be after a space, so ids match encode(words.join(' '))
   * except where a piece would cross a word boundary.
   */
  encodeWords(words: string[], opts: { maxLength?: number } = {}): Encoding {
    const max = Math.min(opts.maxLength ?? this.modelMaxLength, this.modelMaxLength);
    const ids: number[] = [];
    const wordIds: (number | null)[] = [];
    for (let w = 0; w < words.length && ids.length < max; w++) {
      for (const id of this.encodeIds(words[w])) {
        if (ids.length >= max) break;
        ids.push(id);
        wordIds.push(w);
      }
    }
    return { ids, wordIds };
  }

  /** The piece strings of ids (for display). */
  pieces(ids: number[]): string[] {
    return ids.map((id) => this.vocab[id]?.[0] ?? '');
  }

  /**
   * tokenizer.json (a Hugging Face Unigram model over the same pieces) + tokenizer_config.json. Other tools running it
   * get the same ids except on Viterbi ties (1 in 6,920 SST-2 sentences) and on literal control names such as "</s>".
   */
  files(): Record<string, string> {
    const special = (id: number) => ({
      id,
      content: this.vocab[id][0],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    });
    const tokenizer = {
      version: '1.0',
      truncation: { direction: 'Right', max_length: this.modelMaxLength, strategy: 'LongestFirst', stride: 0 },
      padding: null,
      added_tokens: [special(this.unkId), special(this.sepId), special(this.padId)],
      normalizer: {
        type: 'Sequence',
        normalizers: [{ type: 'NFKC' }, { type: 'Prepend', prepend: SEP }, { type: 'Replace', pattern: { String: ' ' }, content: SEP }],
      },
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Metaspace', replacement: SEP, prepend_scheme: 'always', split: false },
      model: { type: 'Unigram', unk_id: this.unkId, vocab: this.vocab, byte_fallback: false },
    };
    const config = {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: this.modelMaxLength,
      unk_token: this.vocab[this.unkId][0],
      sep_token: this.vocab[this.sepId][0],
      pad_token: this.vocab[this.padId][0],
      padding_side: 'right',
      truncation_side: 'right',
      // read back by fromTokenizerJson: the reference's rules that a plain Unigram tokenizer.json does not carry
      use_lite: { reservedCount: this.reservedCount, modelMaxLength: this.modelMaxLength, padId: this.padId, sepId: this.sepId },
    };
    return { 'tokenizer.json': JSON.stringify(tokenizer), 'tokenizer_config.json': JSON.stringify(config, null, 2) };
  }
}

// USE-Lite's vocab.json has null scores for the seven pieces with ':' (":", "▁:)", ...). The reference adds them to
// numbers, where null counts as 0, so they are read as 0 here too.
function checkVocab(v: unknown, file: string): SentencePieceVocab {
  if (!Array.isArray(v) || v.length === 0) {
    throw new UserError('expected a non-empty list of [piece, score] pairs', { file }, 'Use the vocab.json that came with the model.');
  }
  const out: SentencePieceVocab = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = v[i];
    const ok = Array.isArray(e) && typeof e[0] === 'string' && (e[1] === null || (typeof e[1] === 'number' && Number.isFinite(e[1])));
    if (!ok) {
      throw new UserError(
        `entry ${i} is not a [piece, score] pair`,
        { file, snippet: JSON.stringify(e) },
        'Use the vocab.json that came with the model.',
      );
    }
    out[i] = [e[0], e[1] ?? 0];
  }
  return out;
}
