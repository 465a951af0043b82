// Turns labeled examples into what the loop consumes: token ids (special tokens added, truncated, not padded) and
// label ids. Tokenization happens once, before training.
import { UserError } from '@/lib/errors';
import type { Example } from '@/lib/data/types';
import type { Task, TextTokenizer } from '@/lib/models/types';

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
  return examples.map((ex, i) => {
    if (task === 'token-classification') {
      if (!ex.words || !ex.tags || !tokenizer.encodeWords)
        throw new UserError(
          'token classification needs words and one tag per word, and a tokenizer that encodes words',
          where(i, 'tags'),
          'check the column mapping',
        );
      if (ex.words.length !== ex.tags.length)
        throw new UserError(`${ex.words.length} words but ${ex.tags.length} tags`, where(i, 'tags'), 'give exactly one tag per word');
      const enc = tokenizer.encodeWords(ex.words, { maxLength });
      const wordIds = enc.wordIds ?? [];
      const tags: number[] = [];
      let prev: number | null = null;
      for (let t = 0; t < enc.ids.length; t++) {
        const w = wordIds[t] ?? null;
        tags.push(w === null || w === prev ? IGNORE_INDEX : labelId(ex.tags[w], i));
        prev = w;
      }
      return { ids: enc.ids, typeIds: enc.typeIds, label: 0, tags };
    }
    const enc = tokenizer.encode(ex.text, ex.textPair, { maxLength });
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
    return { ids: enc.ids, typeIds: enc.typeIds, label };
  });
}
