// The Data screen's engine side on real IndexedDB semantics (fake-indexeddb): preview -> import -> report -> cleaning,
// and a malformed file that stores nothing. Commands go through the same functions the worker calls.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import * as data from '@/lib/session/datasets';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';

let db: StudioDb;
let events: EngineEvent[];
const host: SessionHost = { post: (ev) => void events.push(ev) };
const result = <T extends EngineEvent['type']>(type: T) => events.find((e) => e.type === type) as Extract<EngineEvent, { type: T }>;

const rows = [
  ['great product, works well', 'pos'],
  ['terrible, broke after a day', 'neg'],
  ['great product, works well', 'pos'],
  ['  love it  ', 'pos'],
  ['awful support', 'neg'],
  ['Great product works well!', 'neg'],
  ...Array.from({ length: 40 }, (_, i) => [`review number ${i} is ${i % 2 ? 'fine' : 'bad'}`, i % 2 ? 'pos' : 'neg']),
];
const csv = 'review,sentiment\n' + rows.map(([t, l]) => `"${t}",${l}`).join('\n') + '\n';
const file = (text: string, name = 'reviews.csv') => new File([text], name, { type: 'text/csv' });

beforeEach(() => {
  db = openStudioDb({ name: `t-${Math.random()}`, indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  events = [];
});

describe('dataset session', () => {
  it('previews a file with its columns, first rows and a suggested mapping', async () => {
    await data.preview(host, { type: 'dataset-preview', requestId: 'p1', file: file(csv), name: 'reviews.csv' });
    const p = result('dataset-preview-result').preview;
    expect(p.columns).toEqual(['review', 'sentiment']);
    expect(p.rowCount).toBe(rows.length);
    expect(p.rows[1]).toEqual(['terrible, broke after a day', 'neg']);
    expect(p.suggested.text).toBe('review');
    expect(p.suggested.label).toEqual(['sentiment']);
    expect(p.format).toMatch(/^CSV/);
  });

  it('reads the first row as the person chose, and imports the table that preview showed', async () => {
    const f = file(csv);
    await data.preview(host, { type: 'dataset-preview', requestId: 'p1', file: f, name: 'reviews.csv' });
    expect(result('dataset-preview-result').preview).toMatchObject({ hasHeader: true, headerChoice: true });
    events = [];
    await data.preview(host, { type: 'dataset-preview', requestId: 'p2', file: f, name: 'reviews.csv', hasHeader: false });
    const p = result('dataset-preview-result').preview;
    expect([p.hasHeader, p.columns, p.rowCount, p.rows[0]]).toEqual([
      false,
      ['column 1', 'column 2'],
      rows.length + 1,
      ['review', 'sentiment'],
    ]);
    events = [];
    const split = { validation: 0.2, test: 0.1, seed: 3, useSplitColumn: false };
    await data.importDataset(host, {
      type: 'dataset-import',
      requestId: 'i1',
      file: f,
      name: 'reviews.csv',
      mapping: p.suggested,
      split,
      hasHeader: false,
    });
    expect(result('dataset-imported').rows).toBe(rows.length + 1);
    // a JSON file names its fields: no choice to offer
    events = [];
    await data.preview(host, {
      type: 'dataset-preview',
      requestId: 'p3',
      file: file('[{"text":"a","label":"x"},{"text":"b","label":"y"}]', 'd.json'),
      name: 'd.json',
    });
    expect(result('dataset-preview-result').preview.headerChoice).toBe(false);
  });

  it('imports with progress, keeps the split settings, and reports duplicates, conflicts and split sizes', async () => {
    const f = file(csv);
    await data.preview(host, { type: 'dataset-preview', requestId: 'p1', file: f, name: 'reviews.csv' });
    const mapping = result('dataset-preview-result').preview.suggested;
    events = [];
    await data.importDataset(host, {
      type: 'dataset-import',
      requestId: 'i1',
      file: f,
      name: 'reviews.csv',
      mapping,
      split: { validation: 0.2, test: 0.1, seed: 3, useSplitColumn: false },
    });
    const imported = result('dataset-imported');
    expect(imported.rows).toBe(rows.length);
    expect(events.some((e) => e.type === 'progress' && e.progress.requestId === 'i1')).toBe(true);
    expect(await db.datasets.count()).toBe(1);

    events = [];
    await data.report(host, { type: 'dataset-report', requestId: 'r1', datasetId: imported.datasetId, maxLength: 64 });
    const r = result('dataset-report-result').report;
    expect(r.rows).toBe(rows.length);
    expect(r.splits).toEqual({ train: 32, validation: 9, test: 5 });
    expect(r.exactDuplicates).toBe(1);
    expect(r.conflicts).toBe(3); // "great product, works well" x2 (pos) and "Great product works well!" (neg)
    expect(r.labels.map((l) => l.label).sort()).toEqual(['neg', 'pos']);
    expect(r.cleaning.find((c) => c.action === 'drop-duplicates')?.rows).toBe(1);
    expect(r.cleaning.find((c) => c.action === 'trim')?.rows).toBe(1);
  });

  it('cleans into a new version that keeps the original rows and the split settings', async () => {
    const f = file(csv);
    await data.preview(host, { type: 'dataset-preview', requestId: 'p1', file: f, name: 'reviews.csv' });
    const mapping = result('dataset-preview-result').preview.suggested;
    await data.importDataset(host, {
      type: 'dataset-import',
      requestId: 'i1',
      file: f,
      name: 'reviews.csv',
      mapping,
      split: data.DEFAULT_SPLIT,
    });
    const id = result('dataset-imported').datasetId;
    events = [];
    await data.clean(host, { type: 'dataset-clean', requestId: 'c1', datasetId: id, actions: ['drop-duplicates', 'trim'], apply: true });
    const c = result('dataset-clean-result');
    expect(c.changes).toEqual([
      { action: 'drop-duplicates', rows: 1 },
      { action: 'trim', rows: 1 },
    ]);
    expect(c.datasetId).not.toBe(id);
    const v = await db.datasets.get(c.datasetId);
    expect(v?.rowCount).toBe(rows.length - 1);
    expect((await db.datasets.get(id))?.rowCount).toBe(rows.length);
    expect(await data.splitSettingsOf(db, c.datasetId)).toEqual(data.DEFAULT_SPLIT);
  });

  it('rejects a malformed file with its row number and stores nothing', async () => {
    const bad = 'text,label\n"ok",a\n"also ok",b\n"never closed,a\nlast,b\n';
    await expect(
      data.preview(host, { type: 'dataset-preview', requestId: 'p1', file: file(bad, 'bad.csv'), name: 'bad.csv' }),
    ).rejects.toMatchObject({ where: { file: 'bad.csv', row: 4 } });
    expect(await db.datasets.count()).toBe(0);
  });

  it('deletes a dataset with its derived versions', async () => {
    const f = file(csv);
    await data.preview(host, { type: 'dataset-preview', requestId: 'p1', file: f, name: 'reviews.csv' });
    await data.importDataset(host, {
      type: 'dataset-import',
      requestId: 'i1',
      file: f,
      name: 'reviews.csv',
      mapping: result('dataset-preview-result').preview.suggested,
      split: data.DEFAULT_SPLIT,
    });
    const id = result('dataset-imported').datasetId;
    await data.clean(host, { type: 'dataset-clean', requestId: 'c1', datasetId: id, actions: ['trim'], apply: true });
    await data.remove(host, { type: 'dataset-delete', requestId: 'd1', datasetId: id });
    expect(await db.datasets.count()).toBe(0);
    expect(await db.rowChunks.count()).toBe(0);
  });
});
