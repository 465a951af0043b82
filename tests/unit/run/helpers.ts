// What the run-phase tests share: sentiment rows as run data, a tiny random BERT, weight snapshots and event lists.
import type * as tf from '@tensorflow/tfjs';
import { bertConfig, createBert, randomBertParams } from '@/lib/models/bert';
import { isHeadParamName } from '@/lib/models/heads';
import type { RunData, RunEvent } from '@/lib/run/train-run';
import { sentimentExamples, TINY, wordTokenizer } from '../train/helpers';

/** `n` training and `n / 2` validation rows of the toy sentiment data, labelled neg / pos. */
export function sentimentRunData(n: number): RunData {
  const rows = (k: number, seed: number) => sentimentExamples(k, seed).map((e) => ({ text: e.text, label: e.label ? 'pos' : 'neg' }));
  return { train: rows(n, 1), validation: rows(n / 2, 2), labels: ['neg', 'pos'], task: 'classification' };
}

/** A tiny BERT with random weights (seed 4) and the word tokenizer. */
export const openTinyBert = () => ({ encoder: createBert(TINY, randomBertParams(bertConfig(TINY), 4)), tokenizer: wordTokenizer() });

/** The head's (`head`) or the encoder's values, by name. */
export const snapshot = (vars: Map<string, tf.Variable>, head: boolean) =>
  new Map([...vars].filter(([n]) => isHeadParamName(n) === head).map(([n, v]) => [n, Float32Array.from(v.dataSync())]));

export const same = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
  [...a].every(([n, x]) => x.every((v, i) => v === b.get(n)![i]));

/** Every event a phase or run yields, in order. */
export async function events(gen: AsyncGenerator<RunEvent, unknown>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for (let s = await gen.next(); !s.done; s = await gen.next()) out.push(s.value);
  return out;
}

export const statuses = (ev: RunEvent[]) => ev.flatMap((e) => (e.type === 'status' ? [e.message] : []));
