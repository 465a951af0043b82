// In-memory CheckpointStore + MetricsStore: for tests and for runs that need no persistence. Stores deep copies, so a
// later change to a saved object cannot alter what was stored.
import { checkpointMeta, type Checkpoint, type CheckpointMeta, type CheckpointStore, type MetricsStore } from './types';

function copy(c: Checkpoint): Checkpoint {
  return structuredClone(c);
}

export class MemoryStore implements CheckpointStore, MetricsStore {
  private readonly ckpts = new Map<string, Checkpoint>();
  private readonly metrics = new Map<string, object[]>();

  async saveCheckpoint(ckpt: Checkpoint): Promise<void> {
    this.ckpts.set(`${ckpt.runId}\u0000${ckpt.id}`, copy(ckpt));
  }
  async loadCheckpoint(runId: string, id: string): Promise<Checkpoint | null> {
    const c = this.ckpts.get(`${runId}\u0000${id}`);
    return c ? copy(c) : null;
  }
  async listCheckpoints(runId: string): Promise<CheckpointMeta[]> {
    return [...this.ckpts.values()]
      .filter((c) => c.runId === runId)
      .map(checkpointMeta)
      .sort((a, b) => a.step - b.step || a.createdAt - b.createdAt);
  }
  async deleteCheckpoint(runId: string, id: string): Promise<void> {
    this.ckpts.delete(`${runId}\u0000${id}`);
  }
  async appendMetrics(runId: string, records: object[]): Promise<void> {
    const list = this.metrics.get(runId) ?? [];
    list.push(...structuredClone(records));
    this.metrics.set(runId, list);
  }
  async readMetrics(runId: string): Promise<object[]> {
    return structuredClone(this.metrics.get(runId) ?? []);
  }
}
