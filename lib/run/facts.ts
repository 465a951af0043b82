// What a recipe needs to know about a run's model and data (lib/train/recipes.ts), computed the same way for the
// studio (the dataset report) and the CLI (the files it reads).
import type { Example } from '../data/types';
import type { Encoder, Task, TextTokenizer } from '../models/types';
import { FAMILY_TITLE, familyOf, type RecipeFacts } from '../train/recipe-table';

/** Token lengths are measured on at most this many training texts, evenly spaced. */
const LENGTH_SAMPLE = 5000;
/** Whole lengths kept for the recipe's window count (evenly spaced quantiles). */
const LENGTHS_KEPT = 500;
/** Unknown letters are counted on at most this many training texts, evenly spaced. */
const UNKNOWN_SAMPLE = 1000;
/** From this share of letters unknown to the model's vocabulary on, the model cannot read the texts well: a warning
 *  says so. English data has almost none under USE-Lite (SST-2, Banking77, SMS Spam, WNUT-17, manual pages, package
 *  descriptions: at most 0.02 %, session 22); Chinese or Russian text is nearly all unknown to it. Letters, not
 *  tokens: an emoji is an unknown token too, but a tweet's emoji does not make its words unreadable. */
export const UNKNOWN_SHARE_WARN = 0.05;

export function modelFacts(
  encoder: Pick<Encoder, 'arch' | 'hiddenSize' | 'numLayers'>,
  tokenizer?: Pick<TextTokenizer, 'modelMaxLength'>,
): RecipeFacts {
  return { arch: encoder.arch, hiddenSize: encoder.hiddenSize, numLayers: encoder.numLayers, modelMaxLength: tokenizer?.modelMaxLength };
}

/** Rows, examples per label and token lengths of a training split, and the validation split's rows where known. */
export function dataFacts(
  train: Pick<Example, 'text' | 'textPair' | 'label'>[],
  labels: string[],
  task: Task,
  tokenizer?: Pick<TextTokenizer, 'encode' | 'countTokens'> & Partial<Pick<TextTokenizer, 'modelMaxLength' | 'unkId'>>,
  validationRows?: number,
): RecipeFacts {
  const facts: RecipeFacts = { task, trainRows: train.length, ...(validationRows !== undefined ? { validationRows } : {}) };
  if (task === 'classification' || task === 'multilabel') {
    const index = new Map(labels.map((l, i) => [l, i]));
    const counts = new Array<number>(labels.length).fill(0);
    for (const ex of train) {
      for (const l of Array.isArray(ex.label) ? ex.label : [ex.label]) {
        const i = index.get(String(l));
        if (i !== undefined) counts[i]++;
      }
    }
    facts.labelCounts = counts;
  }
  if (tokenizer && train.length) {
    const step = Math.max(1, Math.ceil(train.length / LENGTH_SAMPLE));
    const lens: number[] = [];
    const full: number[] = [];
    // single texts longer than the max length are read in windows: their whole lengths (pairs are cut)
    const windowed = task !== 'token-classification' && tokenizer.countTokens;
    for (let i = 0; i < train.length; i += step) {
      const { text, textPair } = train[i];
      if (windowed && textPair === undefined && tokenizer.modelMaxLength) {
        // one tokenization: the cut length is the whole length at most the model's limit
        const n = tokenizer.countTokens!(text);
        full.push(n);
        lens.push(Math.min(n, tokenizer.modelMaxLength));
      } else lens.push(tokenizer.encode(text, textPair).ids.length);
    }
    if (full.length) {
      full.sort((a, b) => a - b);
      const k = Math.min(full.length, LENGTHS_KEPT);
      facts.textLengths = Array.from({ length: k }, (_, j) => full[Math.floor((j * full.length) / k)]);
    }
    lens.sort((a, b) => a - b);
    facts.tokenLengths = { p95: lens[Math.min(lens.length - 1, Math.floor(0.95 * lens.length))], max: lens[lens.length - 1] };
    if (tokenizer.unkId !== undefined) facts.unknownLetters = unknownLetters(train, tokenizer, tokenizer.unkId);
  }
  return facts;
}

const WORD = /[\p{L}\p{M}]+/gu;

/** The share of letters in a sample of the training texts that lie in words the tokenizer cannot spell (each word,
 *  a run of letters, tokenized alone: any unknown token in it counts all its letters), and the text with the most. */
function unknownLetters(
  train: Pick<Example, 'text' | 'textPair'>[],
  tokenizer: Pick<TextTokenizer, 'encode'>,
  unkId: number,
): NonNullable<RecipeFacts['unknownLetters']> {
  const step = Math.max(1, Math.ceil(train.length / UNKNOWN_SAMPLE));
  const known = new Map<string, boolean>();
  let unknown = 0;
  let all = 0;
  let worst = { share: 0, text: '' };
  for (let i = 0; i < train.length; i += step) {
    const text = train[i].textPair === undefined ? train[i].text : `${train[i].text} ${train[i].textPair}`;
    let u = 0;
    let n = 0;
    for (const [word] of text.matchAll(WORD)) {
      let ok = known.get(word);
      if (ok === undefined) {
        ok = !tokenizer.encode(word).ids.includes(unkId);
        if (known.size < 100_000) known.set(word, ok);
      }
      n += word.length;
      if (!ok) u += word.length;
    }
    unknown += u;
    all += n;
    if (n && u / n > worst.share) worst = { share: u / n, text };
  }
  const one = worst.text.replace(/\s+/g, ' ').trim(); // one line, for the CLI's warning
  const example = one.length > 60 ? `${one.slice(0, 60)}…` : one;
  return { share: all ? unknown / all : 0, ...(example ? { example } : {}) };
}

/** A warning where many of the training texts' letters are in words the model's vocabulary cannot spell (`facts`
 *  with the model's own: modelFacts), or null. */
export function vocabularyWarning(facts: RecipeFacts): string | null {
  const u = facts.unknownLetters;
  if (!u || u.share < UNKNOWN_SHARE_WARN) return null;
  const model = facts.arch ? FAMILY_TITLE[familyOf(facts)] : 'the model';
  return (
    `${(100 * u.share).toFixed(0)} % of the letters in the training texts are in words ${model}'s vocabulary cannot spell` +
    `${u.example ? ` (e.g. "${u.example}")` : ''}: it reads each run of characters it does not know as one and the same ` +
    'symbol, so it can barely tell such texts apart. Pick a model whose vocabulary covers their language or script ' +
    '(e.g. a multilingual one from the Hugging Face Hub).'
  );
}
