// A browser directory pick (<input webkitdirectory> File objects) as a FileSource. File exists in workers too, so
// the pick can be posted to the engine worker as-is. Files are matched by name inside the picked folder.
import type { FileSource, ProgressFn } from './source';

/** The part of File this needs (File in browsers and workers; Node 20's File too). */
export interface FileLike {
  readonly name: string;
  readonly size: number;
  /** "folder/sub/name" for a directory pick */
  readonly webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Path of a picked file relative to the picked folder ("bert/config.json" -> "config.json"). */
function relative(f: FileLike): string {
  const p = f.webkitRelativePath || f.name;
  const i = p.indexOf('/');
  return f.webkitRelativePath && i >= 0 ? p.slice(i + 1) : p;
}

export function filesSource(files: FileLike[], label?: string): FileSource {
  const byPath = new Map<string, FileLike>();
  for (const f of files) byPath.set(relative(f), f);
  const first = files[0]?.webkitRelativePath?.split('/')[0];
  return {
    label: label ?? first ?? 'selected files',
    async read(path: string, onProgress?: ProgressFn) {
      const f = byPath.get(path);
      if (!f) return null;
      const b = new Uint8Array(await f.arrayBuffer());
      onProgress?.(b.length, b.length);
      return b;
    },
    async list() {
      return [...byPath.keys()];
    },
  };
}
