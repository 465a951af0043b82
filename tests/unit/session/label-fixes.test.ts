// Label fixes from Evaluate: marked rows become a new dataset version (relabelled or dropped rows) and the original
// stays, on real IndexedDB semantics (fake-indexeddb), through the functions the worker calls.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '@/lib/protocol';
import { openStudioDb, type StudioDb } from '@/lib/store/db';
import { loadRecords } from '@/lib/session/stored-data';
import * as data from '@/lib/session/datasets';
import { useDatabase } from '@/lib/session/state';
import type { SessionHost } from '@/lib/session/context';

let db: StudioDb;
let events: EngineEvent[];
const host: SessionHost = { post: (ev) => void events.push(ev) };
const result = <T extends EngineEvent['type']>(type: T) => events.find((e) => e.type === type) as Extract<EngineEvent, { type: T }>;
const csv = 'text,label\n' + Array.from({ length: 20 }, (_, i) => `"review ${i}",${i % 2 ? 'pos' : 'neg'}`).join('\n') + '\n';

beforeEach(() => {
  db = openStudioDb({ name: `fix-${Math.random()}`, indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  events = [];
});

async function imported(): Promise<string> {
  const file = new File([csv], 'reviews.csv', { type: 'text/csv' });
  await data.preview(host, { type: 'dataset-preview', requestId: 'p', file, name: 'reviews.csv' });
  const mapping = result('dataset-preview-result').preview.suggested;
  await data.importDataset(host, {
    type: 'dataset-import',
    requestId: 'i',
    file,
    name: 'reviews.csv',
    mapping,
    split: { validation: 0.2, test: 0.2, seed: 1, useSplitColumn: false },
  });
  return result('dataset-imported').datasetId;
}

describe('label fixes', () => {
  it('write a new version with the rows relabelled and dropped; the original keeps its labels', async () => {
    const id = await imported();
    const before = (await loadRecords(db, id)).records;
    const [a, b, c] = [before[0], before[3], before[6]];
    expect([a.label, b.label, c.label]).toEqual(['neg', 'pos', 'neg']);
    await data.fix(host, {
      type: 'dataset-fix',
      requestId: 'f',
      datasetId: id,
      fixes: [
        { row: a.row, label: 'pos' },
        { row: b.row, label: 'neg' },
        { row: c.row, drop: true },
      ],
    });
    const fixed = result('dataset-fixed');
    expect(fixed).toMatchObject({ relabelled: 2, dropped: 1, name: 'reviews (2 label fixes, 1 dropped)' });
    const after = (await loadRecords(db, fixed.datasetId)).records;
    expect(after).toHaveLength(19);
    expect(after.find((r) => r.row === a.row)?.label).toBe('pos');
    expect(after.find((r) => r.row === b.row)?.label).toBe('neg');
    expect(after.some((r) => r.row === c.row)).toBe(false);
    expect((await loadRecords(db, id)).records.map((r) => r.label)).toEqual(before.map((r) => r.label));
  });

  it('refuse a label the dataset does not have, naming the row, and nothing is stored', async () => {
    const id = await imported();
    const count = await db.datasets.count();
    await expect(
      data.fix(host, { type: 'dataset-fix', requestId: 'g', datasetId: id, fixes: [{ row: 2, label: 'maybe' }] }),
    ).rejects.toThrow(/"maybe" is not a label/);
    await expect(data.fix(host, { type: 'dataset-fix', requestId: 'h', datasetId: id, fixes: [] })).rejects.toThrow(/no fixes/);
    expect(await db.datasets.count()).toBe(count);
  });
});
