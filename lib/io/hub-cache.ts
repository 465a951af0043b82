// Where Hub downloads are kept so a second load needs no network: an in-memory cache (tests, Node) and an IndexedDB
// one (dexie, its own database so clearing it never touches datasets or runs). Absent files are cached too, so the
// loader's probes for optional files (vocab.txt, special_tokens_map.json, ...) cost no request either.
import Dexie, { type Table } from 'dexie';

/** A cached file: its bytes, or 'missing' when the Hub answered 404. */
export type HubCacheEntry = Uint8Array | 'missing';

export interface HubCache {
  /** undefined when not cached */
  get(key: string): Promise<HubCacheEntry | undefined>;
  put(key: string, entry: HubCacheEntry): Promise<void>;
  /** removes every entry whose key starts with prefix (e.g. one repo), or all */
  clear(prefix?: string): Promise<void>;
  /** cached keys with their sizes in bytes */
  entries(): Promise<{ key: string; bytes: number }[]>;
}

export function memoryHubCache(): HubCache {
  const m = new Map<string, HubCacheEntry>();
  return {
    async get(key) {
      return m.get(key);
    },
    async put(key, entry) {
      m.set(key, entry);
    },
    async clear(prefix) {
      for (const k of [...m.keys()]) if (prefix === undefined || k.startsWith(prefix)) m.delete(k);
    },
    async entries() {
      return [...m].map(([key, e]) => ({ key, bytes: e === 'missing' ? 0 : e.byteLength }));
    },
  };
}

export const HUB_CACHE_DB = 'finetune-hub-cache';

interface FileRow {
  key: string;
  missing: boolean;
  bytes: Uint8Array | null;
  size: number;
  storedAt: number;
}

class HubCacheDb extends Dexie {
  files!: Table<FileRow, string>;
  constructor(name: string, deps?: { indexedDB: IDBFactory; IDBKeyRange: typeof IDBKeyRange }) {
    super(name, deps);
    this.version(1).stores({ files: '&key, storedAt' });
  }
}

export interface DexieHubCacheOptions {
  name?: string;
  /** for Node tests (fake-indexeddb); browsers and workers use the global indexedDB */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

export function dexieHubCache(opts: DexieHubCacheOptions = {}): HubCache & { close(): void } {
  const db = new HubCacheDb(
    opts.name ?? HUB_CACHE_DB,
    opts.indexedDB && opts.IDBKeyRange ? { indexedDB: opts.indexedDB, IDBKeyRange: opts.IDBKeyRange } : undefined,
  );
  return {
    async get(key) {
      const r = await db.files.get(key);
      if (!r) return undefined;
      return r.missing || !r.bytes ? 'missing' : r.bytes;
    },
    async put(key, entry) {
      const missing = entry === 'missing';
      await db.files.put({ key, missing, bytes: missing ? null : entry, size: missing ? 0 : entry.byteLength, storedAt: Date.now() });
    },
    async clear(prefix) {
      if (prefix === undefined) await db.files.clear();
      else await db.files.where('key').startsWith(prefix).delete();
    },
    async entries() {
      const out: { key: string; bytes: number }[] = [];
      await db.files.each((r) => {
        out.push({ key: r.key, bytes: r.size });
      });
      return out;
    },
    close() {
      db.close();
    },
  };
}
