// What the engine session holds between commands: the database handle, the picked model files (a folder pick lives
// only in memory), trained models kept warm for prediction, and the live runs with their controls.
import type { TaskModel } from '../models/types';
import { openStudioDb, type StudioDb } from '../store/db';
import type { RunControls } from '../train/events';

export interface LiveRunHandle {
  controls: RunControls;
  abort: AbortController;
}

let database: StudioDb | null = null;

export function sessionDb(): StudioDb {
  database ??= openStudioDb();
  return database;
}

/** Tests give the session a database on fake-indexeddb. */
export function useDatabase(db: StudioDb): void {
  database = db;
}

/** Picked model folders by name (File objects; gone after a reload). */
export const pickedFolders = new Map<string, File[]>();

export const liveRuns = new Map<string, LiveRunHandle>();

const MAX_WARM = 2;
const warm = new Map<string, TaskModel>();

export function warmModel(runId: string): TaskModel | undefined {
  const m = warm.get(runId);
  if (m) {
    warm.delete(runId);
    warm.set(runId, m);
  }
  return m;
}

/** Keeps a trained model for prediction; the least recently used one beyond MAX_WARM is disposed. */
export function keepWarm(runId: string, model: TaskModel): void {
  const old = warm.get(runId);
  if (old && old !== model) old.dispose();
  warm.delete(runId);
  warm.set(runId, model);
  while (warm.size > MAX_WARM) {
    const [id, m] = warm.entries().next().value as [string, TaskModel];
    warm.delete(id);
    if (!liveRuns.has(id)) m.dispose();
  }
}

export function dropWarm(runId: string): void {
  const m = warm.get(runId);
  warm.delete(runId);
  m?.dispose();
}
