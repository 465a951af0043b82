// The safetensors format (https://huggingface.co/docs/safetensors): 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}, then the raw little-endian
// bytes. Reading validates everything and widens F16/BF16 to F32; writing emits F32. No dependency.
import { UserError } from '../errors';

export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const SUPPORTED: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** dtypes the format defines that this reader does not take (rejected by name) */
const KNOWN_UNSUPPORTED: Record<string, number> = {
  F64: 8,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  F4: 1,
  F6_E2M3: 1,
  F6_E3M2: 1,
  C64: 8,
};

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  /** tensors in header order, widened to F32 */
  tensors: Map<string, NamedTensor & { dtype: SafetensorsDtype }>;
  metadata: Record<string, string>;
}

const FIX = 'the file is not a valid safetensors file: re-download or re-export it';

function fail(what: string, file: string, tensor?: string): never {
  throw new UserError(what, tensor === undefined ? { file } : { file, tensor }, FIX);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
  /** validated but not decoded (ReadOptions.ignore) */
  skip: boolean;
}

/** Parses and validates the header; returns entries and metadata and where the byte buffer starts. */
export interface ReadOptions {
  /**
   * Tensors that may be dropped when their dtype is not a float one (e.g. the I64 "embeddings.position_ids" buffer
   * older checkpoints carry). They are still validated, then left out of the result.
   */
  ignore?: (name: string) => boolean;
}

export function readSafetensorsHeader(
  bytes: Uint8Array,
  file = 'model.safetensors',
  opts: ReadOptions = {},
): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) fail('expected the file bytes', file);
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} is over the ${MAX_HEADER_BYTES}-byte limit`, file);
  const n = Number(n64);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`, file);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the ${bytes.length}-byte file`, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('header is not valid UTF-8', file);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`, file);
  }
  if (!isPlainObject(header)) fail('header is not a JSON object', file);
  const bufLen = bytes.length - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(v)) fail('__metadata__ is not an object of strings', file);
      for (const [k, mv] of Object.entries(v)) {
        if (typeof mv !== 'string') fail(`__metadata__ value "${k}" is not a string`, file);
        metadata[k] = mv;
      }
      continue;
    }
    if (name.length === 0) fail('a tensor has an empty name', file, name);
    if (!isPlainObject(v)) fail('entry is not an object with dtype, shape and data_offsets', file, name);
    const { dtype, shape, data_offsets: off } = v as { dtype: unknown; shape: unknown; data_offsets: unknown };
    if (typeof dtype !== 'string') fail('dtype is missing or not a string', file, name);
    let size: number;
    let skip = false;
    if (dtype in SUPPORTED) size = SUPPORTED[dtype as SafetensorsDtype];
    else if (dtype in KNOWN_UNSUPPORTED && opts.ignore?.(name)) {
      size = KNOWN_UNSUPPORTED[dtype];
      skip = true;
    } else if (dtype in KNOWN_UNSUPPORTED)
      fail(`dtype ${dtype} is not supported (only F32, F16 and BF16 weights can be loaded)`, file, name);
    else fail(`unknown dtype ${JSON.stringify(dtype).slice(0, 40)}`, file, name);
    if (!Array.isArray(shape)) fail('shape is missing or not an array', file, name);
    let count = 1;
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
        fail(`shape ${JSON.stringify(shape).slice(0, 60)} has a dimension that is not a non-negative integer`, file, name);
      count *= d;
      if (!Number.isSafeInteger(count * size)) fail(`shape ${JSON.stringify(shape).slice(0, 60)} is too large`, file, name);
    }
    if (!Array.isArray(off) || off.length !== 2) fail('data_offsets is not a [begin, end] pair', file, name);
    const [begin, end] = off as unknown[];
    if (
      typeof begin !== 'number' ||
      typeof end !== 'number' ||
      !Number.isSafeInteger(begin) ||
      !Number.isSafeInteger(end) ||
      begin < 0 ||
      end < begin
    ) {
      fail(`data_offsets ${JSON.stringify(off).slice(0, 60)} are not integers with 0 ≤ begin ≤ end`, file, name);
    }
    if (end > bufLen) fail(`data_offsets end ${end} is past the ${bufLen}-byte data section`, file, name);
    if (end - begin !== count * size) {
      fail(
        `shape [${shape.join(', ')}] × ${dtype} (${size} bytes) needs ${count * size} bytes but data_offsets span ${end - begin}`,
        file,
        name,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end, skip });
  }
  // Sorted by begin, a non-empty tensor overlaps an earlier one exactly when it starts before the furthest end so far.
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  let far: Entry | null = null;
  for (const cur of sorted) {
    if (far && cur.begin < far.end)
      fail(`bytes [${cur.begin}, ${cur.end}) overlap tensor "${far.name}" [${far.begin}, ${far.end})`, file, cur.name);
    if (!far || cur.end > far.end) far = cur;
  }
  return { entries, metadata, dataStart: 8 + n };
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function decode(bytes: Uint8Array, e: Entry, dataStart: number): Float32Array {
  const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const n = src.byteLength / SUPPORTED[e.dtype];
  // Little-endian hosts (every browser and Node platform in practice): one aligned copy, no per-value decode.
  if (e.dtype === 'F32' && LITTLE_ENDIAN) return new Float32Array(src.slice().buffer);
  const out = new Float32Array(n);
  if (e.dtype === 'F32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  else if (e.dtype === 'F16') for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
  else {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16;
  }
  return out;
}

/** Reads a whole safetensors file; every tensor comes back as F32. Throws UserError naming the file and tensor. */
export function readSafetensors(bytes: Uint8Array, file = 'model.safetensors', opts: ReadOptions = {}): SafetensorsFile {
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes, file, opts);
  const tensors = new Map<string, NamedTensor & { dtype: SafetensorsDtype }>();
  for (const e of entries) if (!e.skip) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(bytes, e, dataStart) });
  return { tensors, metadata };
}

/** Writes F32 tensors (in the given order) with an 8-byte aligned, space-padded header, as the reference library does. */
export function writeSafetensors(
  tensors: Map<string, NamedTensor> | Record<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__' || name.length === 0)
      throw new UserError(`cannot write a tensor named ${JSON.stringify(name)}`, { tensor: name }, 'rename the tensor');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new UserError(
        `tensor has ${t.data.length} values but shape [${t.shape.join(', ')}]`,
        { tensor: name },
        'this is a bug in the caller',
      );
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const [, t] of list) {
    for (let i = 0; i < t.data.length; i++, p += 4) dv.setFloat32(p, t.data[i], true);
  }
  return out;
}
