// Shared by the training tests: a tiny random BERT task model (real encoder, real head), a word-hash tokenizer, and a
// small synthetic sentiment set whose labels follow from its words (so a model can learn it in a few steps).
import { bertConfig, createBert, randomBertParams } from '@/lib/models/bert';
import { createTaskModel } from '@/lib/models/task-model';
import type { Encoding, FineTuneMode, Task, TaskModel, TextTokenizer } from '@/lib/models/types';
import type { EncodedExample } from '@/lib/train/encode';
import type { TrainEvent } from '@/lib/train/events';
import type { TrainConfig } from '@/lib/train/config';
import { afterEach } from 'vitest';

export const TINY = bertConfig({
  vocab_size: 64,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 64,
});

export function wordTokenizer(vocab = TINY.vocab_size, maxLen = 64): TextTokenizer {
  const id = (w: string) => 5 + ([...w].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % (vocab - 5));
  return {
    kind: 'hf',
    vocabSize: vocab,
    padId: 0,
    modelMaxLength: maxLen,
    encode(text: string, pair?: string, opts?: { maxLength?: number }): Encoding {
      const ids = [1, ...text.split(/\s+/).filter(Boolean).map(id), 2];
      if (pair !== undefined) ids.push(...pair.split(/\s+/).filter(Boolean).map(id), 2);
      const max = opts?.maxLength ?? maxLen;
      const cut = ids.length > max ? [...ids.slice(0, max - 1), 2] : ids;
      return { ids: cut, typeIds: cut.map(() => 0) };
    },
    encodeWords(words: string[]): Encoding {
      return { ids: [1, ...words.map(id), 2], wordIds: [null, ...words.map((_, i) => i), null] };
    },
    files: () => ({}),
  };
}

/** A tiny random BERT + head. `dropout: false` turns every dropout off (for exact gradient comparisons). */
export function tinyModel(
  task: Task = 'classification',
  labels = ['neg', 'pos'],
  mode: FineTuneMode = { kind: 'full' },
  seed = 3,
  dropout = true,
): TaskModel {
  const cfg = dropout ? TINY : { ...TINY, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
  const encoder = createBert(cfg, randomBertParams(cfg, seed));
  return createTaskModel({
    encoder,
    tokenizer: wordTokenizer(),
    task,
    labels: task === 'regression' ? [] : labels,
    mode,
    seed,
    ...(dropout ? {} : { classifierDropout: 0 }),
  });
}

const POS = ['good', 'great', 'fine', 'lovely', 'superb'];
const NEG = ['bad', 'awful', 'poor', 'dull', 'boring'];
const FILL = ['the', 'movie', 'was', 'plot', 'and', 'a', 'really', 'quite', 'film', 'story'];

/** n examples; label 1 when the sentence holds a positive word. Lengths vary (3..14 words) to exercise padding. */
export function sentimentExamples(n: number, seed = 1): { text: string; label: number }[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  return Array.from({ length: n }, () => {
    const label = rnd() < 0.5 ? 0 : 1;
    const len = 2 + Math.floor(rnd() * 12);
    const words = Array.from({ length: len }, () => pick(FILL));
    words.splice(Math.floor(rnd() * len), 0, pick(label ? POS : NEG));
    return { text: words.join(' '), label };
  });
}

export function encodedSentiment(n: number, seed = 1): EncodedExample[] {
  const tok = wordTokenizer();
  return sentimentExamples(n, seed).map((e) => ({ ...tok.encode(e.text), label: e.label }));
}

export async function collect(gen: AsyncGenerator<TrainEvent>, onEvent?: (e: TrainEvent) => void): Promise<TrainEvent[]> {
  const out: TrainEvent[] = [];
  for await (const e of gen) {
    out.push(e);
    onEvent?.(e);
  }
  return out;
}

export function stepLosses(events: TrainEvent[]): number[] {
  return events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
}

/** The events of one type, typed. */
export function of<T extends TrainEvent['type']>(events: TrainEvent[], type: T): Extract<TrainEvent, { type: T }>[] {
  return events.filter((e) => e.type === type) as Extract<TrainEvent, { type: T }>[];
}

/** A `track(model)` that disposes every tracked model after each test of the calling file. */
export function modelTracker(): (m: TaskModel) => TaskModel {
  const models: TaskModel[] = [];
  afterEach(() => models.splice(0).forEach((m) => m.dispose()));
  return (m) => (models.push(m), m);
}

/** The loop tests' data and config: 32 training and 16 validation sentences, 3 epochs of 4 steps. */
export const loopTrain = encodedSentiment(32, 1);
export const loopValidation = encodedSentiment(16, 2);
export const loopConfig: TrainConfig = {
  epochs: 3,
  batchSize: 8,
  learningRate: 5e-3,
  warmupSteps: 2,
  schedule: 'linear',
  seed: 11,
  maxGradNorm: 0.5,
};

export function errorOf(events: TrainEvent[]): string | undefined {
  const e = events.find((x) => x.type === 'error');
  return e && e.type === 'error' ? e.error.message : undefined;
}
