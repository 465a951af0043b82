// The parts of a project bundle and what bundle.json says about them, as pure functions shared by export and import:
// CRC-32, JSON that keeps NaN, int32 and checkpoint codecs, content keys (what "same content" means), a dataset's
// family of versions in a fixed order, and the settings keys that belong to one item.
import { UserError } from '../errors';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { DatasetRow, RunRow } from '../store/db';
import type { Checkpoint, CheckpointMeta, TensorData } from '../store/types';

/** Written into every checkpoint's safetensors metadata. */
const FORMAT_TAG = 'finetune-studio-bundle';

let table: Int32Array | null = null;

/** CRC-32 (IEEE), as zip uses. */
export function crc32(b: Uint8Array): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const NON_FINITE = '$number';
const NON_FINITE_VALUES = new Set(['NaN', 'Infinity', '-Infinity']);

/** JSON that keeps NaN and ±Infinity (metrics have them): they travel as {"$number": "NaN"}. */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? { [NON_FINITE]: String(x) } : x), space);
}

export function fromJson(text: string): unknown {
  return JSON.parse(text, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1 && NON_FINITE_VALUES.has(x[NON_FINITE])
      ? Number(x[NON_FINITE])
      : x,
  );
}

export const utf8 = (s: string) => new TextEncoder().encode(s);

/** A short key of content: equal inputs, equal key (CRC-32 of their JSON). */
export function contentKey(...parts: unknown[]): string {
  return crc32(utf8(toJson(parts)))
    .toString(16)
    .padStart(8, '0');
}

export function int32Bytes(a: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setInt32(i * 4, a[i], true);
  return out;
}

export function bytesInt32(b: Uint8Array): Int32Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Int32Array(b.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = dv.getInt32(i * 4, true);
  return out;
}

const GROUPS = ['weights', 'optimizer.m', 'optimizer.v', 'ema'] as const;

/** A checkpoint as two parts: its state as JSON, its tensors as one safetensors file. */
export function encodeCheckpoint(c: Checkpoint): { state: Uint8Array; tensors: Uint8Array } {
  const { weights, optimizer, ema, ...rest } = c;
  const groups: Record<(typeof GROUPS)[number], Record<string, TensorData> | undefined> = {
    weights,
    'optimizer.m': optimizer.m,
    'optimizer.v': optimizer.v,
    ema,
  };
  const tensors = new Map<string, TensorData>();
  for (const g of GROUPS) for (const [name, t] of Object.entries(groups[g] ?? {})) tensors.set(`${g}.${name}`, t);
  const state = { ...rest, optimizer: { kind: optimizer.kind, step: optimizer.step }, hasEma: ema !== undefined };
  return { state: utf8(toJson(state)), tensors: writeSafetensors(tensors, { format: FORMAT_TAG }) };
}

export function decodeCheckpoint(state: Uint8Array, tensors: Uint8Array, file: string): Checkpoint {
  const s = fromJson(new TextDecoder().decode(state)) as Omit<Checkpoint, 'weights' | 'optimizer' | 'ema'> & {
    optimizer: { kind: Checkpoint['optimizer']['kind']; step: number };
    hasEma: boolean;
  };
  const out: Record<(typeof GROUPS)[number], Record<string, TensorData>> = { weights: {}, 'optimizer.m': {}, 'optimizer.v': {}, ema: {} };
  for (const [name, t] of readSafetensors(tensors, file).tensors) {
    const g = GROUPS.find((p) => name.startsWith(`${p}.`));
    if (!g) throw new UserError(`unexpected tensor "${name}"`, { file, tensor: name }, 'export the bundle again');
    out[g][name.slice(g.length + 1)] = { shape: t.shape, data: t.data };
  }
  const { hasEma, optimizer, ...rest } = s;
  const ckpt: Checkpoint = { ...rest, weights: out.weights, optimizer: { ...optimizer, m: out['optimizer.m'], v: out['optimizer.v'] } };
  if (hasEma) ckpt.ema = out.ema;
  return ckpt;
}

// ---- content keys: what "the same content" means when a bundle item meets a stored one ----

/** A dataset's versions in a fixed order: the original import first, then each version after its parent (oldest first). */
export function familyOf(all: DatasetRow[], rootId: string): DatasetRow[] {
  const rows = all.filter((d) => d.rootId === rootId).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  const out = rows.filter((d) => d.id === rootId);
  const seen = new Set(out.map((d) => d.id));
  for (let i = 0; i < out.length; i++)
    for (const d of rows)
      if (!seen.has(d.id) && d.parentId === out[i].id) {
        out.push(d);
        seen.add(d.id);
      }
  return [...out, ...rows.filter((d) => !seen.has(d.id))];
}

/** Same rows (in order), same mapping, cleaning and labels in every version: names, ids and dates do not count. */
export function datasetContent(family: DatasetRow[], chunks: { packed: Uint8Array; rowNumbers: ArrayLike<number> }[]): string {
  return contentKey(
    family.map((v) => [v.columns, v.mapping, v.ops, v.labels, v.rowCount, v.source.format, v.source.bytes]),
    chunks.map((c) => [crc32(c.packed), crc32(int32Bytes(c.rowNumbers))]),
  );
}

/** The checkpoint a run's model is rebuilt from (as lib/session/inference.ts's runModel picks it): the best, else the newest. */
export function chosenCheckpoint(metas: CheckpointMeta[]): CheckpointMeta | undefined {
  return metas.find((m) => m.best) ?? [...metas].sort((a, b) => b.step - a.step || b.createdAt - a.createdAt)[0];
}

/** Same settings (but name and dataset), labels, status, number of metric records and chosen checkpoint (step, kind): a
 *  bundle holding only the chosen checkpoint is the same run as the stored one with all of them. */
export function runContent(row: RunRow, metricCount: number, checkpoints: CheckpointMeta[]): string {
  const meta = row.config as { run?: Record<string, unknown> & { model?: { kind?: string } }; labels?: string[] } | null;
  // a run's base run may have another id here (imported as a copy): its kind counts, not its id
  const model = meta?.run?.model?.kind === 'run' ? 'run' : meta?.run?.model;
  return contentKey(
    { ...meta?.run, name: undefined, datasetId: undefined, model },
    meta?.labels,
    row.status,
    metricCount,
    [chosenCheckpoint(checkpoints)].map((c) => c && [c.step, c.best, c.reason]),
  );
}

// ---- settings that belong to one item: "<kind>:<id>" or "<kind>:<id>:<more>" ----

/** The bundle's form of a settings key of item `id` ("split:ds-1" -> "split:*"), or null when it is not the item's. */
export function bundledKey(key: string, id: string): string | null {
  const p = key.split(':');
  return p.length >= 2 && p[1] === id ? [p[0], '*', ...p.slice(2)].join(':') : null;
}

/** A bundled settings key for item `id` in this studio ("split:*" -> "split:ds-9"). */
export function storedKey(bundled: string, id: string): string {
  const p = bundled.split(':');
  return [p[0], id, ...p.slice(2)].join(':');
}
