// Spawns the real `finetune` bin with node, as a user would run it.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(__dirname, '../../../cli/bin/finetune.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { nodeArgs?: string[]; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
      cwd: opts.cwd ?? resolve(__dirname, '../../..'),
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The last non-empty stdout line, parsed. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** A stack trace line ("    at fn (file:1:2)"). */
export const STACK_LINE = /\n\s+at .+:\d+/;

/** `finetune eval` printed exactly one JSON line, and it equals the validation metrics training reported. */
export function expectEvalEqualsValidation(
  r: CliResult,
  validation: Record<string, number>,
  rows: number,
  expect: (v: unknown) => { toBe(x: unknown): void; toBeCloseTo(x: number, d: number): void; toHaveLength(n: number): void },
): void {
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const m = JSON.parse(lines[0]) as Record<string, number>;
  expect(m.count).toBe(rows);
  expect(m.accuracy).toBe(validation.accuracy);
  expect(m.macroF1).toBe(validation.macroF1);
  expect(m.loss).toBeCloseTo(validation.loss, 5);
}
