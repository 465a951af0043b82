// Where `finetune export` writes: never over an existing path unless the person says so (--force, or "y" at a
// terminal), and never half: the files go to a sibling folder first, which replaces OUT only once all are written.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { UserError } from '../../lib/errors';

/** Asks at a terminal; elsewhere (a script, a test) an existing OUT needs --force. */
export async function mayReplace(out: string, force: boolean): Promise<void> {
  if (!existsSync(out) || force) return;
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${out} exists. Replace it? [y/N] `);
      if (/^y(es)?$/i.test(answer.trim())) return;
    } finally {
      rl.close();
    }
  }
  throw new UserError(`${out} already exists`, { file: out, option: '--out' }, 'choose another --out, or add --force to replace it');
}

/** Writes `files` (paths relative to OUT, "onnx/model.onnx" included) as the folder OUT, all or nothing. */
export async function writeFolder(out: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const tmp = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(tmp, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Writes one file (a bundle, predictions) the same way: its folder made, a sibling first, renamed over OUT once
 *  complete. */
export async function writeOneFile(out: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(tmp, bytes);
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
