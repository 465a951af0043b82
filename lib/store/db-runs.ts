// Runs, metric records and checkpoints in the studio database: the IndexedDB implementation of CheckpointStore and
// MetricsStore (lib/store/types.ts), plus run bookkeeping the UI lists. Checkpoint metadata and tensors live in
// separate tables so listing checkpoints never reads weights.
import { UserError } from '@/lib/errors';
import { newId, type RunRow, type RunStatus, type StudioDb } from './db';
import { checkpointMeta, type Checkpoint, type CheckpointMeta, type CheckpointStore, type MetricsStore } from './types';

function isQuotaError(e: unknown): boolean {
  for (let x = e as { name?: string; inner?: unknown } | undefined; x; x = x.inner as typeof x)
    if (x.name === 'QuotaExceededError') return true;
  return false;
}

export class DexieRunStore implements CheckpointStore, MetricsStore {
  constructor(readonly db: StudioDb) {}

  async saveCheckpoint(ckpt: Checkpoint): Promise<void> {
    const db = this.db;
    try {
      await db.transaction('rw', db.checkpoints, db.checkpointBlobs, async () => {
        await db.checkpoints.put(checkpointMeta(ckpt));
        await db.checkpointBlobs.put({ runId: ckpt.runId, id: ckpt.id, checkpoint: ckpt });
      });
    } catch (e) {
      if (isQuotaError(e)) {
        throw new UserError(
          `The browser's storage is full: checkpoint "${ckpt.id}" of run "${ckpt.runId}" was not saved`,
          { option: 'checkpoint' },
          'Delete old runs or checkpoints, or save checkpoints less often.',
        );
      }
      throw e;
    }
  }

  async loadCheckpoint(runId: string, id: string): Promise<Checkpoint | null> {
    const row = await this.db.checkpointBlobs.get([runId, id]);
    return row ? row.checkpoint : null;
  }

  async listCheckpoints(runId: string): Promise<CheckpointMeta[]> {
    const rows = await this.db.checkpoints.where('runId').equals(runId).toArray();
    return rows.sort((a, b) => a.step - b.step || a.createdAt - b.createdAt);
  }

  async deleteCheckpoint(runId: string, id: string): Promise<void> {
    const db = this.db;
    await db.transaction('rw', db.checkpoints, db.checkpointBlobs, async () => {
      await db.checkpoints.delete([runId, id]);
      await db.checkpointBlobs.delete([runId, id]);
    });
  }

  async appendMetrics(runId: string, records: object[]): Promise<void> {
    await this.db.metrics.bulkAdd(
      records.map((record) => {
        const step = (record as { step?: unknown }).step;
        return { runId, step: typeof step === 'number' ? step : -1, record };
      }),
    );
  }

  async readMetrics(runId: string): Promise<object[]> {
    const rows = await this.db.metrics.where('runId').equals(runId).sortBy('seq');
    return rows.map((r) => r.record);
  }

  /** Metric records with step in [from, to] (by the runId+step index). */
  async readMetricsBetween(runId: string, from: number, to: number): Promise<object[]> {
    const rows = await this.db.metrics.where('[runId+step]').between([runId, from], [runId, to], true, true).toArray();
    return rows.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)).map((r) => r.record);
  }

  // ---- runs ----

  async createRun(input: { name: string; datasetId?: string | null; config: unknown; id?: string }): Promise<RunRow> {
    const now = Date.now();
    const run: RunRow = {
      id: input.id ?? newId('run'),
      name: input.name,
      datasetId: input.datasetId ?? null,
      config: input.config,
      status: 'queued',
      createdAt: now,
      updatedAt: now,
    };
    await this.db.runs.add(run);
    return run;
  }

  async setRunStatus(id: string, status: RunStatus, error?: string): Promise<void> {
    const now = Date.now();
    const patch: Partial<RunRow> = { status, updatedAt: now };
    if (status === 'running') patch.startedAt = now;
    if (status === 'completed' || status === 'failed' || status === 'aborted') patch.finishedAt = now;
    if (error !== undefined) patch.error = error;
    const n = await this.db.runs.update(id, patch);
    if (!n) throw new UserError(`There is no run "${id}"`, { option: 'runId' }, 'It may have been deleted.');
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    return this.db.runs.get(id);
  }

  async listRuns(): Promise<RunRow[]> {
    return this.db.runs.orderBy('createdAt').reverse().toArray();
  }

  async renameRun(id: string, name: string): Promise<void> {
    await this.db.runs.update(id, { name, updatedAt: Date.now() });
  }

  /** The run, its metrics and its checkpoints, in one transaction. */
  async deleteRun(id: string): Promise<void> {
    const db = this.db;
    await db.transaction('rw', [db.runs, db.metrics, db.checkpoints, db.checkpointBlobs], async () => {
      await db.metrics.where('runId').equals(id).delete();
      await db.checkpoints.where('runId').equals(id).delete();
      await db.checkpointBlobs.where('runId').equals(id).delete();
      await db.runs.delete(id);
    });
  }
}
