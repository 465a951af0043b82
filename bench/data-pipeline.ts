// The benchmarked work, shared by Node and the browser worker: import (parse + map), report, clean, split.
import { applyCleanAll } from '@/lib/data/clean';
import { importData } from '@/lib/data/import';
import { usableRecords } from '@/lib/data/labeled';
import { analyse } from '@/lib/data/report';
import { assignSplits } from '@/lib/data/split';
import type { ParsedTable } from '@/lib/data/types';

export interface PipelineTimes {
  importMs: number;
  reportMs: number;
  cleanMs: number;
  splitMs: number;
  totalMs: number;
  rows: number;
  kept: number;
  duplicates: number;
  conflicts: number;
  split: [number, number, number];
}

export function runPipeline(bytes: Uint8Array, onProgress?: (done: number, total: number) => void): PipelineTimes & { table: ParsedTable } {
  const t0 = performance.now();
  const imp = importData(bytes, { fileName: 'bench.csv', onProgress });
  const t1 = performance.now();
  const report = analyse(imp.data.records, { lengthOf: (t) => t.split(' ').length, maxLength: 32, sample: 5000 });
  const t2 = performance.now();
  const cleaned = applyCleanAll(imp.data.records, [
    { type: 'trim' },
    { type: 'drop-empty' },
    { type: 'drop-duplicates' },
    { type: 'drop-conflicts', mode: 'keep-majority' },
  ]).records;
  const t3 = performance.now();
  const codes = assignSplits(usableRecords(cleaned), { mode: 'ratio', ratios: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 1 });
  const t4 = performance.now();
  const split: [number, number, number] = [0, 0, 0];
  for (const c of codes) split[c]++;
  return {
    importMs: t1 - t0,
    reportMs: t2 - t1,
    cleanMs: t3 - t2,
    splitMs: t4 - t3,
    totalMs: t4 - t0,
    table: imp.table,
    rows: imp.data.records.length,
    kept: cleaned.length,
    duplicates: report.exactDuplicates.count,
    conflicts: report.conflicts.count,
    split,
  };
}
