// Head first, then the encoder (LP-FT): the head trains alone on cached features, the encoder is untouched by that
// phase, the fine-tuning starts from the trained head, and nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledUseLite } from '@/cli/models';
import { completeConfig, type RunConfig } from '@/lib/run/config';
import { estimateRun } from '@/lib/run/estimate';
import { headFirstConfig, trainHeadFirst } from '@/lib/run/head-first';
import { prepareRun, trainRun } from '@/lib/run/train-run';
import { useWasm } from '@/tests/helpers/tf';
import { events, openTinyBert, same, sentimentRunData, snapshot } from './helpers';

beforeAll(useWasm);

const data = sentimentRunData(48);
const config: RunConfig = completeConfig({
  mode: 'full',
  epochs: 1,
  batchSize: 8,
  learningRate: 1e-3,
  headLrMultiplier: 20,
  headFirstEpochs: 4,
  maxLength: 32,
  seed: 5,
  earlyStoppingPatience: 0,
});
const open = openTinyBert;

describe('head first (LP-FT)', () => {
  it("the phase's settings: the head's own rate, the set epochs, no average or early stopping", () => {
    expect(headFirstConfig({ ...config, emaDecay: 0.99, earlyStoppingPatience: 3 })).toMatchObject({
      mode: 'head',
      epochs: 4,
      learningRate: 0.02,
      headLrMultiplier: 1,
      emaDecay: 0,
      earlyStoppingPatience: 0,
    });
  });

  it('trains the head alone: the encoder keeps its weights, the head learns the data, no tensor is left behind', async () => {
    // USE-Lite's sentence features separate the toy sentiment sentences; a random tiny BERT's [CLS] state does not
    const c = { ...config, learningRate: 1e-3, headLrMultiplier: 10, headFirstEpochs: 8 };
    const p = prepareRun(c, data, await loadBundledUseLite());
    try {
      const encoder0 = snapshot(p.model.variables(), false);
      const head0 = snapshot(p.model.variables(), true);
      const before = tf.memory().numTensors;
      const ev = await events(trainHeadFirst(c, p, {}));
      expect(tf.memory().numTensors).toBe(before);
      const lines = ev.map((e) => (e.type === 'status' ? e.message : e.type));
      expect(lines).toEqual([
        expect.stringMatching(/^training the new head first: 8 epochs on the frozen encoder's features at learning rate 0\.01,/),
        expect.stringMatching(/^head trained first \(validation macroF1 \d\.\d{4}\); now fine-tuning the encoder$/),
      ]);
      expect(Number(/macroF1 (\S+)\)/.exec(lines[1])![1])).toBeGreaterThan(0.8);
      expect(same(encoder0, snapshot(p.model.variables(), false))).toBe(true);
      expect(same(head0, snapshot(p.model.variables(), true))).toBe(false);
    } finally {
      p.model.dispose();
    }
  });

  it('a run with it: the head-first phase, then the fine-tuning steps; resumed runs and head-only runs skip it', async () => {
    const p = prepareRun(config, data, open());
    try {
      const ev = await events(trainRun(config, p));
      const first = ev.findIndex((e) => e.type === 'status' && /^training the new head first/.test(e.message));
      const start = ev.findIndex((e) => e.type === 'start');
      expect(first).toBeGreaterThanOrEqual(0);
      expect(start).toBeGreaterThan(first);
      expect(ev.filter((e) => e.type === 'step')).toHaveLength(6);
      expect(ev.at(-1)).toMatchObject({ type: 'done', reason: 'completed' });
    } finally {
      p.model.dispose();
    }
    const head = { ...config, mode: 'head' as const };
    const q = prepareRun(head, data, open());
    try {
      const ev = await events(trainRun(head, q));
      expect(ev.some((e) => e.type === 'status' && /head first/.test(e.message))).toBe(false);
    } finally {
      q.model.dispose();
    }
  });

  it('a stop during the head-first phase ends the run as stopped, without fine-tuning', async () => {
    const p = prepareRun(config, data, open());
    try {
      const ctl = new AbortController();
      ctl.abort();
      const ev = await events(trainRun(config, p, { signal: ctl.signal }));
      expect(ev.some((e) => e.type === 'status' && /^head trained first/.test(e.message))).toBe(false);
      expect(ev.filter((e) => e.type === 'step')).toHaveLength(0);
      expect(ev.at(-1)).toMatchObject({ type: 'done', reason: 'aborted' });
    } finally {
      p.model.dispose();
    }
  });

  it("the estimate counts the phase's features and does not run it", async () => {
    const p = prepareRun(config, data, open());
    try {
      const e = await estimateRun(config, p);
      expect(e.featureSec).toBeGreaterThan(0);
      expect(e.basis).toMatch(/the head-first phase's features/);
      const off = await estimateRun({ ...config, headFirstEpochs: 0 }, p);
      expect(off.featureSec).toBeUndefined();
    } finally {
      p.model.dispose();
    }
  });
});
