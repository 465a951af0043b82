// Importing a checked project bundle: the plan (each item added, copied under new ids and a free name, replacing the
// stored items it conflicts with, or skipped; a run's dataset, base run and settings re-pointed to what they became) and
// the write, in one transaction over every table it touches, so a failure leaves the studio as it was.
import { UserError } from '../errors';
import {
  BUNDLE_DECISIONS,
  type BundledDataset,
  type BundledRun,
  type BundleDecision,
  type BundleImportResult,
  type BundleItem,
  type BundleManifest,
  type OpenedBundle,
} from '../export/bundle-format';
import { bytesInt32, decodeCheckpoint, familyOf, fromJson, storedKey } from '../export/bundle-parts';
import {
  newId,
  storageEstimate,
  type DatasetRow,
  type MetricRow,
  type RowChunk,
  type RunRow,
  type SettingRow,
  type SplitRow,
  type StudioDb,
} from '../store/db';
import { deleteDataset } from '../store/db-datasets';
import { DexieRunStore } from '../store/db-runs';
import { checkpointMeta, type Checkpoint } from '../store/types';
import type { RunMeta } from './records';
import { dropWarm, liveRuns } from './state';

type Action = BundleImportResult['items'][number]['action'];

interface DatasetPlan {
  item: BundledDataset;
  action: Action;
  /** bundle version id -> its id here; new names of a copy's versions */
  ids: Map<string, string>;
  names: Map<string, string>;
  /** stored datasets (original imports, with their versions) deleted first */
  remove: string[];
}

interface RunPlan {
  item: BundledRun;
  action: Action;
  id: string;
  name: string;
  remove: string[];
}

export interface ImportPlan {
  datasets: DatasetPlan[];
  runs: RunPlan[];
  /** what a bundle dataset version id or run id refers to after the import */
  datasetIds: Map<string, string>;
  datasetNames: Map<string, string>;
  runIds: Map<string, string>;
}

/** "name (2)", "name (3)", ...: the first not taken (a trailing "(n)" is counted on, not repeated). */
export function uniqueName(name: string, taken: Set<string>): string {
  const base = name.replace(/ \(\d+\)$/, '');
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

function actionOf(item: BundleItem, d: BundleDecision | undefined): Action {
  if (d === 'skip') return 'skipped';
  if (!item.conflicts.length) return 'added';
  return d === 'replace' ? 'replaced' : 'copied';
}

/** Refuses (before anything is written) an unknown decision, a conflict without one, or replacing a run in training. */
export function planImport(
  m: BundleManifest,
  items: BundleItem[],
  decisions: Record<string, BundleDecision>,
  stored: { datasets: DatasetRow[]; runs: RunRow[] },
): ImportPlan {
  for (const [key, d] of Object.entries(decisions))
    if (!BUNDLE_DECISIONS.includes(d))
      throw new UserError(`"${d}" is not a decision (for ${key})`, { option: 'decisions' }, `use one of ${BUNDLE_DECISIONS.join(', ')}`);
  const undecided = items.filter((i) => i.conflicts.length && !decisions[i.key]);
  if (undecided.length)
    throw new UserError(
      `${undecided.length} item${undecided.length > 1 ? 's' : ''} of the bundle conflict with stored ones and have no decision ` +
        `(${undecided
          .slice(0, 5)
          .map((i) => `${i.kind} "${i.name}"`)
          .join(', ')}); nothing was imported`,
      { option: 'decisions' },
      'choose Skip, Keep both or Replace for each conflicting item',
    );
  const byKey = new Map(items.map((i) => [i.key, i]));
  const takenDatasets = new Set([...stored.datasets.map((d) => d.name), ...m.datasets.flatMap((d) => d.versions.map((v) => v.row.name))]);
  const takenRuns = new Set([...stored.runs.map((r) => r.name), ...m.runs.map((r) => r.row.name)]);
  const plan: ImportPlan = { datasets: [], runs: [], datasetIds: new Map(), datasetNames: new Map(), runIds: new Map() };
  for (const d of m.datasets) {
    const item = byKey.get(`dataset:${d.id}`)!;
    const action = actionOf(item, decisions[item.key]);
    const ids = new Map<string, string>();
    const names = new Map<string, string>();
    if (action === 'skipped') {
      // the bundle's runs then use the stored dataset where it holds the same content
      const same = item.conflicts.find((c) => c.identical);
      const storedFamily = same ? familyOf(stored.datasets, same.id) : [];
      d.versions.forEach((v, i) => plan.datasetIds.set(v.row.id, storedFamily[i]?.id ?? v.row.id));
    } else {
      for (const v of d.versions) ids.set(v.row.id, action === 'copied' ? newId('ds') : v.row.id);
      if (action === 'copied') {
        const root = uniqueName(d.name, takenDatasets);
        takenDatasets.add(root);
        for (const v of d.versions) {
          let n = v.row.id === d.id ? root : v.row.name.startsWith(d.name) ? root + v.row.name.slice(d.name.length) : v.row.name;
          if (v.row.id !== d.id && takenDatasets.has(n)) n = uniqueName(n, takenDatasets);
          takenDatasets.add(n);
          names.set(v.row.id, n);
          plan.datasetNames.set(v.row.id, n);
        }
      }
      for (const [from, to] of ids) plan.datasetIds.set(from, to);
    }
    plan.datasets.push({ item: d, action, ids, names, remove: action === 'replaced' ? item.conflicts.map((c) => c.id) : [] });
  }
  for (const r of m.runs) {
    const item = byKey.get(`run:${r.row.id}`)!;
    const action = actionOf(item, decisions[item.key]);
    const remove = action === 'replaced' ? item.conflicts.map((c) => c.id) : [];
    const live = remove.find((id) => liveRuns.has(id));
    if (live)
      throw new UserError(
        `the run "${r.row.name}" is training, so it cannot be replaced`,
        { option: 'decisions' },
        'stop it first, or keep both',
      );
    const id = action === 'copied' ? newId('run') : r.row.id;
    const name = action === 'copied' ? uniqueName(r.row.name, takenRuns) : r.row.name;
    takenRuns.add(name);
    if (action !== 'skipped') plan.runIds.set(r.row.id, id);
    plan.runs.push({ item: r, action, id, name, remove });
  }
  return plan;
}

interface Writes {
  datasets: DatasetRow[];
  chunks: RowChunk[];
  splits: SplitRow[];
  runs: RunRow[];
  metrics: MetricRow[];
  checkpoints: Checkpoint[];
  settings: SettingRow[];
  bytes: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every row to write, decoded from the parts (before the transaction: IndexedDB ends one that waits on other work). */
function decode(bundle: OpenedBundle, plan: ImportPlan): Writes {
  const w: Writes = { datasets: [], chunks: [], splits: [], runs: [], metrics: [], checkpoints: [], settings: [], bytes: 0 };
  const part = (path: string) => {
    const b = bundle.part(path);
    w.bytes += b.length;
    return b;
  };
  for (const p of plan.datasets) {
    if (p.action === 'skipped') continue;
    for (const v of p.item.versions) {
      const id = p.ids.get(v.row.id)!;
      const parentId = v.row.parentId === null ? null : (p.ids.get(v.row.parentId) ?? v.row.parentId);
      w.datasets.push({ ...v.row, id, rootId: p.ids.get(v.row.rootId)!, parentId, name: p.names.get(v.row.id) ?? v.row.name });
      v.chunks.forEach((c, index) =>
        w.chunks.push({ datasetId: id, index, packed: part(c.rows), rowNumbers: bytesInt32(part(c.rowNumbers)) }),
      );
      for (const s of v.splits) {
        const { codes, ...rest } = s;
        w.splits.push({ ...rest, id: p.action === 'copied' ? newId('split') : s.id, datasetId: id, codes: part(codes) });
      }
      for (const [key, value] of Object.entries(v.settings)) w.settings.push({ key: storedKey(key, id), value });
    }
  }
  for (const p of plan.runs) {
    if (p.action === 'skipped') continue;
    const { row } = p.item;
    const meta = row.config as RunMeta;
    const datasetOf = (id: string | null | undefined) => (id ? (plan.datasetIds.get(id) ?? id) : id);
    const model =
      meta.run?.model?.kind === 'run'
        ? { kind: 'run' as const, runId: plan.runIds.get(meta.run.model.runId) ?? meta.run.model.runId }
        : meta.run?.model;
    const datasetName = plan.datasetNames.get(meta.run?.datasetId ?? '') ?? meta.datasetName;
    const name = p.action === 'copied' ? p.name : meta.run?.name;
    const run = meta.run ? { ...meta.run, name, datasetId: datasetOf(meta.run.datasetId) ?? '', model } : meta.run;
    w.runs.push({ ...row, id: p.id, name: p.name, datasetId: datasetOf(row.datasetId) ?? null, config: { ...meta, run, datasetName } });
    const text = new TextDecoder().decode(part(p.item.metrics));
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let record: Record<string, unknown>;
      try {
        record = fromJson(line) as Record<string, unknown>;
      } catch (e) {
        throw new UserError(`line ${i + 1} is not valid JSON (${(e as Error).message})`, { file: `${bundle.name}/${p.item.metrics}` });
      }
      w.metrics.push({ runId: p.id, step: typeof record.step === 'number' ? record.step : -1, record });
    });
    for (const c of p.item.checkpoints)
      w.checkpoints.push({ ...decodeCheckpoint(part(c.state), part(c.tensors), `${bundle.name}/${c.tensors}`), runId: p.id });
    for (const [key, value] of Object.entries(p.item.settings))
      w.settings.push({ key: storedKey(key, p.id), value: isObj(value) && value.runId === row.id ? { ...value, runId: p.id } : value });
    if (p.item.modelFiles)
      w.settings.push({
        key: `model-files:${p.id}`,
        value: Object.fromEntries(Object.entries(p.item.modelFiles).map(([file, path]) => [file, part(path)])),
      });
  }
  return w;
}

function isQuotaError(e: unknown): boolean {
  for (let x = e as { name?: string; inner?: unknown } | undefined; x; x = x.inner as typeof x)
    if (x.name === 'QuotaExceededError') return true;
  return false;
}

const quotaError = (file: string) =>
  new UserError(
    "the browser's storage for this site is full; nothing was imported",
    { file },
    'delete old datasets, runs or checkpoints, or import a bundle with fewer items',
  );

/** Writes the plan: deletions for 'replace' and every new row in one transaction (all or nothing). */
export async function importPlanned(
  db: StudioDb,
  bundle: OpenedBundle,
  plan: ImportPlan,
  progress: (done: number, total: number, task?: string) => void,
): Promise<BundleImportResult> {
  progress(0, 2, 'Unpacking the items');
  const w = decode(bundle, plan);
  const est = await storageEstimate();
  if (est.quota !== null && est.usage !== null && w.bytes * 1.2 > est.quota - est.usage) throw quotaError(bundle.name);
  progress(1, 2, 'Storing the items');
  const removedRuns = plan.runs.flatMap((r) => r.remove);
  try {
    await db.transaction(
      'rw',
      [db.datasets, db.rowChunks, db.splits, db.runs, db.metrics, db.checkpoints, db.checkpointBlobs, db.settings],
      async () => {
        // settings left by what is replaced, or by an item deleted earlier under an id that comes back now
        const cleared = new Set<string>([...w.datasets.map((d) => d.id), ...w.runs.map((r) => r.id), ...removedRuns]);
        for (const root of plan.datasets.flatMap((d) => d.remove)) {
          for (const id of await db.datasets.where('rootId').equals(root).primaryKeys()) cleared.add(id);
          await deleteDataset(db, root);
        }
        const store = new DexieRunStore(db);
        for (const id of removedRuns) await store.deleteRun(id);
        const keys = (await db.settings.toCollection().primaryKeys()) as string[];
        await db.settings.bulkDelete(keys.filter((k) => cleared.has(k.split(':')[1] ?? '')));
        await db.datasets.bulkAdd(w.datasets);
        await db.rowChunks.bulkAdd(w.chunks);
        await db.splits.bulkAdd(w.splits);
        await db.runs.bulkAdd(w.runs);
        await db.metrics.bulkAdd(w.metrics);
        await db.checkpoints.bulkAdd(w.checkpoints.map(checkpointMeta));
        await db.checkpointBlobs.bulkAdd(w.checkpoints.map((c) => ({ runId: c.runId, id: c.id, checkpoint: c })));
        await db.settings.bulkPut(w.settings);
      },
    );
  } catch (e) {
    if (isQuotaError(e)) throw quotaError(bundle.name);
    throw e;
  }
  // a model kept in memory under a replaced (or re-used) run id is stale now
  for (const id of [...removedRuns, ...w.runs.map((r) => r.id)]) if (!liveRuns.has(id)) dropWarm(id);
  progress(2, 2);
  return {
    items: [
      ...plan.datasets.map((p) => ({
        key: `dataset:${p.item.id}`,
        kind: 'dataset' as const,
        name: p.names.get(p.item.id) ?? p.item.name,
        id: p.ids.get(p.item.id) ?? p.item.id,
        action: p.action,
      })),
      ...plan.runs.map((p) => ({ key: `run:${p.item.row.id}`, kind: 'run' as const, name: p.name, id: p.id, action: p.action })),
    ],
  };
}
