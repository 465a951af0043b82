// A run's checkpoints as it writes them: the periodic, epoch, final and abort ones (a rotation of the newest few, which a
// resumed run continues) and the best one, taken at its evaluation and written at once or, with
// bestCheckpointEverySec, when that long has passed since the last write (it is never pruned).
import * as tf from '@tensorflow/tfjs';
import { checkpointMeta, type Checkpoint, type CheckpointMeta, type CheckpointStore } from '@/lib/store/types';
import { readVariables } from './state';

export const STEP_ID = (step: number) => `step-${String(step).padStart(7, '0')}`;

/** What a checkpoint holds besides its identity and weights, as the run has it now (copies, not live state). */
export type RunSnapshot = Omit<Checkpoint, 'id' | 'runId' | 'best' | 'createdAt' | 'reason' | 'weights'>;

export interface CheckpointWriterOptions {
  store?: CheckpointStore;
  runId: string;
  /** every variable of the model (frozen ones included: a checkpoint rebuilds the whole model) */
  variables: () => Map<string, tf.Variable>;
  /** the variables that train: a best checkpoint reads only these at its evaluation */
  trainable: Map<string, tf.Variable>;
  /** rotating checkpoints kept (at least one) */
  keep: number;
  bestEverySec: number;
  snapshot: () => Promise<RunSnapshot>;
}

export class CheckpointWriter {
  /** the newest rotating checkpoint written */
  lastId: string | undefined;
  /** the best checkpoint's id, once there is one (written or waiting) */
  bestId: string | undefined;
  private pendingBest: Checkpoint | null = null;
  private lastBestWrite = -Infinity;
  /** rotating checkpoints this run may prune, oldest first */
  private readonly saved: CheckpointMeta[] = [];

  constructor(private readonly o: CheckpointWriterOptions) {}

  get store(): CheckpointStore | undefined {
    return this.o.store;
  }

  /** A resumed run: its best checkpoint, and the rotation it continues (checkpoints up to its step). */
  async resume(from: Checkpoint): Promise<void> {
    if (from.best) this.bestId = from.id;
    if (!this.o.store) return;
    const metas = await this.o.store.listCheckpoints(this.o.runId);
    this.saved.push(...metas.filter((m) => !m.best && m.step <= from.step));
    if (from.metricsSoFar.best && metas.some((m) => m.best)) this.bestId = metas.find((m) => m.best)!.id;
  }

  private async capture(reason: Checkpoint['reason'], id: string, best: boolean, vars: Map<string, tf.Variable>): Promise<Checkpoint> {
    const weights = await readVariables(vars);
    return { id, runId: this.o.runId, best, createdAt: Date.now(), reason, weights, ...(await this.o.snapshot()) };
  }

  /** Takes the best checkpoint of this evaluation (written by the next flush). */
  async takeBest(): Promise<void> {
    if (!this.o.store) return;
    this.pendingBest = await this.capture('best', 'best', true, this.o.trainable);
    this.bestId = 'best';
  }

  /** Writes a best checkpoint still waiting; the metas of what was written. */
  async flushBest(): Promise<CheckpointMeta[]> {
    const store = this.o.store;
    if (!this.pendingBest || !store) return [];
    const taken = this.pendingBest;
    this.pendingBest = null;
    // the variables that do not train cannot have changed since it was taken
    const all = this.o.variables();
    const frozen = await readVariables(new Map([...all].filter(([n]) => !this.o.trainable.has(n))));
    const weights = Object.fromEntries([...all.keys()].map((n) => [n, taken.weights[n] ?? frozen[n]]));
    const ckpt: Checkpoint = { ...taken, weights };
    await store.saveCheckpoint(ckpt);
    this.lastBestWrite = performance.now();
    return [checkpointMeta(ckpt)];
  }

  /** flushBest once bestEverySec has passed since the last best written. */
  async flushBestIfDue(): Promise<CheckpointMeta[]> {
    if (!this.pendingBest || performance.now() - this.lastBestWrite < this.o.bestEverySec * 1000) return [];
    return this.flushBest();
  }

  /** A rotating checkpoint of step `step` (a waiting best one is written first); the metas of what was written. */
  async save(reason: Checkpoint['reason'], step: number): Promise<CheckpointMeta[]> {
    const store = this.o.store;
    if (!store) return [];
    const written = await this.flushBest();
    const ckpt = await this.capture(reason, STEP_ID(step), false, this.o.variables());
    await store.saveCheckpoint(ckpt);
    const meta = checkpointMeta(ckpt);
    this.lastId = meta.id;
    const same = this.saved.findIndex((m) => m.id === meta.id);
    if (same >= 0) this.saved.splice(same, 1);
    this.saved.push(meta);
    while (this.saved.length > Math.max(1, this.o.keep)) await store.deleteCheckpoint(this.o.runId, this.saved.shift()!.id);
    return [...written, meta];
  }
}
