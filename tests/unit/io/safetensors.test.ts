import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { UserError } from '@/lib/errors';
import { MAX_HEADER_BYTES, readSafetensors, writeSafetensors } from '@/lib/io/safetensors';
import { hasShared, sharedPath } from '@/tests/helpers/shared';

/** Builds a file from a header object and a data section, exactly as given (no validation). */
function raw(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function sample() {
  return new Map([
    ['embeddings.word_embeddings.weight', { shape: [3, 2], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]) }],
    ['pooler.dense.bias', { shape: [2], data: Float32Array.from([0.25, -0.125]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ['scalar', { shape: [], data: Float32Array.from([42]) }],
  ]);
}

function expectUserError(bytes: Uint8Array, label: string): UserError {
  try {
    readSafetensors(bytes, 'fuzz.safetensors');
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`${label}: expected a UserError, got ${String(e)}`);
    expect(e.where.file, label).toBe('fuzz.safetensors');
    return e;
  }
  throw new Error(`${label}: was accepted but is invalid`);
}

describe('safetensors', () => {
  it('round-trips F32 tensors, shapes, order and metadata; header is 8-byte aligned', () => {
    const bytes = writeSafetensors(sample(), { format: 'pt', note: 'ünïcode' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect([...back.tensors.keys()]).toEqual([...sample().keys()]);
    for (const [k, t] of sample()) {
      const b = back.tensors.get(k)!;
      expect(b.dtype).toBe('F32');
      expect(b.shape).toEqual(t.shape);
      expect(Array.from(b.data)).toEqual(Array.from(t.data));
    }
    expect(Array.from(readSafetensors(writeSafetensors(back.tensors, back.metadata)).tensors.get('pooler.dense.bias')!.data)).toEqual([
      0.25, -0.125,
    ]);
  });

  it('widens F16 and BF16 to F32 exactly', () => {
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24; BF16: 1.0 = 0x3f80, -3.5 = 0xc060
    const data = new Uint8Array(12);
    const dv = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x7bff, 0x0001].forEach((h, i) => dv.setUint16(i * 2, h, true));
    [0x3f80, 0xc060].forEach((h, i) => dv.setUint16(8 + i * 2, h, true));
    const f = readSafetensors(
      raw({ h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] } }, data),
    );
    expect(Array.from(f.tensors.get('h')!.data)).toEqual([1, -2, 65504, 2 ** -24]);
    expect(Array.from(f.tensors.get('b')!.data)).toEqual([1, -3.5]);
  });

  it("reads the fixtures' real files", { skip: !hasShared('fixtures/ort-bert-toy/hf') }, () => {
    const f = readSafetensors(new Uint8Array(readFileSync(sharedPath('fixtures/ort-bert-toy/hf/model.safetensors')!)));
    expect(f.tensors.get('bert.embeddings.word_embeddings.weight')!.shape).toEqual([99, 32]);
    expect(f.metadata.format).toBe('pt');
  });

  it('rejects unsupported dtypes by name, naming the tensor', () => {
    const e = expectUserError(raw({ 'bert.x': { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), 'I64');
    expect(e.message).toContain('I64');
    expect(e.where.tensor).toBe('bert.x');
    expect(e.describe()).toContain('bert.x');
  });

  it("drops an ignorable integer buffer (old checkpoints' I64 position_ids) but still validates its span", () => {
    const data = new Uint8Array(8 + 16);
    new DataView(data.buffer).setFloat32(0, 1.5, true);
    const h = {
      w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      'bert.embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [8, 24] },
    };
    const ignore = (n: string) => n.endsWith('position_ids');
    const f = readSafetensors(raw(h, data), 'm.safetensors', { ignore });
    expect([...f.tensors.keys()]).toEqual(['w']);
    expect(f.tensors.get('w')!.data[0]).toBe(1.5);
    const bad = structuredClone(h);
    bad['bert.embeddings.position_ids'].shape = [1, 3];
    expect(() => readSafetensors(raw(bad, data), 'm.safetensors', { ignore })).toThrow(UserError);
    expect(() => readSafetensors(raw(h, data), 'm.safetensors')).toThrow(/I64/);
  });

  // ≥100 corruptions that are invalid by construction: each must be a UserError, never a crash or another exception.
  it('rejects 100+ structurally corrupted headers and buffers with a UserError', () => {
    const good = writeSafetensors(sample());
    const hdr = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + Number(new DataView(good.buffer).getBigUint64(0, true)))));
    const data = good.subarray(8 + Number(new DataView(good.buffer).getBigUint64(0, true)));
    const W = 'embeddings.word_embeddings.weight';
    const cases: [string, Uint8Array][] = [];
    const mutate = (label: string, f: (h: Record<string, Record<string, unknown>>) => void) => {
      const h = structuredClone(hdr);
      f(h);
      cases.push([label, raw(h, data)]);
    };
    // truncations anywhere (the last tensor ends at the end of the file, so every shorter file is invalid)
    for (let k = 0; k < good.length; k += Math.max(1, Math.floor(good.length / 40))) cases.push([`truncated to ${k}`, good.subarray(0, k)]);
    // header length field
    for (const n of [0n, 1n, BigInt(good.length), BigInt(MAX_HEADER_BYTES) + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      const b = good.slice();
      new DataView(b.buffer).setBigUint64(0, n, true);
      cases.push([`header length ${n}`, b]);
    }
    // JSON / UTF-8
    for (const t of [
      '',
      '{',
      '[]',
      'null',
      '"x"',
      '42',
      '{"a":}',
      '{"a":1',
      'nul',
      "{'a':1}",
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}',
    ])
      cases.push([`json ${t}`, raw(null, new Uint8Array(4), t.padEnd(2, ' '))]);
    cases.push(['bad utf-8', raw(null, new Uint8Array(0), '{"\u00ff":1}'.replace('\u00ff', '\udc00'))]);
    {
      const b = raw({}, new Uint8Array(0), '{"ab":1}');
      b[10] = 0xff;
      cases.push(['invalid utf-8 byte', b]);
    }
    // dtypes
    for (const d of [
      'I64',
      'I32',
      'I16',
      'I8',
      'U8',
      'BOOL',
      'F64',
      'F8_E4M3',
      'F8_E5M2',
      'U64',
      'U32',
      'U16',
      'C64',
      'f32',
      'FLOAT',
      '',
      7,
      null,
      ['F32'],
      { d: 1 },
    ])
      mutate(`dtype ${JSON.stringify(d)}`, (h) => (h[W].dtype = d));
    mutate('no dtype', (h) => delete h[W].dtype);
    // shapes
    for (const s of [
      [3],
      [2, 3, 1, 2],
      [3, 3],
      [-3, -2],
      [3.5, 2],
      ['3', 2],
      [3, null],
      6,
      null,
      '3x2',
      [1e300, 1e300],
      [2 ** 53, 2],
      [0, 2],
      [],
    ])
      mutate(`shape ${JSON.stringify(s)}`, (h) => (h[W].shape = s));
    mutate('no shape', (h) => delete h[W].shape);
    // offsets
    const [b0, e0] = hdr[W].data_offsets as number[];
    for (const o of [
      [b0, e0 + 4],
      [b0 + 4, e0],
      [-4, e0 - 4],
      [e0, b0],
      [b0, data.length + 4],
      [data.length, data.length + 24],
      [b0 + 0.5, e0 + 0.5],
      [b0, 'x'],
      [b0],
      [b0, e0, 0],
      null,
      'x',
      { begin: 0 },
      [2 ** 60, 2 ** 60 + 24],
    ])
      mutate(`offsets ${JSON.stringify(o)}`, (h) => (h[W].data_offsets = o));
    mutate('no offsets', (h) => delete h[W].data_offsets);
    // overlaps
    mutate('overlap with next', (h) => (h['pooler.dense.bias'].data_offsets = [16, 24]));
    mutate('identical offsets', (h) => (h['pooler.dense.bias'].data_offsets = [0, 8]));
    mutate('contained in another', (h) => {
      h['scalar'].data_offsets = [4, 8];
    });
    // entries and metadata
    for (const v of [1, 'x', null, [], true]) mutate(`entry ${JSON.stringify(v)}`, (h) => (h[W] = v as never));
    for (const m of [1, 'x', null, [], { a: 1 }, { a: null }, { a: ['x'] }])
      mutate(`metadata ${JSON.stringify(m)}`, (h) => (h.__metadata__ = m as never));
    mutate('empty name', (h) => (h[''] = h[W]));
    expect(cases.length).toBeGreaterThanOrEqual(100);
    for (const [label, bytes] of cases) expectUserError(bytes, label);
  });

  // Random byte flips may leave a valid file (e.g. a changed tensor name or data byte); they must never crash.
  it('random byte corruption (2000 seeded cases) either parses or throws a UserError', () => {
    const good = writeSafetensors(sample(), { format: 'pt' });
    let s = 12345;
    const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const b = good.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let j = 0; j < flips; j++) b[Math.floor(rnd() * (i % 2 ? 8 + 64 : b.length))] = Math.floor(rnd() * 256);
      try {
        readSafetensors(b);
      } catch (e) {
        expect(e, `case ${i}`).toBeInstanceOf(UserError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(500);
  });
});
