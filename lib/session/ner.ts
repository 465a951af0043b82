// Named-entity recognition in the studio: the test sentences an evaluation gets wrong (each word with its true and
// predicted tag, a long sentence joined back from its windows) and the Playground's entities of a typed text.
import type { Example } from '../data/types';
import { UserError } from '../errors';
import type { TaskModel } from '../models/types';
import type { Command, NerSentence } from '../protocol';
import type { EncodedExample } from '../train/encode';
import type { ExampleOutput } from '../train/evaluate';
import { argmax } from '../train/metrics';
import { entitiesOf } from '../train/ner-metrics';
import { predictEntities } from '../train/ner-predict';
import { encodeSentence, firstPieces } from '../train/ner-windows';
import type { SessionHost } from './context';
import { sessionDb } from './state';
import { readingOf, runModel } from './trained';

const MAX_SENTENCES = 200;

/** True entities not predicted with exactly their span and type, plus predicted entities that match no true one. */
export function wrongEntities(trueTags: string[], predicted: string[]): number {
  const key = (e: { type: string; start: number; end: number }) => `${e.start}:${e.end}:${e.type}`;
  const t = new Set(entitiesOf(trueTags).map(key)),
    p = new Set(entitiesOf(predicted).map(key));
  let wrong = 0;
  for (const k of t) if (!p.has(k)) wrong++;
  for (const k of p) if (!t.has(k)) wrong++;
  return wrong;
}

/**
 * The sentences of `examples` with a wrong entity, most wrong first (at most 200), from the per-token probabilities
 * `probs` of their encodings `enc` (encodeExamples at `maxLength`: one example per window of a long sentence). Each
 * word takes the tag of its first piece in the window that scores it, as the metrics do; a word the tokenizer gives
 * no piece reads "O".
 */
export function wrongSentences(
  model: TaskModel,
  examples: Example[],
  enc: EncodedExample[],
  probs: ExampleOutput[],
  maxLength: number,
  limit = MAX_SENTENCES,
): NerSentence[] {
  const max = Math.min(maxLength, model.tokenizer.modelMaxLength);
  const out: NerSentence[] = [];
  let at = 0; // the first encoding (window) of the sentence in enc
  for (const ex of examples) {
    const words = ex.words ?? [],
      trueTags = ex.tags ?? [];
    // the same windows encodeExamples made (one plan), now with the word of each token
    const windows = encodeSentence(model.tokenizer, words, max);
    if ((enc[at]?.window?.count ?? 1) !== windows.length)
      throw new Error(`wrongSentences: sentence at row ${ex.row ?? '?'} has ${windows.length} windows, its encoding another count`);
    const predicted = firstPieces(windows, words.length).map((p) => {
      const row = p ? (probs[at + p.window] as number[][] | undefined)?.[p.token] : undefined;
      return row ? model.labels[argmax(row)] : 'O';
    });
    at += windows.length;
    const wrong = wrongEntities(trueTags, predicted);
    if (wrong > 0) out.push({ ...(ex.row !== undefined ? { row: ex.row } : {}), words, trueTags, predicted, wrong });
  }
  if (at !== enc.length) throw new Error(`wrongSentences: ${enc.length} encodings for ${at} windows`);
  return out.sort((a, b) => b.wrong - a.wrong).slice(0, limit);
}

/** The Playground's entities of a raw text for a token-classification run. */
export async function entities(host: SessionHost, cmd: Extract<Command, { type: 'predict-entities' }>): Promise<void> {
  const db = sessionDb();
  const model = await runModel(db, cmd.runId);
  if (model.task !== 'token-classification')
    throw new UserError(
      `this run was trained for ${model.task}, not named entities`,
      { option: 'run' },
      'pick a run trained on CoNLL or token data',
    );
  const found = await predictEntities(model, cmd.text, { maxLength: (await readingOf(db, cmd.runId)).maxLength });
  host.post({ type: 'entities', requestId: cmd.requestId, text: cmd.text, entities: found });
}
