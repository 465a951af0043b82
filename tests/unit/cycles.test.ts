// scripts/check-cycles.mjs (part of `npm run lint`): fails on files that import each other in a circle, type-only
// imports included, and passes on this repository.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/check-cycles.mjs');
const temps: string[] = [];

function check(dir: string) {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A temp folder holding these files (paths relative to it). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  temps.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('check-cycles', () => {
  it('exits 1 and prints the path of a cycle, through "@/" and type-only imports', () => {
    const dir = tree({
      'lib/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'lib/b.ts': "import type { C } from '@/lib/sub/c';\nexport const b = 1 as unknown as C;\n",
      'lib/sub/c.ts': "import type { a } from '../a';\nexport type C = ReturnType<typeof a>;\n",
      'lib/d.ts': "import { a } from './a';\nexport const d = a;\n",
    });
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain('lib/a.ts -> lib/b.ts -(type)-> lib/sub/c.ts -(type)-> lib/a.ts');
    expect(r.out).not.toContain('lib/d.ts');
  });

  it('finds a cycle across the source folders (components <-> lib) and through a dynamic import', () => {
    const dir = tree({
      'components/View.tsx': "import { run } from '@/lib/run';\nexport const View = () => run;\n",
      'lib/run.ts': "export async function run() { return (await import('../components/View')).View; }\n",
    });
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/components\/View\.tsx -> lib\/run\.ts -\(dynamic\)-> components\/View\.tsx/);
  });

  it('exits 0 when imports only go one way; imports in comments and strings do not count', () => {
    const dir = tree({
      'lib/a.ts': "import { b } from './b';\nexport const a = b;\n",
      'lib/b.ts':
        "// import { a } from './a';\n/* export * from './a'; */\nexport const b = \"import { a } from './a'\";\n" +
        "export const re = /'/;\nexport const t = `${b} from './a'`;\n",
    });
    expect(check(dir)).toMatchObject({ status: 0 });
  });

  it('finds no cycle in this repository', () => {
    const r = check(root);
    expect(r.out).toContain('no import cycles');
    expect(r.status).toBe(0);
  });
});
