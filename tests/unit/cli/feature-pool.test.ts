// The CLI's head-only feature pool (worker threads, each with its own wasm backend and a copy of the model) against
// in-thread extraction: the same rows, in the examples' order, for sequence and per-token features.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '@/tests/helpers/tf';
import { createNodeFeaturePool as createFeaturePool, type FeaturePool } from '@/cli/threads';
import { localFeatureExtractor } from '@/lib/train/features';
import type { TaskModel } from '@/lib/models/types';
import { encodedSentiment, tinyModel } from '../train/helpers';

beforeAll(useWasm);

describe('feature pool (worker threads)', () => {
  let model: TaskModel;
  let pool: FeaturePool;
  const progress: number[] = [];
  beforeAll(async () => {
    model = tinyModel('classification', ['neg', 'pos'], { kind: 'head' });
    pool = await createFeaturePool(model, 3, (done, total) => progress.push(done / total));
  }, 120_000);
  afterAll(async () => {
    await pool?.close();
    model?.dispose();
  });

  it("gives exactly the rows in-thread extraction gives, in the examples' order, with progress up to all of them", async () => {
    expect(pool.threads).toBe(3);
    const examples = encodedSentiment(45, 7);
    const pad = { padId: model.tokenizer.padId, multiple: 4 };
    const want = await localFeatureExtractor(model)(examples, 4, pad);
    const got = await pool.extract(examples, 4, pad);
    expect(got.width).toBe(want.width);
    expect(got.perToken).toBe(false);
    expect(got.rows).toHaveLength(45);
    got.rows.forEach((r, i) => expect(Array.from(r), `example ${i}`).toEqual(Array.from(want.rows[i])));
    expect(progress.at(-1)).toBe(1);
    // a second request on the same workers
    const again = await pool.extract(examples.slice(0, 5), 2, pad);
    again.rows.forEach((r, i) => expect(Array.from(r)).toEqual(Array.from(want.rows[i])));
  }, 120_000);

  it("per-token features (token classification) come back cut to each example's own length", async () => {
    const tagger = tinyModel('token-classification', ['O', 'B-X', 'I-X'], { kind: 'head' });
    const two = await createFeaturePool(tagger, 2);
    try {
      const examples = encodedSentiment(9, 3);
      const pad = { padId: tagger.tokenizer.padId, multiple: 4 };
      const want = await localFeatureExtractor(tagger)(examples, 2, pad);
      const got = await two.extract(examples, 2, pad);
      expect(got.perToken).toBe(true);
      got.rows.forEach((r, i) => {
        expect(r.length).toBe(examples[i].ids.length * got.width);
        expect(Array.from(r)).toEqual(Array.from(want.rows[i]));
      });
    } finally {
      await two.close();
      tagger.dispose();
    }
  }, 120_000);
});
