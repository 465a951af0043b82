// Hub downloads against a local HTTP server on 127.0.0.1 serving Hugging Face-layout repos (nothing reaches the
// internet): progress from content-length + a streamed body, the cache making a second load request-free, clear
// errors for repos without model.safetensors, private repos and unreachable hosts.
import * as tf from '@tensorflow/tfjs';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { hubSource } from '@/lib/io/hub';
import { dexieHubCache, memoryHubCache, type HubCache } from '@/lib/io/hub-cache';
import { loadPretrained } from '@/lib/models/load';
import { hasShared, sharedPath } from '@/tests/helpers/shared';
import { useWasm } from '@/tests/helpers/tf';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: 94 }, (_, i) => `w${i}`)];

function repos(): Record<string, Record<string, Uint8Array | string>> {
  const dir = sharedPath('fixtures', 'ort-bert-toy', 'hf')!;
  return {
    'test-org/tiny-bert': {
      'config.json': readFileSync(`${dir}/config.json`),
      'model.safetensors': readFileSync(`${dir}/model.safetensors`),
      'vocab.txt': VOCAB.join('\n') + '\n',
      'tokenizer_config.json': JSON.stringify({ do_lower_case: true, model_max_length: 512 }),
    },
    'test-org/bin-only': {
      'config.json': readFileSync(`${dir}/config.json`),
      'pytorch_model.bin': 'not really',
      'vocab.txt': VOCAB.join('\n'),
    },
  };
}

describe.skipIf(!hasShared('fixtures/ort-bert-toy/hf'))('Hub source', () => {
  let server: Server;
  let endpoint = '';
  const requests: string[] = [];

  beforeAll(async () => {
    await useWasm();
    const data = repos();
    server = createServer((req, res) => {
      requests.push(req.url!);
      const tree = /^\/api\/models\/(.+)\/tree\/([^/]+)$/.exec(req.url!);
      if (tree) {
        const files = data[decodeURIComponent(tree[1])];
        if (!files) return void res.writeHead(404).end();
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(Object.keys(files).map((p) => ({ type: 'file', path: p }))));
      }
      const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(req.url!);
      if (m && m[1] === 'test-org/private') return void res.writeHead(401).end('gated');
      const body = m && m[2] === 'main' ? data[m[1]]?.[decodeURIComponent(m[3])] : undefined;
      if (body === undefined) return void res.writeHead(404).end('Entry not found');
      const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
      res.writeHead(200, { 'content-length': String(bytes.length), 'content-type': 'application/octet-stream' });
      // stream in several chunks so progress has steps
      const step = Math.max(1024, Math.ceil(bytes.length / 5));
      for (let i = 0; i < bytes.length; i += step) res.write(bytes.subarray(i, i + step));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function loadTwice(cache: HubCache, reopen?: () => HubCache) {
    requests.length = 0;
    const events: { file: string; loaded: number; total: number }[] = [];
    const a = await loadPretrained(hubSource('test-org/tiny-bert', 'main', { endpoint, cache }), (p) => events.push(p));
    const first = requests.length;
    requests.length = 0;
    const b = await loadPretrained(hubSource('test-org/tiny-bert', 'main', { endpoint, cache: reopen ? reopen() : cache }));
    const second = requests.length;
    const ids = a.tokenizer!.encode('w1 w2', 'w3');
    const batch = {
      inputIds: tf.tensor2d([ids.ids], undefined, 'int32'),
      attentionMask: tf.tensor2d([ids.ids.map(() => 1)], undefined, 'int32'),
      tokenTypeIds: tf.tensor2d([ids.typeIds!], undefined, 'int32'),
    };
    const diff = tf.tidy(
      () =>
        a.encoder
          .forward(batch, { training: false })
          .pooled.sub(b.encoder.forward(batch, { training: false }).pooled)
          .abs()
          .max()
          .dataSync()[0],
    );
    tf.dispose(Object.values(batch));
    a.encoder.dispose();
    b.encoder.dispose();
    return { first, second, events, ids, diff };
  }

  const memoryCacheTest =
    'loads a model by id from the endpoint with streamed progress; the memory cache makes the second load issue zero requests';
  it(memoryCacheTest, async () => {
    const r = await loadTwice(memoryHubCache());
    expect(r.first).toBeGreaterThanOrEqual(3);
    expect(r.second).toBe(0);
    expect(r.diff).toBe(0);
    expect(r.ids.ids).toEqual([2, 6, 7, 3, 8, 3]);
    const st = r.events.filter((e) => e.file === 'model.safetensors');
    const size = readFileSync(sharedPath('fixtures', 'ort-bert-toy', 'hf', 'model.safetensors')!).length;
    expect(st.length).toBeGreaterThanOrEqual(3);
    expect(st.every((e) => e.total === size)).toBe(true);
    expect(st.at(-1)!.loaded).toBe(size);
    for (let i = 1; i < st.length; i++) expect(st[i].loaded).toBeGreaterThanOrEqual(st[i - 1].loaded);
  });

  it('the IndexedDB cache (dexie, fake-indexeddb) survives reopening: a second load needs no network', async () => {
    const name = `finetune-hub-cache-test-${Date.now()}`;
    const c1 = dexieHubCache({ name, indexedDB, IDBKeyRange });
    let c2: ReturnType<typeof dexieHubCache> | undefined;
    const r = await loadTwice(c1, () => (c1.close(), (c2 = dexieHubCache({ name, indexedDB, IDBKeyRange }))));
    expect(r.first).toBeGreaterThanOrEqual(3);
    expect(r.second).toBe(0);
    expect(r.diff).toBe(0);
    const entries = await c2!.entries();
    expect(entries.find((e) => e.key.endsWith('/model.safetensors'))!.bytes).toBeGreaterThan(1000);
    expect(entries.some((e) => e.key.endsWith('/tokenizer.json') && e.bytes === 0)).toBe(true); // a cached 404
    await c2!.clear(`${endpoint}/test-org/tiny-bert@main/`);
    expect(await c2!.entries()).toEqual([]);
    c2!.close();
  });

  it('a repo with only pytorch_model.bin is a UserError naming the files needed and the ones found', async () => {
    const e = await loadPretrained(hubSource('test-org/bin-only', 'main', { endpoint })).catch((x) => x);
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain('model.safetensors');
    expect(e.message).toContain('pytorch_model.bin');
    expect(e.fix).toMatch(/config\.json, model\.safetensors and a tokenizer/);
  });

  it('unknown repos, private repos, bad ids and unreachable hosts are UserErrors', async () => {
    await expect(loadPretrained(hubSource('test-org/nope', 'main', { endpoint }))).rejects.toThrow(/no config\.json/);
    await expect(loadPretrained(hubSource('test-org/private', 'main', { endpoint }))).rejects.toThrow(/private or gated/);
    expect(() => hubSource('../etc/passwd', 'main', { endpoint })).toThrow(UserError);
    expect(() => hubSource('a b', 'main')).toThrow(UserError);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(hubSource('test-org/tiny-bert', 'main', { endpoint: dead }).read('config.json')).rejects.toBeInstanceOf(UserError);
  });
});
