// Named entities from a token-classification model: raw text split into words with character offsets, each word's
// tag from its first piece (long texts in overlapping windows), BIO tags decoded to scored character spans.
import type { TaskModel } from '@/lib/models/types';
import type { FeatureExtractor } from './features';
import { argmax } from './metrics';
import { entitiesOf } from './ner-metrics';
import { encodeSentence, firstPieces, type WindowEncoding } from './ner-windows';
import { predict } from './predict';

export interface WordSpan {
  word: string;
  /** character offsets into the text, end exclusive */
  start: number;
  end: number;
}

export interface PredictedEntity {
  /** text.slice(start, end) */
  text: string;
  type: string;
  start: number;
  end: number;
  /** mean probability of the chosen tags over the entity's words */
  score: number;
}

export interface NerPredictOptions {
  /** tokens per window (default and upper bound: the tokenizer's model max length) */
  maxLength?: number;
  batchSize?: number;
  /** the encoder's features from this extractor (a thread pool); the head runs here */
  extract?: FeatureExtractor;
}

// Words as CoNLL tokenizes them: letters/digits (joined by inner hyphens, apostrophes and periods: "U.S", "o'clock",
// "1996-08-22"), numbers with inner commas or points ("1,000", "3.5"), and every other non-space character alone.
const WORD = /\p{N}+(?:[.,]\p{N}+)+|[\p{L}\p{N}\p{M}_]+(?:[-'’.][\p{L}\p{N}\p{M}_]+)*|[^\s\p{L}\p{N}\p{M}_]/gu;

/** Raw text as words with their character offsets: whitespace separates, punctuation marks are words of their own. */
export function splitWords(text: string): WordSpan[] {
  return [...text.matchAll(WORD)].map((m) => ({ word: m[0], start: m.index!, end: m.index! + m[0].length }));
}

/**
 * Tags of pre-split sentences, one per word, with the chosen tag's probability: the softmax of each word's first
 * piece, a sentence longer than the max length read in overlapping windows (each word from the window where it is
 * most central). A word the tokenizer gives no piece (e.g. a control character) is "O" with probability 0.
 */
export async function predictTags(
  model: TaskModel,
  sentences: string[][],
  opts: NerPredictOptions = {},
): Promise<{ tags: string[]; probs: number[] }[]> {
  if (model.task !== 'token-classification') throw new Error(`predictTags: the model is for ${model.task}, not token classification`);
  const maxLength = Math.min(opts.maxLength ?? model.tokenizer.modelMaxLength, model.tokenizer.modelMaxLength);
  const perSentence: WindowEncoding[][] = sentences.map((words) => (words.length ? encodeSentence(model.tokenizer, words, maxLength) : []));
  const flat = perSentence.flat();
  const probs = flat.length ? ((await predict(model, flat, { batchSize: opts.batchSize, extract: opts.extract })) as number[][][]) : [];
  let offset = 0;
  return perSentence.map((windows, s) => {
    const at = firstPieces(windows, sentences[s].length);
    const base = offset;
    offset += windows.length;
    const tags: string[] = [],
      p: number[] = [];
    for (const piece of at) {
      const row = piece ? probs[base + piece.window][piece.token] : undefined;
      if (!row) {
        tags.push('O');
        p.push(0);
        continue;
      }
      const k = argmax(row);
      tags.push(model.labels[k]);
      p.push(row[k]);
    }
    return { tags, probs: p };
  });
}

/** The entities of raw text: spans into the text (end exclusive), never overlapping, in text order, scored. */
export async function predictEntities(model: TaskModel, text: string, opts: NerPredictOptions = {}): Promise<PredictedEntity[]> {
  const words = splitWords(text);
  if (!words.length) return [];
  const [{ tags, probs }] = await predictTags(model, [words.map((w) => w.word)], opts);
  return entitySpans(text, words, tags, probs);
}

/** Predicted tags of `words` (spans into `text`) as entities with character offsets, scored by the mean probability
 *  of their words' tags. */
export function entitySpans(text: string, words: WordSpan[], tags: string[], probs: number[]): PredictedEntity[] {
  return entitiesOf(tags).map((e) => {
    const start = words[e.start].start,
      end = words[e.end - 1].end;
    let sum = 0;
    for (let i = e.start; i < e.end; i++) sum += probs[i];
    return { text: text.slice(start, end), type: e.type, start, end, score: sum / (e.end - e.start) };
  });
}
