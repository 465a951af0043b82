// A max length over the model's limit (an explicit --max-length, or a form kept from a model with longer inputs) is
// cut to the limit, and the run says so before it trains: the texts are not as long as asked.
import { beforeAll, describe, expect, it } from 'vitest';
import { completeConfig } from '@/lib/run/config';
import { prepareRun, trainRun } from '@/lib/run/train-run';
import { useWasm } from '@/tests/helpers/tf';
import { events, openTinyBert, sentimentRunData, statuses } from './helpers';

beforeAll(useWasm);

describe('max length over the model limit', () => {
  it('is cut to the limit, with a status line naming both; at the limit there is no such line', async () => {
    const limit = openTinyBert().tokenizer.modelMaxLength;
    const data = sentimentRunData(16);
    const lines = async (maxLength: number) => {
      const c = completeConfig({ mode: 'head', epochs: 1, batchSize: 8, maxLength, seed: 1, earlyStoppingPatience: 0 });
      const p = prepareRun(c, data, openTinyBert());
      expect(p.maxLength).toBe(Math.min(maxLength, limit));
      try {
        return statuses(await events(trainRun(c, p)));
      } finally {
        p.model.dispose();
      }
    };
    const over = await lines(limit + 100);
    expect(over[0]).toBe(`max length ${limit + 100} is over the model's limit of ${limit} tokens: texts are cut at ${limit}`);
    expect((await lines(limit)).some((l) => l.includes("model's limit"))).toBe(false);
  });
});
