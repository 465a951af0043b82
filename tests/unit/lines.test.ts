// scripts/check-lines.mjs (part of `npm run lint`): fails on a tracked source line over 140 characters, passes at 140.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/check-lines.mjs');
const temps: string[] = [];
// git in a fixture must not follow this repository's GIT_DIR / GIT_INDEX_FILE (set when run from a git hook), nor
// look for a repository above the temp folder
const env = { ...process.env };
for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k];
env.GIT_CEILING_DIRECTORIES = tmpdir();

function check(dir: string) {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8', env });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function git(dir: string, ...args: string[]) {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

/** A temp git work tree holding these files (paths relative to it); those in `tracked` are added to its index. */
function tree(files: Record<string, string>, tracked = Object.keys(files)): string {
  const dir = mkdtempSync(join(tmpdir(), 'lines-'));
  temps.push(dir);
  git(dir, 'init', '-q');
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  if (tracked.length) git(dir, 'add', '--', ...tracked);
  return dir;
}

/** A line of exactly n characters: a statement padded by a comment. */
const line = (n: number) => {
  const code = 'export const x = 1; // ';
  return code + 'x'.repeat(n - code.length);
};

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('check-lines', () => {
  it('exits 1 and names file:line for a line of 141 characters', () => {
    expect(line(141)).toHaveLength(141);
    const dir = tree({ 'lib/a.ts': `// ok\n${line(141)}\n`, 'lib/b.tsx': 'export const b = 2;\n' });
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain('lib/a.ts:2 (141)');
    expect(r.out).not.toContain('lib/b.tsx');
  });

  it('exits 0 when the longest line has 140 characters', () => {
    expect(line(140)).toHaveLength(140);
    const dir = tree({ 'lib/a.ts': `${line(140)}\n`, 'scripts/c.mjs': `${line(140)}\r\n` });
    const r = check(dir);
    expect(r.out).toContain('no line over 140 characters');
    expect(r.status).toBe(0);
  });

  it('counts characters, not bytes, and checks .mjs and .js too', () => {
    const wide = `// ${'—'.repeat(137)}`; // 140 characters, 414 bytes in UTF-8
    expect(check(tree({ 'a.ts': `${wide}\n` }))).toMatchObject({ status: 0 });
    const r = check(tree({ 'a.ts': `${wide}—\n`, 'b.mjs': `${line(141)}\n`, 'c.js': `${line(141)}\n` }));
    expect(r.status).toBe(1);
    expect(r.out).toContain('a.ts:1 (141)');
    expect(r.out).toContain('b.mjs:1 (141)');
    expect(r.out).toContain('c.js:1 (141)');
  });

  it('reads only tracked source files: untracked files and other extensions do not count', () => {
    const dir = tree({ 'a.ts': 'export const a = 1;\n', 'wip.ts': `${line(200)}\n`, 'notes.md': `${line(200)}\n` }, ['a.ts', 'notes.md']);
    expect(check(dir)).toMatchObject({ status: 0 });
  });

  it('exits 2 outside a git work tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lines-'));
    temps.push(dir);
    expect(check(dir).status).toBe(2);
  });
});
