// A fingerprint of a run's training data (rows and a content hash per split, labels, max length), stored in every
// checkpoint: resuming against data that changed is refused with a message that says what changed.
import { UserError } from '../errors';
import type { CheckpointStore, Checkpoint, DataFingerprint } from '../store/types';
import type { EncodedExample } from '../train/encode';

/** What a fingerprint is taken of: a prepared run's encoded splits, labels and max length (PreparedRun in
 *  train-run.ts has them; spelled out here so that this module does not import train-run, which imports it). */
export interface FingerprintSource {
  data: { train: EncodedExample[]; validation: EncodedExample[] };
  labels: string[];
  maxLength: number;
}

/** FNV-1a (32 bit) over each example's token ids, pair ids and label: order-sensitive, like the run itself. */
function hashSplit(examples: EncodedExample[]): string {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193);
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193);
  };
  for (const e of examples) {
    for (const id of e.ids) mix(id);
    mix(0xfffe);
    for (const t of e.typeIds ?? []) mix(t);
    mix(0xfffd);
    const label = Array.isArray(e.label) ? e.label : [e.label];
    for (const l of label) mix(typeof l === 'number' ? Math.round(l * 1e6) : 0);
    for (const t of e.tags ?? []) mix(t + 1000);
    mix(0xffff);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function fingerprintOf(p: FingerprintSource): DataFingerprint {
  return {
    train: { rows: p.data.train.length, hash: hashSplit(p.data.train) },
    validation: { rows: p.data.validation.length, hash: hashSplit(p.data.validation) },
    labels: [...p.labels],
    maxLength: p.maxLength,
  };
}

/** Throws a UserError saying what differs between the checkpoint's data and this data (nothing: returns). */
export function checkFingerprint(saved: DataFingerprint | undefined, now: DataFingerprint, where: { file?: string } = {}): void {
  if (!saved) return;
  const changes: string[] = [];
  for (const split of ['train', 'validation'] as const) {
    const a = saved[split];
    const b = now[split];
    if (a.rows !== b.rows)
      changes.push(
        `the ${split} split has ${b.rows.toLocaleString('en')} rows, ${a.rows.toLocaleString('en')} when the checkpoint was written`,
      );
    else if (a.hash !== b.hash)
      changes.push(`the ${split} split has other texts, labels or order (${a.rows.toLocaleString('en')} rows, as before)`);
  }
  if (saved.labels.join('\u0000') !== now.labels.join('\u0000')) {
    const added = now.labels.filter((l) => !saved.labels.includes(l));
    const gone = saved.labels.filter((l) => !now.labels.includes(l));
    changes.push(
      `the labels differ${added.length ? ` (new: ${added.slice(0, 5).join(', ')})` : ''}` +
        `${gone.length ? ` (missing: ${gone.slice(0, 5).join(', ')})` : ''}${!added.length && !gone.length ? ' in order' : ''}`,
    );
  }
  if (saved.maxLength !== now.maxLength) changes.push(`max length is ${now.maxLength}, ${saved.maxLength} when the checkpoint was written`);
  if (changes.length) {
    throw new UserError(
      `cannot resume: the training data changed since the checkpoint — ${changes.join('; ')}`,
      { ...where, option: 'resume' },
      'resume with the data the run started on, or start a new run',
    );
  }
}

/** The latest checkpoint of a run (by step; the newest of equal steps), or null. */
export async function lastCheckpoint(store: CheckpointStore, runId: string): Promise<Checkpoint | null> {
  const metas = await store.listCheckpoints(runId);
  const last = metas.sort((a, b) => b.step - a.step || b.createdAt - a.createdAt)[0];
  return last ? store.loadCheckpoint(runId, last.id) : null;
}
