// Line length: fails when a tracked .ts/.tsx/.mjs/.js file (git ls-files) has a line over 140 characters, the print
// width in .prettierrc.json. Prettier keeps most code within it but leaves long string literals, template literals,
// comments and regular expressions alone; split those (string concatenation, wrapped comments) to pass.
//
//   node scripts/check-lines.mjs [ROOT]     ROOT (a git work tree) defaults to the repository root
//
// Prints each long line as file:line (its length) and exits 1 when there is any, 0 when there is none, 2 when it
// cannot run. Characters are Unicode code points, so '—' or '×' count one each. Plain Node: no dependency.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAX = 140;
const SOURCE = /\.(ts|tsx|mjs|js)$/;

/** The tracked source files of the work tree at root (paths relative to it, '/'-separated), sorted. */
export function trackedSources(root) {
  const r = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`git ls-files failed in ${root}: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout
    .split('\0')
    .filter((f) => SOURCE.test(f) && existsSync(join(root, f))) // a file deleted in the work tree is still listed
    .sort();
}

/** Every line longer than max characters in the tracked sources under root: { file, line (1-based), length }. */
export function longLines(root, max = MAX) {
  const out = [];
  for (const file of trackedSources(root)) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const length = [...text.replace(/\r$/, '')].length;
      if (length > max) out.push({ file, line: i + 1, length });
    });
  }
  return out;
}

function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(process.argv[2] ?? join(here, '..'));
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    console.error(`check-lines: ${root} is not a folder`);
    process.exit(2);
  }
  let long;
  try {
    long = longLines(root);
  } catch (e) {
    console.error(`check-lines: ${e.message}`);
    process.exit(2);
  }
  if (!long.length) {
    console.log(`check-lines: no line over ${MAX} characters`);
    return;
  }
  console.error(`check-lines: ${long.length} line${long.length === 1 ? '' : 's'} over ${MAX} characters:`);
  for (const l of long) console.error(`  ${l.file}:${l.line} (${l.length})`);
  console.error('Split long strings into concatenations (the value unchanged) and wrap long comments.');
  process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
