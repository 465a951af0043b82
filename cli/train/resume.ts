// finetune train --resume DIR: the arguments and settings of the run being continued (DIR/run.json), the checkpoint
// it continues from (DIR/run/checkpoints), and its metrics log cut back to that checkpoint.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import type { RunConfig } from '../../lib/run/config';
import { lastCheckpoint } from '../../lib/run/fingerprint';
import type { Checkpoint, CheckpointStore } from '../../lib/store/types';
import { str, type ParsedOptions } from '../args';

/** What `--resume DIR` needs from DIR/run.json: the arguments (paths made absolute) and the settings it ran with. */
export interface SavedRun {
  args: ParsedOptions;
  run: RunConfig;
  result?: unknown;
}

/** The run id of a CLI run's checkpoints: OUT/run/checkpoints. */
export const RUN_ID = 'run';

async function readSavedRun(dir: string): Promise<SavedRun> {
  let saved: Partial<SavedRun>;
  try {
    saved = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as Partial<SavedRun>;
  } catch {
    throw new UserError(
      `"${dir}" has no readable run.json`,
      { file: join(dir, 'run.json'), option: '--resume' },
      'give --resume the --out folder of a finetune train run',
    );
  }
  if (!saved.args || !saved.run)
    throw new UserError(
      'run.json has no arguments or settings to resume with',
      { file: join(dir, 'run.json'), option: '--resume' },
      'it was written by an older finetune version: start the run again',
    );
  if (saved.result)
    throw new UserError(
      'this run already finished; there is nothing to resume',
      { file: join(dir, 'run.json'), option: '--resume' },
      'start a new run with --out',
    );
  return saved as SavedRun;
}

/** --resume DIR takes everything from DIR/run.json; only --threads may differ. */
export async function resolveArgs(opts: ParsedOptions): Promise<{ opts: ParsedOptions; saved: SavedRun | null }> {
  const dir = str(opts, 'resume');
  if (!dir) {
    if (!str(opts, 'out') && opts['dry-run'] !== true)
      throw new UserError('missing required option --out', { option: '--out' }, 'give the output folder; see finetune train --help');
    return { opts, saved: null };
  }
  const extra = Object.keys(opts).filter((k) => !['resume', 'threads', 'help'].includes(k) && opts[k] !== undefined);
  if (extra.length)
    throw new UserError(
      `--resume continues the run as it was started, so --${extra[0]} cannot be given with it`,
      { option: `--${extra[0]}` },
      'leave it out (the data and settings come from run.json), or start a new run with --out',
    );
  const saved = await readSavedRun(resolve(dir));
  return { opts: { ...saved.args, out: resolve(dir), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) }, saved };
}

/** The checkpoint a resumed run continues from (none for a new run); a resumed run without one cannot continue. */
export async function resumePoint(store: CheckpointStore, out: string, saved: SavedRun | null): Promise<Checkpoint | undefined> {
  if (!saved) return undefined;
  const last = await lastCheckpoint(store, RUN_ID);
  if (!last)
    throw new UserError(
      `no checkpoint in ${join(out, RUN_ID, 'checkpoints')} to resume from`,
      { option: '--resume' },
      'start the run again: full, freeze and LoRA runs write one every quarter epoch, head-only runs on Ctrl-C',
    );
  return last;
}

/** On resume, the events the interrupted process logged after its last checkpoint are dropped (they are replayed). */
export async function keepMetricsUpTo(path: string, step: number): Promise<void> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const kept = text.split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      const ev = JSON.parse(l) as { type?: string; step?: number };
      return ev.type !== 'done' && (ev.step === undefined || ev.step <= step);
    } catch {
      return false; // a line cut by the kill
    }
  });
  await writeFile(path, kept.map((l) => `${l}\n`).join(''));
}

/** A new run's (or tune's) --out must not hold another run: the new run's files would mix with its files (a model of
 *  one dataset beside the run.json of another). An interrupted run there continues with --resume. */
export async function refuseUsedOut(out: string): Promise<void> {
  const used = ['run.json', 'model.safetensors', 'tune.json', RUN_ID].find((f) => existsSync(join(out, f)));
  if (!used) return;
  let unfinished = false;
  try {
    const saved = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as Partial<SavedRun>;
    unfinished = Boolean(saved.args && saved.run && !saved.result);
  } catch {
    // no run.json, or not one this tool wrote
  }
  throw new UserError(
    `${out} already holds ${unfinished ? 'an unfinished run' : 'a run'} (${used}); a new one would mix its files with it`,
    { option: '--out' },
    unfinished
      ? `continue it with: npx finetune train --resume ${out} — or give a new --out folder`
      : 'give a new --out folder, or delete that one first',
  );
}
