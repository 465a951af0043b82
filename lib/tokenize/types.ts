// The contract every tokenizer meets (SentencePiece unigram for USE-Lite, Hugging Face tokenizers for the BERT
// family): text in, ids out. Below lib/models, which builds encoders on it and re-exports these types.

/** One tokenized example: ids with special tokens, truncated, not padded. */
export interface Encoding {
  ids: number[];
  typeIds?: number[];
  /** token-classification: index of the word each token came from (null for specials) */
  wordIds?: (number | null)[];
}

export interface TextTokenizer {
  readonly kind: 'sentencepiece-unigram' | 'hf';
  readonly vocabSize: number;
  readonly padId: number;
  /** the model's own maximum sequence length (positions it has) */
  readonly modelMaxLength: number;
  /** the id text outside the vocabulary becomes, where the tokenizer has one (the data check counts it) */
  readonly unkId?: number;
  encode(text: string, pair?: string, opts?: { maxLength?: number }): Encoding;
  /** tokens of a text (and pair), special tokens included, before any cut: what the data report's lengths show */
  countTokens?(text: string, pair?: string): number;
  /** a text longer than maxLength as up to maxWindows windows of maxLength tokens each, special tokens in each
   *  (./windows.ts); a text that fits is one encoding, equal to encode(text) */
  encodeWindows?(text: string, opts: { maxLength?: number; maxWindows: number }): Encoding[];
  /** pre-split words (NER): wordIds are filled */
  encodeWords?(words: string[], opts?: { maxLength?: number }): Encoding;
  /** files for a Hugging Face layout export, e.g. tokenizer.json, tokenizer_config.json */
  files(): Record<string, string | Uint8Array>;
}
