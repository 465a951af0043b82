// The stored lists the UI shows (datasets and runs, newest first), watched here in the worker: one dexie live query
// over the session's database posts both lists whenever either table changes, whoever wrote (a command in this worker,
// another tab), so the page never opens IndexedDB itself.
import { liveQuery, type Subscription } from 'dexie';
import { toErrorInfo } from '../errors';
import type { Command } from '../protocol';
import type { DatasetRow, StudioDb } from '../store/db';
import type { SessionHost } from './context';
import { recordOfRow } from './records';
import { liveRuns, sessionDb } from './state';
import type { RunRecord, StoredDataset } from './types';

interface Lists {
  datasets: StoredDataset[];
  runs: RunRecord[];
}

interface Watch {
  db: StudioDb;
  host: SessionHost;
  sub?: Subscription;
  last?: Lists;
}

let current: Watch | null = null;

function storedDataset(d: DatasetRow): StoredDataset {
  return {
    id: d.id,
    name: d.name,
    rows: d.rowCount,
    labels: d.labels,
    bytes: d.parentId ? 0 : d.source.bytes,
    createdAt: d.createdAt,
    derived: d.parentId !== null,
  };
}

/** Both lists from one read transaction, so a run never arrives next to a dataset list from before its dataset. */
function readLists(db: StudioDb): Promise<Lists> {
  return db.transaction('r', db.datasets, db.runs, async () => {
    const datasets = await db.datasets.orderBy('createdAt').reverse().toArray();
    const runs = await db.runs.orderBy('createdAt').reverse().toArray();
    // a run the database calls active that this worker is not training was cut off (see recordOfRow)
    return { datasets: datasets.map(storedDataset), runs: runs.map((r) => recordOfRow(r, (id) => liveRuns.has(id))) };
  });
}

/** Starts the one live query of this session's database; a second watch (a page that lost its copy) gets the lists as
 *  they are now. A failed read is posted as an error no request awaits (the page shows a notice), and the query keeps
 *  watching for the next change. */
export function watch(host: SessionHost, _cmd: Extract<Command, { type: 'lists-watch' }>): void {
  const db = sessionDb();
  if (current?.db === db) {
    current.host = host;
    if (current.last) host.post({ type: 'lists', ...current.last });
    return;
  }
  current?.sub?.unsubscribe();
  const w: Watch = { db, host };
  current = w;
  w.sub = liveQuery(() => readLists(db)).subscribe({
    next: (lists) => {
      w.last = lists;
      w.host.post({ type: 'lists', ...lists });
    },
    error: (e) => w.host.post({ type: 'error', error: toErrorInfo(e) }),
  });
}
