// Browser side of the data benchmark: runs in a Worker, generates the CSV, runs the pipeline, stores the import in
// IndexedDB, and posts progress and timings to the page.
import { generateCsv } from './data-gen';
import { runPipeline } from './data-pipeline';
import { openStudioDb } from '@/lib/store/db';
import { saveImport } from '@/lib/store/db-datasets';

const post = (m: unknown) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

self.onmessage = async (ev: MessageEvent<{ rows: number }>) => {
  const g0 = performance.now();
  const bytes = new TextEncoder().encode(generateCsv(ev.data.rows));
  post({ type: 'generated', bytes: bytes.length, ms: performance.now() - g0 });
  const { table, ...times } = runPipeline(bytes, (done, total) => post({ type: 'progress', done, total }));
  const db = openStudioDb({ name: 'bench' });
  const p0 = performance.now();
  await saveImport(db, { name: 'bench', table, fileName: 'bench.csv' });
  const storeMs = performance.now() - p0;
  await db.delete();
  post({ type: 'done', times, storeMs });
};
