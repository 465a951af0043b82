// Studio scoring on the host's threads (lib/session/feature-threads.ts): from THREADED_ROWS rows on, the encoder's
// features come from a pool of real worker threads and the evaluation equals one thread's; below it, or without
// threads, everything stays in one thread.
import { beforeAll, describe, expect, it } from 'vitest';
import { startNodeWorker } from '@/cli/threads';
import type { SessionHost } from '@/lib/session/context';
import { THREADED_ROWS, withFeatureThreads } from '@/lib/session/feature-threads';
import { evaluateModel } from '@/lib/train/evaluate';
import { useWasm } from '../../helpers/tf';
import { encodedSentiment, tinyModel } from '../train/helpers';

beforeAll(useWasm);

describe('withFeatureThreads', () => {
  it('scores on a pool of threads from THREADED_ROWS rows, with the metrics of one thread', async () => {
    const model = tinyModel('classification', ['neg', 'pos'], { kind: 'full' }, 2);
    const host: SessionHost = { post: () => undefined, threads: { threads: 2, start: startNodeWorker, backend: { preference: 'wasm' } } };
    const examples = encodedSentiment(THREADED_ROWS, 9);
    const one = await evaluateModel(model, examples, { batchSize: 32 });
    let pooled = false;
    const many = await withFeatureThreads(host, model, examples.length, (extract) => {
      pooled = Boolean(extract);
      return evaluateModel(model, examples, { batchSize: 32, extract });
    });
    expect(pooled).toBe(true);
    expect(many.result.count).toBe(THREADED_ROWS);
    for (const [k, v] of Object.entries(one.result.scalars)) expect(Math.abs(many.result.scalars[k] - v), k).toBeLessThan(1e-6);
    // a few rows, or no threads: one thread
    await withFeatureThreads(host, model, 10, async (extract) => expect(extract).toBeUndefined());
    await withFeatureThreads({ post: () => undefined }, model, THREADED_ROWS, async (extract) => expect(extract).toBeUndefined());
    model.dispose();
  });
});
