// Turns labeled examples into what the loop consumes: token ids (special tokens added, truncated, not padded) and
// label ids. Tokenization happens once, before training. Token classification never truncates: a sentence longer
// than the max length becomes several overlapping windows (./ner-windows.ts), each one example; with `windows` > 1, so
// does a longer text in a sequence task (./text-windows.ts).
import { UserError } from '@/lib/errors';
import type { Example } from '@/lib/data/types';
import type { Task, TextTokenizer } from '@/lib/models/types';
import { encodeSentence } from './ner-windows';
import { encodeText, withParts, type TextPart } from './text-windows';

/** Loss is not computed where a token's tag is this (special tokens, continuation word pieces), as in Hugging Face. */
export const IGNORE_INDEX = -100;

export interface EncodedExample {
  ids: number[];
  typeIds?: number[];
  /** classification: the class id; multilabel: the ids of the labels present; regression: the target value;
   *  token classification: unused (0) */
  label: number | number[];
  /** token classification: one tag id per token, IGNORE_INDEX where no loss is computed */
  tags?: number[];
  /** token classification, a sentence longer than the max length: this example is one of its windows */
  window?: SentenceWindow;
  /** sequence tasks, a text longer than the max length: this example is one of its windows (./text-windows.ts) */
  part?: TextPart;
}

/** One window of a long sentence. Training uses every tagged token of every window; evaluation and prediction score
 *  each word once, in the window where it is most central. */
export interface SentenceWindow {
  /** the sentence's index among the examples given to encodeExamples */
  sentence: number;
  /** this window's place among the sentence's windows, and their number */
  index: number;
  count: number;
  /** the tokens (first word pieces, in order) this window is scored on */
  tokens: number[];
}

function inferTask(examples: Example[]): Task {
  const first = examples[0];
  if (!first) return 'classification';
  if (first.words && first.tags) return 'token-classification';
  if (Array.isArray(first.label)) return 'multilabel';
  if (typeof first.label === 'number') return 'regression';
  return 'classification';
}

export function encodeExamples(
  tokenizer: TextTokenizer,
  examples: Example[],
  labels: string[],
  maxLength: number,
  task: Task = inferTask(examples),
  opts: { allSubwords?: boolean; windows?: number } = {},
): EncodedExample[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const where = (i: number, column: string) => ({ row: i + 1, column });
  const labelId = (name: string, i: number): number => {
    const id = index.get(name);
    if (id === undefined)
      throw new UserError(
        `label "${name}" is not one of the ${labels.length} known labels`,
        where(i, 'label'),
        `use one of: ${labels.slice(0, 10).join(', ')}${labels.length > 10 ? ', ...' : ''}`,
      );
    return id;
  };
  return examples.flatMap((ex, i): EncodedExample | EncodedExample[] => {
    if (task === 'token-classification') {
      if (!ex.words || !ex.tags || !tokenizer.encodeWords)
        throw new UserError(
          'token classification needs words and one tag per word, and a tokenizer that encodes words',
          where(i, 'tags'),
          'check the column mapping',
        );
      if (ex.words.length !== ex.tags.length)
        throw new UserError(`${ex.words.length} words but ${ex.tags.length} tags`, where(i, 'tags'), 'give exactly one tag per word');
      const windows = encodeSentence(tokenizer, ex.words, maxLength);
      return windows.map((enc, index) => {
        const tags: number[] = [],
          scored: number[] = [];
        let prev: number | null = null;
        for (let t = 0; t < enc.ids.length; t++) {
          const w = enc.wordIds[t] ?? null;
          const first = w !== null && w !== prev;
          // the rest of a word's pieces: ignored in the loss, or (allSubwords) trained on the word's tag, a B- as I-
          const rest = w !== null && !first && opts.allSubwords ? labelId(ex.tags![w].replace(/^B-/, 'I-'), i) : IGNORE_INDEX;
          tags.push(first ? labelId(ex.tags![w], i) : rest);
          if (first && w >= enc.from && w < enc.to) scored.push(t);
          prev = w;
        }
        // the tokens scored are the first pieces: said explicitly where other pieces carry tags too
        const windowed = windows.length > 1 || opts.allSubwords;
        const window = windowed ? { window: { sentence: i, index, count: windows.length, tokens: scored } } : {};
        return { ids: enc.ids, typeIds: enc.typeIds, label: 0, tags, ...window };
      });
    }
    let label: number | number[];
    if (task === 'regression') {
      const v = typeof ex.label === 'number' ? ex.label : Number(ex.label);
      if (!Number.isFinite(v))
        throw new UserError(
          `regression target "${String(ex.label)}" is not a number`,
          where(i, 'label'),
          'fill the label column with numbers',
        );
      label = v;
    } else if (task === 'multilabel') {
      const names = Array.isArray(ex.label) ? ex.label : [String(ex.label)];
      label = [...new Set(names.map((n) => labelId(n, i)))].sort((a, b) => a - b);
    } else {
      label = labelId(String(ex.label), i);
    }
    const encs = encodeText(tokenizer, ex.text, ex.textPair, maxLength, opts.windows ?? 1);
    return withParts(
      encs.map((enc) => ({ ids: enc.ids, typeIds: enc.typeIds, label })),
      i,
    );
  });
}
