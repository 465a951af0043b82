// Inference helpers for the playground and the CLI: probabilities (or values) per example, in input order.
import type { TaskModel } from '@/lib/models/types';
import { makeTensorBatch, padOptionsFor } from './batching';
import type { EncodedExample } from './encode';
import { collectOutputs, probabilitiesOf, type ExampleOutput } from './evaluate';
import { FeatureCache, type FeatureExtractor } from './features';
import { mergeParts } from './text-windows';

export interface PredictOptions {
  batchSize?: number;
  /** default: the backend's (`defaultPadMultiple`) */
  padMultiple?: number;
  /** the encoder's features from this extractor (a thread pool); the head runs here */
  extract?: FeatureExtractor;
}

/**
 * classification: softmax probabilities [C]; multilabel: sigmoid per label [C]; regression: [value];
 * token classification: softmax per token [tokens][C]. One per text: the windows of a long text (`part`) averaged.
 */
export async function predict(
  model: TaskModel,
  examples: Pick<EncodedExample, 'ids' | 'typeIds' | 'part'>[],
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
    // a long text's windows (./text-windows.ts encodeInputs): one output, their logits averaged
    return mergeParts(logits, enc).outputs.map((o) => probabilitiesOf(model.task, o));
  } finally {
    cache?.dispose();
  }
}
