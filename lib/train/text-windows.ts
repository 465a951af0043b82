// Long texts in sequence tasks (classification, multi-label, regression): a text longer than the max length becomes
// several windows (lib/tokenize/windows.ts), each an example with the text's label; training uses every window, and
// evaluation and prediction average a text's windows' outputs (logits; regression: values) into one. Text pairs are
// cut as before (longest first). Token classification has its own windows (./ner-windows.ts).
import type { Encoding, TextTokenizer } from '@/lib/models/types';
import { windowStarts } from '@/lib/tokenize/windows';

/** Windows per text by default (RunConfig.textWindows): with a 128-token max length, the first 1,024 tokens' worth,
 *  spread over the whole text. */
export const TEXT_WINDOWS = 8;
/** The most windows per text a run may set (RunConfig.textWindows). */
export const MAX_TEXT_WINDOWS = 64;

/** What long texts make at a max length: their share of the texts and the windows a text makes on average (at most
 *  `windows` each), from token counts before any cut (RecipeFacts.textLengths); none where no text is longer. */
export function windowShare(lengths: number[], maxLength: number, windows = TEXT_WINDOWS): { share: number; meanWindows: number } | null {
  if (!lengths.length || windows <= 1) return null;
  let long = 0,
    total = 0;
  for (const l of lengths) {
    const n = windowStarts(l, maxLength, windows).length;
    total += n;
    if (n > 1) long++;
  }
  return long ? { share: long / lengths.length, meanWindows: total / lengths.length } : null;
}

/** This example is window `index` of `count` of the text at `doc` (its index among the texts encoded). */
export interface TextPart {
  doc: number;
  index: number;
  count: number;
}

/** A text (and pair) as one encoding, or one per window where it is longer than maxLength and windows > 1. */
export function encodeText(
  tokenizer: TextTokenizer,
  text: string,
  pair: string | undefined,
  maxLength: number,
  windows: number,
): Encoding[] {
  if (pair !== undefined || windows <= 1 || !tokenizer.encodeWindows) return [tokenizer.encode(text, pair, { maxLength })];
  return tokenizer.encodeWindows(text, { maxLength, maxWindows: windows });
}

/** Texts as examples for predict(): every window an example, marked with its text. */
export function encodeInputs(
  tokenizer: TextTokenizer,
  inputs: { text: string; pair?: string }[],
  maxLength: number,
  windows: number,
): (Encoding & { part?: TextPart })[] {
  return inputs.flatMap((x, doc) => withParts(encodeText(tokenizer, x.text, x.pair, maxLength, windows), doc));
}

/** Marks the encodings of one text with their part (none where the text is one window). */
export function withParts<T extends object>(encs: T[], doc: number): (T & { part?: TextPart })[] {
  return encs.length === 1 ? encs : encs.map((e, index) => ({ ...e, part: { doc, index, count: encs.length } }));
}

/** Texts among examples (a long text's windows count once). */
export function textCount(examples: { part?: TextPart }[]): number {
  return examples.reduce((n, e) => n + (e.part === undefined || e.part.index === 0 ? 1 : 0), 0);
}

/** Whether any example is a window of a longer text. */
export function hasParts(examples: { part?: TextPart }[]): boolean {
  return examples.some((e) => e.part !== undefined);
}

/**
 * One output and one example per text: a text's windows (consecutive examples with the same part.doc) averaged, the
 * example its first window's; examples that are not windows are kept as they are.
 */
export function mergeParts<O, E extends { part?: TextPart }>(outputs: O[], examples: E[]): { outputs: O[]; examples: E[] } {
  if (!hasParts(examples)) return { outputs, examples };
  const mOut: O[] = [],
    mEx: E[] = [];
  for (let i = 0; i < examples.length;) {
    const doc = examples[i].part?.doc;
    let j = i + 1;
    if (doc !== undefined) while (j < examples.length && examples[j].part?.doc === doc) j++;
    const rows = outputs.slice(i, j) as number[][];
    mOut.push((rows.length === 1 ? rows[0] : rows[0].map((_, c) => rows.reduce((s, r) => s + r[c], 0) / rows.length)) as O);
    const { part: _, ...first } = examples[i];
    mEx.push(first as E);
    i = j;
  }
  return { outputs: mOut, examples: mEx };
}
