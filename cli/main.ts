// `finetune`: arguments in -> engine calls -> progress on stderr, results on stdout. Exit codes: 0 success,
// 2 bad input (a UserError: one line naming the file/row/column/option), 1 anything else (a bug: message + stack).
import { UserError } from '../lib/errors';
import { helpText, parseArgs, type CommandSpec, type ParsedOptions } from './args';
import { ProgressBar } from './progress';
import type { Cli } from './context';
import { COMMANDS } from './commands/index';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USER = 2;

function overview(commands: { spec: CommandSpec }[]): string {
  const w = Math.max(...commands.map((c) => c.spec.name.length)) + 4;
  return [
    'finetune — fine-tune a text encoder (USE-Lite, BERT family) from the command line, on the same engine as the studio',
    '',
    'usage: finetune <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.spec.name.padEnd(w)}${c.spec.summary}`),
    '',
    'Run `finetune <command> --help` for its options. CSV, TSV and JSONL inputs are detected from their content.',
    'Progress goes to stderr, results to stdout. Exit codes: 0 ok, 2 bad input, 1 internal error.',
  ].join('\n');
}

export interface MainIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

export async function main(argv: string[], io: MainIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    io.stdout.write(`${topic ? helpText(topic.spec) : overview(COMMANDS)}\n`);
    return name ? EXIT_OK : EXIT_USER;
  }
  const progress = new ProgressBar(io.stderr);
  try {
    const cmd = COMMANDS.find((c) => c.spec.name === name);
    if (!cmd) {
      throw new UserError(`unknown command "${name}"`, {}, `use one of ${COMMANDS.map((c) => c.spec.name).join(', ')} (finetune --help)`);
    }
    const opts: ParsedOptions = parseArgs(cmd.spec, rest);
    if (opts.help) {
      io.stdout.write(`${helpText(cmd.spec)}\n`);
      return EXIT_OK;
    }
    const cli: Cli = {
      progress,
      out: (line: string) => {
        progress.clear();
        io.stdout.write(`${line}\n`);
      },
      log: (line: string) => progress.log(line),
    };
    if (cmd.tensors) {
      // the same engine as the studio's worker, on the wasm backend (tfjs-node is not used)
      const { initBackend } = await import('../lib/backend/init');
      await initBackend({ preference: 'wasm' });
    }
    await cmd.run(opts, cli);
    progress.clear();
    return EXIT_OK;
  } catch (e) {
    progress.clear();
    if (e instanceof UserError) {
      io.stderr.write(`finetune: ${e.describe()}\n`);
      return EXIT_USER;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(
      `finetune: internal error: ${err.message}\n${err.stack ?? ''}\n` +
        'This is a bug in finetune, not in your input; please report it with the lines above.\n',
    );
    return EXIT_INTERNAL;
  }
}
