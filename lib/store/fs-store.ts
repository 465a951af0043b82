// CheckpointStore + MetricsStore on the file system (Node / CLI). Layout under the root folder:
//   <runId>/checkpoints/<id>/checkpoint.json   everything but the tensors, plus a manifest of tensors.bin
//   <runId>/checkpoints/<id>/tensors.bin       weights, optimizer moments and the weight average, little-endian float32, back to back
//   <runId>/metrics.jsonl                      one record per line
// A checkpoint is written to a temporary folder and renamed into place, so a crash never leaves a half-written one.
import { mkdir, readFile, readdir, rename, rm, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '@/lib/errors';
import { checkpointMeta, type Checkpoint, type CheckpointMeta, type CheckpointStore, type MetricsStore, type TensorData } from './types';

interface ManifestEntry {
  group: 'weights' | 'm' | 'v' | 'ema';
  name: string;
  shape: number[];
  offset: number; // in float32 elements
  length: number;
}

type JsonCheckpoint = Omit<Checkpoint, 'weights' | 'optimizer'> & {
  optimizer: Omit<Checkpoint['optimizer'], 'm' | 'v'>;
  tensors: ManifestEntry[];
};

function safeSegment(s: string, what: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(s) || s === '.' || s === '..') {
    throw new UserError(`${what} "${s}" cannot be used as a folder name`, { option: what }, 'use letters, digits, ".", "_" or "-" only');
  }
  return s;
}

export class FsStore implements CheckpointStore, MetricsStore {
  constructor(readonly root: string) {}

  private runDir(runId: string): string {
    return join(this.root, safeSegment(runId, 'runId'));
  }
  private ckptDir(runId: string, id: string): string {
    return join(this.runDir(runId), 'checkpoints', safeSegment(id, 'checkpoint id'));
  }

  async saveCheckpoint(ckpt: Checkpoint): Promise<void> {
    const dir = this.ckptDir(ckpt.runId, ckpt.id);
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    const entries: ManifestEntry[] = [];
    const parts: Float32Array[] = [];
    let offset = 0;
    const add = (group: ManifestEntry['group'], rec: Record<string, TensorData>) => {
      for (const [name, t] of Object.entries(rec)) {
        entries.push({ group, name, shape: t.shape, offset, length: t.data.length });
        parts.push(t.data);
        offset += t.data.length;
      }
    };
    add('weights', ckpt.weights);
    add('m', ckpt.optimizer.m);
    add('v', ckpt.optimizer.v);
    if (ckpt.ema) add('ema', ckpt.ema);
    const all = new Float32Array(offset);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const { weights: _w, optimizer, ema: _e, ...rest } = ckpt;
    void _w;
    void _e;
    const json: JsonCheckpoint = { ...rest, optimizer: { kind: optimizer.kind, step: optimizer.step }, tensors: entries };
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'tensors.bin'), new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
    await writeFile(join(tmp, 'checkpoint.json'), JSON.stringify(json));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }

  async loadCheckpoint(runId: string, id: string): Promise<Checkpoint | null> {
    const dir = this.ckptDir(runId, id);
    let text: string;
    try {
      text = await readFile(join(dir, 'checkpoint.json'), 'utf8');
    } catch {
      return null;
    }
    const json = JSON.parse(text) as JsonCheckpoint;
    const bin = await readFile(join(dir, 'tensors.bin'));
    const aligned = new Uint8Array(bin.byteLength);
    aligned.set(bin);
    const all = new Float32Array(aligned.buffer);
    const groups: Record<ManifestEntry['group'], Record<string, TensorData>> = { weights: {}, m: {}, v: {}, ema: {} };
    for (const e of json.tensors) {
      if (e.offset + e.length > all.length)
        throw new UserError(
          `checkpoint tensor "${e.name}" lies beyond the end of tensors.bin`,
          { file: join(dir, 'tensors.bin'), tensor: e.name },
          'the checkpoint is damaged: resume from another one',
        );
      groups[e.group][e.name] = { shape: e.shape, data: all.slice(e.offset, e.offset + e.length) };
    }
    const { tensors: _t, optimizer, ...rest } = json;
    void _t;
    const hasEma = json.tensors.some((e) => e.group === 'ema');
    return {
      ...rest,
      weights: groups.weights,
      optimizer: { ...optimizer, m: groups.m, v: groups.v },
      ...(hasEma ? { ema: groups.ema } : {}),
    };
  }

  async listCheckpoints(runId: string): Promise<CheckpointMeta[]> {
    const base = join(this.runDir(runId), 'checkpoints');
    let names: string[];
    try {
      names = await readdir(base);
    } catch {
      return [];
    }
    const metas: CheckpointMeta[] = [];
    for (const n of names) {
      if (n.includes('.tmp-')) continue;
      try {
        const json = JSON.parse(await readFile(join(base, n, 'checkpoint.json'), 'utf8')) as Checkpoint;
        metas.push(checkpointMeta(json));
      } catch {
        // a folder without a readable checkpoint.json is not a checkpoint
      }
    }
    return metas.sort((a, b) => a.step - b.step || a.createdAt - b.createdAt);
  }

  async deleteCheckpoint(runId: string, id: string): Promise<void> {
    await rm(this.ckptDir(runId, id), { recursive: true, force: true });
  }

  async appendMetrics(runId: string, records: object[]): Promise<void> {
    if (!records.length) return;
    await mkdir(this.runDir(runId), { recursive: true });
    await appendFile(join(this.runDir(runId), 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }

  async readMetrics(runId: string): Promise<object[]> {
    try {
      const text = await readFile(join(this.runDir(runId), 'metrics.jsonl'), 'utf8');
      return text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as object);
    } catch {
      return [];
    }
  }
}
