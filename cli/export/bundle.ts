// `finetune export --format bundle`: a `finetune train --out` folder as a project bundle the studio imports, written by
// the studio's own code (lib/session) over an in-memory IndexedDB (fake-indexeddb): one dataset, the run's data with
// a stored split that gives the rows the CLI trained and validated on (--val-split: the same seeded ratio split; --eval
// or --test: the files as one table with a split column), and one completed run (the model's files, metrics.jsonl as
// the studio's metric records, the settings, the --test evaluation).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import { applyMapping } from '../../lib/data/mapping';
import { parseFile } from '../../lib/data/parse';
import type { ColumnMapping, ParsedTable, SplitName } from '../../lib/data/types';
import { taskModelFiles } from '../../lib/models/open';
import type { TaskModel } from '../../lib/models/types';
import type { EngineEvent } from '../../lib/protocol';
import type { ModelSpec, RunConfig } from '../../lib/run/config';
import { newId, openStudioDb, setSetting, type StudioDb } from '../../lib/store/db';
import { saveImport } from '../../lib/store/db-datasets';
import { DexieRunStore } from '../../lib/store/db-runs';
import type { TrainEvent } from '../../lib/train/events';
import { exportBundle } from '../../lib/session/bundle';
import type { SessionHost } from '../../lib/session/context';
import { evaluationKey } from '../../lib/session/inference';
import { isBetterEval, keptEval, metricRecordOf, type MetricRecord } from '../../lib/session/metric-records';
import type { RunMeta } from '../../lib/session/records';
import { useDatabase } from '../../lib/session/state';
import { importAndStore } from '../../lib/session/stored-data';
import type { EvalPoint, RunProgress, SplitSettings } from '../../lib/session/types';
import { num, str } from '../args';
import type { Cli } from '../context';
import { loadRunData } from '../train/inputs';
import type { TrainedFolder } from './from-folder';

const NEEDS_RUN = 'use --format hf for the model alone';

/** A data file the run trained on, as bytes; gone or unreadable is the person's to fix. */
async function readRunFile(path: string, option: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is gone' : (e as Error).message;
    throw new UserError(
      `the run's ${option} file cannot be read (${why}), and a project bundle holds the data the run trained on`,
      { file: path, option: '--model' },
      `put the file back where run.json says it was, or ${NEEDS_RUN}`,
    );
  }
}

/** The base model as the studio names it: the bundled USE-Lite, a Hub id, or a folder (picked again in the browser). */
function baseOf(model: string, args: TrainedFolder['args']): { spec: ModelSpec; label: string } {
  if (model === 'use-lite') return { spec: { kind: 'bundled' }, label: 'USE-Lite (bundled)' };
  if (isAbsolute(model) || model.startsWith('.') || existsSync(model)) {
    const name = basename(resolve(model));
    return { spec: { kind: 'folder', name }, label: name };
  }
  const revision = str(args, 'revision');
  const endpoint = str(args, 'hub-endpoint');
  return { spec: { kind: 'hub', id: model, ...(revision ? { revision } : {}), ...(endpoint ? { endpoint } : {}) }, label: model };
}

/** The column the split goes in: "split", or a name no file uses. */
function freeColumn(tables: ParsedTable[]): string {
  const taken = new Set(tables.flatMap((t) => t.columns));
  for (let i = 1; ; i++) if (!taken.has(i === 1 ? 'split' : `split_${i}`)) return i === 1 ? 'split' : `split_${i}`;
}

/** The files as one table (columns by name, in order of first use), with `column` holding each row's split. Row
 *  numbers go on from file to file, so a row keeps one number (label fixes name rows by it). */
function concatTables(parts: { table: ParsedTable; split: (rowNumber: number) => SplitName }[], column: string): ParsedTable {
  const columns = [...new Set(parts.flatMap((p) => p.table.columns)), column];
  const out: ParsedTable = { ...parts[0].table, columns, rows: [], rowNumbers: [], warnings: [], bytes: 0 };
  let offset = 0;
  for (const { table, split } of parts) {
    const at = columns.map((c) => table.columns.indexOf(c));
    table.rows.forEach((r, i) => {
      out.rows.push(at.map((j, k) => (k === columns.length - 1 ? split(table.rowNumbers[i]) : j < 0 ? '' : (r[j] ?? ''))));
      out.rowNumbers.push(table.rowNumbers[i] + offset);
    });
    out.warnings.push(...table.warnings.map((w) => ({ ...w, rows: w.rows.map((n) => n + offset) })));
    out.bytes += table.bytes;
    offset = Math.max(offset, ...out.rowNumbers.slice(-1));
  }
  return out;
}

/** The run's data as one stored dataset and the split settings that give the CLI's train/validation(/test) rows. */
async function storeData(db: StudioDb, trained: TrainedFolder, cli: Cli): Promise<{ id: string; name: string; rows: number }> {
  const args = trained.args;
  const seed = num(args, 'seed') ?? 42;
  const valSplit = num(args, 'val-split') ?? 0.1;
  const quiet: Cli = { ...cli, log: () => undefined };
  const mapping = (trained.mapping as ColumnMapping | undefined)?.task
    ? (trained.mapping as ColumnMapping)
    : (await loadRunData(args, quiet, seed, valSplit)).mapping;
  const dataPath = str(args, 'data')!;
  const evalPath = str(args, 'eval');
  const testPath = str(args, 'test');
  const fileName = basename(dataPath);
  const ratio: SplitSettings = { validation: valSplit, test: 0, seed, useSplitColumn: false };
  const column: SplitSettings = { validation: 0, test: 0, seed, useSplitColumn: true };
  if (!evalPath && !testPath) {
    // the studio's ratio split of the same rows with the same share and seed is the CLI's (tests/unit/cli/export-bundle)
    const { dataset } = await importAndStore(db, await readRunFile(dataPath, '--data'), { fileName, mapping });
    await setSetting(db, `split:${dataset.id}`, mapping.split ? column : ratio);
    return { id: dataset.id, name: dataset.name, rows: dataset.rowCount };
  }
  const files: { path: string; option: string; split: (row: number) => SplitName }[] = [
    { path: dataPath, option: '--data', split: (row) => (heldOut?.has(row) ? 'validation' : 'train') },
    ...(evalPath ? [{ path: evalPath, option: '--eval', split: () => 'validation' as const }] : []),
    ...(testPath ? [{ path: testPath, option: '--test', split: () => 'test' as const }] : []),
  ];
  const bytes: Uint8Array[] = [];
  for (const f of files) bytes.push(await readRunFile(f.path, f.option));
  // without --eval the CLI held out rows of --data: its own split, by row, goes into the column
  const heldOut = evalPath ? null : new Set((await loadRunData(args, quiet, seed, valSplit)).validation.map((e) => e.row));
  const parts = files.map((f, i) => ({ table: parseFile(bytes[i], { fileName: f.path }), split: f.split }));
  const splitColumn = freeColumn(parts.map((p) => p.table));
  const table = concatTables(parts, splitColumn);
  const m: ColumnMapping = { ...mapping, split: splitColumn };
  const mapped = applyMapping(table, m, { file: fileName });
  const dataset = await saveImport(db, {
    name: fileName.replace(/\.[^.]+$/, ''),
    table,
    fileName,
    mapping: m,
    labels: mapped.labels,
    warnings: [...table.warnings, ...mapped.warnings],
  });
  await setSetting(db, `split:${dataset.id}`, column);
  return { id: dataset.id, name: dataset.name, rows: dataset.rowCount };
}

/** metrics.jsonl (every engine event of the run) as the studio's metric records, with the figures the run row keeps. */
async function readMetrics(dir: string, cli: Cli) {
  let text = '';
  try {
    text = await readFile(join(dir, 'metrics.jsonl'), 'utf8');
  } catch {
    cli.log(`${dir} has no metrics.jsonl: the run goes into the bundle without its curves`);
  }
  const records: MetricRecord[] = [];
  let start: Extract<TrainEvent, { type: 'start' }> | undefined;
  let lastStep: Extract<TrainEvent, { type: 'step' }> | undefined;
  let best: EvalPoint | undefined;
  let done: Extract<TrainEvent, { type: 'done' }> | undefined;
  const evals: EvalPoint[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let ev: TrainEvent;
    try {
      ev = JSON.parse(line) as TrainEvent;
    } catch {
      cli.log(`metrics.jsonl line ${i + 1} is not JSON; left out`);
      continue;
    }
    if (ev.type === 'start') start = ev;
    if (ev.type === 'step') lastStep = ev;
    if (ev.type === 'done') done = ev;
    const record = metricRecordOf(ev);
    if (!record) continue;
    records.push(record);
    if (record.kind === 'eval') {
      const { kind: _kind, ...e } = record;
      evals.push(e);
      if (isBetterEval(e, best)) best = e;
    }
  }
  // as the studio's own runs: the figures of the weights the run kept
  return { records, start, lastStep, best: done ? keptEval(done, evals, best) : best };
}

/** The model's files as the studio stores an imported model: the folder's own, or written from the model if gone. */
async function modelFiles(dir: string, model: TaskModel): Promise<Record<string, Uint8Array>> {
  const names = ['config.json', 'model.safetensors', ...Object.keys(model.tokenizer.files())];
  const out: Record<string, Uint8Array> = {};
  let written: Record<string, string | Uint8Array> | null = null;
  for (const name of names) {
    try {
      out[name] = new Uint8Array(await readFile(join(dir, name)));
    } catch {
      written ??= await taskModelFiles(model);
      const c = written[name];
      out[name] = typeof c === 'string' ? new TextEncoder().encode(c) : c;
    }
  }
  return out;
}

/** The run as a completed, imported run of the dataset: its row, model files, metric records and test evaluation. */
async function storeRun(db: StudioDb, dir: string, model: TaskModel, trained: TrainedFolder, data: { id: string; name: string }, cli: Cli) {
  const runId = newId('run');
  const name = basename(resolve(dir));
  const base = baseOf(trained.model, trained.args);
  const { records, start, lastStep, best } = await readMetrics(dir, cli);
  const result = trained.result as (TrainedFolder['result'] & { reason?: string; steps?: number; epochs?: number }) | undefined;
  const run: RunConfig = { ...trained.run, name, datasetId: data.id, model: base.spec };
  const steps = result?.steps ?? lastStep?.step ?? 0;
  const progress: RunProgress = {
    epoch: (lastStep?.epoch ?? 0) + 1,
    epochs: start?.epochs ?? result?.epochs ?? run.epochs,
    step: steps,
    totalSteps: Math.max(steps, start?.totalSteps ?? 0),
    samplesPerSec: lastStep?.samplesPerSec ?? 0,
    etaSec: 0,
    elapsedSec: result?.trainSeconds ?? 0,
    lrMultiplier: 1,
  };
  const meta: RunMeta = {
    run,
    datasetName: data.name,
    modelLabel: base.label,
    labels: trained.labels ?? model.labels,
    progress,
    best,
    stopReason: result?.reason,
    backend: trained.backend,
    threads: trained.threads,
    imported: true,
  };
  const times = trained as { startedAt?: string; finishedAt?: string };
  const startedAt = Date.parse(times.startedAt ?? '') || Date.now();
  const finishedAt = Date.parse(times.finishedAt ?? '') || Date.now();
  await db.runs.add({
    id: runId,
    name,
    datasetId: data.id,
    config: meta,
    status: 'completed',
    createdAt: startedAt,
    updatedAt: finishedAt,
    startedAt,
    finishedAt,
  });
  await setSetting(db, `model-files:${runId}`, await modelFiles(dir, model));
  await new DexieRunStore(db).appendMetrics(runId, records);
  if (trained.evaluation?.split === 'test') await setSetting(db, evaluationKey(runId, 'test'), { ...trained.evaluation, runId });
  return { runId, metrics: records.length };
}

export async function bundleOfFolder(dir: string, model: TaskModel, trained: TrainedFolder | null, cli: Cli): Promise<Uint8Array> {
  if (!trained || typeof trained.args.data !== 'string')
    throw new UserError(
      `${dir} was not written by finetune train (it has no run.json), and a project bundle needs the run's data and settings`,
      { file: join(dir, 'run.json'), option: '--model' },
      NEEDS_RUN,
    );
  // the studio's database, in memory: loaded here only, so the other commands do without it
  const { IDBFactory, IDBKeyRange } = await import('fake-indexeddb');
  const db = openStudioDb({ name: newId('finetune-export'), indexedDB: new IDBFactory(), IDBKeyRange });
  useDatabase(db);
  try {
    const data = await storeData(db, trained, cli);
    cli.log(`dataset "${data.name}": ${data.rows} rows`);
    const run = await storeRun(db, dir, model, trained, data, cli);
    cli.log(`run "${basename(resolve(dir))}": ${run.metrics} metric records`);
    const got: { result?: Extract<EngineEvent, { type: 'bundle-export-result' }> } = {};
    const host: SessionHost = {
      post: (ev) => {
        if (ev.type === 'progress') cli.progress.update({ label: ev.progress.task, done: ev.progress.done, total: ev.progress.total });
        else if (ev.type === 'bundle-export-result') got.result = ev;
      },
    };
    await exportBundle(host, { type: 'bundle-export', requestId: 'cli-export', datasetIds: [data.id], runIds: [run.runId] });
    if (!got.result) throw new Error('the bundle export ended without its result');
    return got.result.bytes;
  } finally {
    await db.delete();
  }
}
