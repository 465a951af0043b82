// Files under a URL prefix of this app (the bundled USE-Lite under /models/use-lite/) as a FileSource, streamed with
// progress. Relative prefixes resolve against the page's location.
import { UserError } from '../errors';
import { readBody } from './hub';
import type { FileSource } from './source';

export function urlSource(base: string, label: string): FileSource {
  return {
    label,
    async read(path, onProgress) {
      const res = await fetch(new URL(base + path, (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/'));
      if (res.status === 404) return null;
      if (!res.ok)
        throw new UserError(
          `could not read ${path} (HTTP ${res.status})`,
          { file: path },
          'reload the page; if it persists, rebuild the studio (npm run build)',
        );
      return readBody(res, onProgress);
    },
  };
}
