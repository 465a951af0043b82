// Node only: a model folder on disk as a FileSource (the CLI and tests). Kept apart from source.ts so the browser
// bundle never imports node:fs.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { FileSource, ProgressFn } from './source';

export function fsSource(dir: string): FileSource {
  const root = resolve(dir);
  return {
    label: root,
    async read(path: string, onProgress?: ProgressFn) {
      const full = resolve(join(root, path));
      if (full !== root && !full.startsWith(root + sep)) return null; // no "../" escapes
      try {
        const s = await stat(full);
        if (!s.isFile()) return null;
        const b = await readFile(full);
        onProgress?.(b.length, b.length);
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async list() {
      return (await readdir(root, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    },
  };
}
