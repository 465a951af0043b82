// Where model files come from: a folder (Node path or a browser directory pick), a URL base (the bundled model, the
// Hugging Face Hub), or memory (an imported zip). Loaders read through this one seam.

export type ProgressFn = (loaded: number, total: number) => void;

export interface FileSource {
  /** shown in messages, e.g. "google/bert_uncased_L-2_H-128_A-2@main" or "/models/use-lite" */
  readonly label: string;
  /** the file's bytes, or null when the source has no such file */
  read(path: string, onProgress?: ProgressFn): Promise<Uint8Array | null>;
  /** file names, where the source can list them */
  list?(): Promise<string[]>;
}

export function memorySource(label: string, files: Record<string, Uint8Array | string>): FileSource {
  const enc = new TextEncoder();
  return {
    label,
    async read(path) {
      const f = files[path];
      if (f === undefined) return null;
      return typeof f === 'string' ? enc.encode(f) : f;
    },
    async list() {
      return Object.keys(files);
    },
  };
}

export async function readText(src: FileSource, path: string): Promise<string | null> {
  const b = await src.read(path);
  return b === null ? null : new TextDecoder().decode(b);
}
