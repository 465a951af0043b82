// Inference helpers for the playground and the CLI: probabilities (or values) per example, in input order.
import type { TaskModel } from '@/lib/models/types';
import { makeTensorBatch, padOptionsFor } from './batching';
import type { EncodedExample } from './encode';
import { collectOutputs, probabilitiesOf, type ExampleOutput } from './evaluate';
import { FeatureCache, type FeatureExtractor } from './features';

export interface PredictOptions {
  batchSize?: number;
  /** default: the backend's (`defaultPadMultiple`) */
  padMultiple?: number;
  /** the encoder's features from this extractor (a thread pool); the head runs here */
  extract?: FeatureExtractor;
}

/**
 * classification: softmax probabilities [C]; multilabel: sigmoid per label [C]; regression: [value];
 * token classification: softmax per token [tokens][C].
 */
export async function predict(
  model: TaskModel,
  examples: Pick<EncodedExample, 'ids' | 'typeIds'>[],
  opts: PredictOptions = {},
): Promise<ExampleOutput[]> {
  const enc = examples.map((e) => ({ ...e, label: 0 }));
  const pad = padOptionsFor(model, opts.padMultiple);
  const batchSize = opts.batchSize ?? 32;
  const cache = opts.extract ? await FeatureCache.build(model, [enc], batchSize, pad, undefined, opts.extract) : null;
  try {
    const logits = await collectOutputs(enc, batchSize, (idx) =>
      cache
        ? model.headForward(cache.batch(0, idx, pad).features, { training: false })
        : model.forward(makeTensorBatch(enc, idx, pad), { training: false }),
    );
    return logits.map((o) => probabilitiesOf(model.task, o));
  } finally {
    cache?.dispose();
  }
}

/** Convenience for one text: tokenizes with the model's tokenizer. */
export async function predictText(model: TaskModel, text: string, pair?: string, maxLength?: number): Promise<ExampleOutput> {
  const enc = model.tokenizer.encode(text, pair, { maxLength: maxLength ?? model.tokenizer.modelMaxLength });
  return (await predict(model, [enc]))[0];
}
