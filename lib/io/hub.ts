// Hugging Face Hub as a FileSource: https://huggingface.co/<id>/resolve/<revision>/<file>, streamed with progress,
// through a HubCache so a second load of the same id@revision issues no request. Runs in the browser / worker (the
// user's own network) and in Node; tests point `endpoint` at a local server.
import { UserError } from '../errors';
import type { HubCache } from './hub-cache';
import type { FileSource, ProgressFn } from './source';

export interface HubOptions {
  /** default https://huggingface.co */
  endpoint?: string;
  fetch?: typeof globalThis.fetch;
  cache?: HubCache;
  /** progress of every file read (also given per read) */
  onProgress?: (file: string, loaded: number, total: number) => void;
  /** a Hugging Face access token for gated/private repos */
  token?: string;
  signal?: AbortSignal;
}

const ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

export function checkHubId(id: string): void {
  if (!ID.test(id) || id.includes('..') || id.length > 96) {
    throw new UserError(
      `"${id}" is not a Hugging Face model id`,
      { option: 'model id' },
      'use the form owner/name, e.g. google/bert_uncased_L-2_H-128_A-2',
    );
  }
}

export function hubSource(id: string, revision = 'main', opts: HubOptions = {}): FileSource {
  checkHubId(id);
  if (!revision || /[\s?#]/.test(revision))
    throw new UserError(`"${revision}" is not a revision`, { option: 'revision' }, 'use a branch, tag or commit hash, e.g. main');
  const endpoint = (opts.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const label = `${id}@${revision}`;
  const keyOf = (path: string) => `${endpoint}/${id}@${revision}/${path}`;
  const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};

  async function get(url: string, file: string): Promise<Response | null> {
    let res: Response;
    try {
      res = await doFetch(url, { headers, signal: opts.signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new UserError(
        `could not reach ${endpoint} for ${label} (${(e as Error).message})`,
        { file },
        'check the network connection, or load the model from a folder',
      );
    }
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      return null;
    }
    if (res.status === 401 || res.status === 403) {
      throw new UserError(
        `${label} was not found, or is private or gated (HTTP ${res.status})`,
        { file },
        'check the model id; for a gated model accept its terms on huggingface.co and give an access token',
      );
    }
    if (!res.ok)
      throw new UserError(
        `the Hub answered HTTP ${res.status} for ${label}/${file}`,
        { file },
        'try again later, or load the model from a folder',
      );
    return res;
  }

  async function body(res: Response, file: string, onProgress?: ProgressFn): Promise<Uint8Array> {
    const total = Number(res.headers.get('content-length') ?? 0) || 0;
    const report = (n: number, t: number) => {
      onProgress?.(n, t);
      opts.onProgress?.(file, n, t);
    };
    if (res.body) report(0, total);
    const bytes = await readBody(res, report);
    if (total > 0 && bytes.length !== total)
      throw new UserError(`download of ${file} stopped at ${bytes.length} of ${total} bytes`, { file }, 'try again');
    return bytes;
  }

  return {
    label,
    async read(path, onProgress) {
      const key = keyOf(path);
      const hit = await opts.cache?.get(key);
      if (hit !== undefined) {
        if (hit === 'missing') return null;
        onProgress?.(hit.byteLength, hit.byteLength);
        opts.onProgress?.(path, hit.byteLength, hit.byteLength);
        return hit;
      }
      const url = `${endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
      const res = await get(url, path);
      if (!res) {
        await opts.cache?.put(key, 'missing');
        return null;
      }
      const bytes = await body(res, path, onProgress);
      await opts.cache?.put(key, bytes);
      return bytes;
    },
    /** the repo's files (Hub API tree), for messages; [] when the Hub cannot list them */
    async list() {
      const key = keyOf('.tree.json');
      let bytes = await opts.cache?.get(key);
      if (bytes === undefined) {
        const res = await get(`${endpoint}/api/models/${id}/tree/${encodeURIComponent(revision)}`, 'file list').catch(() => null);
        bytes = res ? new Uint8Array(await res.arrayBuffer()) : 'missing';
        await opts.cache?.put(key, bytes);
      }
      if (bytes === 'missing') return [];
      try {
        const tree = JSON.parse(new TextDecoder().decode(bytes)) as { type?: string; path?: string }[];
        return Array.isArray(tree) ? tree.filter((e) => e.type !== 'directory' && typeof e.path === 'string').map((e) => e.path!) : [];
      } catch {
        return [];
      }
    },
  };
}

/** A response's body read chunk by chunk into one array, reporting (loaded, content-length or loaded) per chunk. */
export async function readBody(res: Response, onProgress?: ProgressFn): Promise<Uint8Array> {
  const total = Number(res.headers.get('content-length') ?? 0) || 0;
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    onProgress?.(b.length, total || b.length);
    return b;
  }
  const reader = res.body.getReader();
  let out = new Uint8Array(total > 0 ? total : 1 << 16);
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, n + value.length));
      grown.set(out.subarray(0, n));
      out = grown;
    }
    out.set(value, n);
    n += value.length;
    onProgress?.(n, total || n);
  }
  return n === out.length ? out : out.slice(0, n);
}
