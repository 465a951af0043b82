// What a command gets from main: where results go (stdout), where messages and progress go (stderr), and the
// Node-side file helpers that turn a missing file into a UserError naming the option.
import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../lib/errors';
import type { ParsedOptions, CommandSpec } from './args';
import type { ProgressBar } from './progress';

export interface Cli {
  progress: ProgressBar;
  /** one result line on stdout */
  out(line: string): void;
  /** one message line on stderr */
  log(line: string): void;
}

export interface CommandModule {
  spec: CommandSpec;
  /** runs TF.js (the wasm backend is started before run) */
  tensors?: boolean;
  run(opts: ParsedOptions, cli: Cli): Promise<void>;
}

/** A file the user named with `option`: its bytes, or a UserError saying which option points where. */
export async function readUserFile(path: string, option: string): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new UserError(`"${path}" is a folder, not a file`, { file: path, option }, `give ${option} a file`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError('file not found', { file: path, option }, `check the path given to ${option}`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new UserError('permission denied', { file: path, option }, 'check the file permissions');
    throw e;
  }
}
