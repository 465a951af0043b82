// Import cycles: reads every .ts/.tsx under lib, cli, workers, components and app, resolves relative and "@/..."
// imports (tsconfig paths: "@/*" -> "./*"), and fails when the files import each other in a circle. Every kind of
// import counts — `import type`, `export ... from`, side-effect imports, dynamic `import()` and `import('x').T` types:
// a cycle of types only is still a cycle in the design (two layers that each need the other).
//
//   node scripts/check-cycles.mjs [ROOT]     ROOT defaults to the repository root
//
// Prints each cycle as a path (a.ts -> b.ts -> a.ts) and exits 1 when there is any, 0 when there is none, 2 when it
// cannot run. Plain Node: no dependency, its own small lexer (comments are skipped; strings, template literals and
// regular expressions are read past so that nothing inside them counts as an import).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIRS = ['lib', 'cli', 'workers', 'components', 'app'];
const SKIP = new Set(['node_modules', '.next', 'public', 'test-results']);

/** Every .ts/.tsx file (not .d.ts) under root/dir, recursively. */
function sourceFiles(root) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      if (SKIP.has(name) || name.startsWith('.')) continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const dir of DIRS) if (existsSync(join(root, dir))) walk(join(root, dir));
  return out;
}

// ---- lexer: just enough TypeScript to find import specifiers ----

const KEYWORDS_BEFORE_EXPR = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/** Tokens: { t: 'id' | 'str' | 'punct', v }. Comments dropped; template literals and regexes read past. */
function tokenize(src) {
  const tokens = [];
  let i = 0;
  const n = src.length;
  // a '/' starts a regular expression where an expression may begin (after an operator, '(' or a keyword)
  const regexAllowed = () => {
    const last = tokens[tokens.length - 1];
    if (!last) return true;
    if (last.t === 'str' || last.t === 'num' || last.t === 'tmpl') return false;
    if (last.t === 'id') return KEYWORDS_BEFORE_EXPR.has(last.v);
    return !(last.v === ')' || last.v === ']' || last.v === '}');
  };
  const readString = (q) => {
    let s = '';
    i++;
    while (i < n && src[i] !== q) {
      if (src[i] === '\\') {
        s += src[i + 1] ?? '';
        i += 2;
      } else if (src[i] === '\n')
        break; // unterminated: stop at the line's end
      else s += src[i++];
    }
    i++;
    return s;
  };
  // template literal from after its opening backtick; nested ${ ... } are lexed as code (they may hold imports)
  const readTemplate = () => {
    i++;
    while (i < n) {
      const c = src[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        return;
      } else if (c === '$' && src[i + 1] === '{') {
        i += 2;
        lexCode(true);
      } else i++;
    }
  };
  const readRegex = () => {
    i++;
    let inClass = false;
    while (i < n) {
      const c = src[i];
      if (c === '\\') i += 2;
      else if (c === '\n') return;
      else {
        i++;
        if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
      }
    }
    while (i < n && /[a-z]/i.test(src[i])) i++;
  };
  // lexes code until the end, or (inTemplate) until the '}' that closes a template's ${
  function lexCode(inTemplate) {
    let depth = 0;
    while (i < n) {
      const c = src[i];
      const d = src[i + 1];
      if (c === '/' && d === '/') {
        while (i < n && src[i] !== '\n') i++;
      } else if (c === '/' && d === '*') {
        const end = src.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c === '"' || c === "'") {
        tokens.push({ t: 'str', v: readString(c) });
      } else if (c === '`') {
        readTemplate();
        tokens.push({ t: 'tmpl', v: '`' });
      } else if (c === '/' && regexAllowed()) {
        readRegex();
        tokens.push({ t: 'tmpl', v: '/re/' });
      } else if (/[A-Za-z_$]/.test(c)) {
        let j = i + 1;
        while (j < n && /[\w$]/.test(src[j])) j++;
        tokens.push({ t: 'id', v: src.slice(i, j) });
        i = j;
      } else if (/[0-9]/.test(c)) {
        let j = i + 1;
        while (j < n && /[\w.]/.test(src[j])) j++;
        tokens.push({ t: 'num', v: src.slice(i, j) });
        i = j;
      } else if (/\s/.test(c)) {
        i++;
      } else {
        if (inTemplate && c === '{') depth++;
        if (inTemplate && c === '}') {
          if (depth === 0) {
            i++;
            return;
          }
          depth--;
        }
        tokens.push({ t: 'punct', v: c });
        i++;
      }
    }
  }
  lexCode(false);
  return tokens;
}

const DECLARATION = new Set([
  'function',
  'class',
  'const',
  'let',
  'var',
  'interface',
  'type',
  'enum',
  'default',
  'abstract',
  'async',
  'declare',
  'namespace',
]);

/**
 * The module specifiers a file imports: { spec, kind } with kind 'static', 'type' (import type / export type, or
 * every name in the braces marked `type`), or 'dynamic' (import('x'), also as a type, and require('x')).
 */
export function importsOf(src) {
  const tk = tokenize(src);
  const out = [];
  for (let k = 0; k < tk.length; k++) {
    const tok = tk[k];
    if (tok.t !== 'id') continue;
    const prev = tk[k - 1];
    if (prev && prev.t === 'punct' && prev.v === '.') continue; // x.import / x.require
    const next = tk[k + 1];
    if ((tok.v === 'import' || tok.v === 'require') && next?.v === '(' && tk[k + 2]?.t === 'str') {
      out.push({ spec: tk[k + 2].v, kind: 'dynamic' });
      continue;
    }
    if (tok.v !== 'import' && tok.v !== 'export') continue;
    if (tok.v === 'import' && next?.t === 'str') {
      out.push({ spec: next.v, kind: 'static' });
      continue;
    }
    // import ... from 'x' / export ... from 'x': scan to `from` STRING before the statement ends
    const typeKeyword = next?.t === 'id' && next.v === 'type' && tk[k + 2]?.v !== 'from' && tk[k + 2]?.v !== '=';
    let braces = 0;
    let names = 0; // names inside { }
    let typedNames = 0; // of them, marked `type`
    let outside = 0; // tokens outside { } (a default or namespace import, `*`)
    let expectName = false;
    for (let m = k + (typeKeyword ? 2 : 1); m < tk.length; m++) {
      const t = tk[m];
      if (t.t === 'punct') {
        if (t.v === '{') {
          braces++;
          expectName = true;
        } else if (t.v === '}') braces--;
        else if (t.v === ',') expectName = braces > 0;
        else if (braces === 0 && t.v !== '*')
          break; // `;`, `=`, `(`, `.`, `:`, `<`: not an import clause
        else if (braces === 0) outside++;
        continue;
      }
      if (braces > 0) {
        if (t.t === 'id' && expectName) {
          names++;
          if (t.v === 'type' && tk[m + 1]?.t === 'id' && tk[m + 1].v !== 'as') typedNames++;
          expectName = false;
        }
        continue;
      }
      if (t.t === 'id' && t.v === 'from' && tk[m + 1]?.t === 'str') {
        // `import { type A, type B } from 'x'` is erased at runtime like `import type`
        const typeOnly = typeKeyword || (names > 0 && typedNames === names && outside === 0);
        out.push({ spec: tk[m + 1].v, kind: typeOnly ? 'type' : 'static' });
        break;
      }
      if (t.t !== 'id' || DECLARATION.has(t.v) || t.v === 'import' || t.v === 'export') break; // export const / class / ...: no module here
      outside++;
    }
  }
  return out;
}

// ---- resolution and the graph ----

const EXTENSIONS = ['', '.ts', '.tsx', '.d.ts', '/index.ts', '/index.tsx'];

/** The file a specifier names, or null for packages, non-TypeScript files and anything outside the source set. */
function resolveSpec(root, from, spec, files) {
  let base;
  if (spec.startsWith('@/')) base = join(root, spec.slice(2));
  else if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') base = resolve(dirname(from), spec);
  else return null;
  const stripped = base.replace(/\.(m?js|jsx)$/, ''); // "./x.js" written for "./x.ts"
  for (const b of stripped === base ? [base] : [base, stripped]) for (const ext of EXTENSIONS) if (files.has(b + ext)) return b + ext;
  return null;
}

/** { nodes: string[], edges: Map<file, Map<file, kind>> } for the sources under root. */
export function importGraph(root) {
  const list = sourceFiles(root);
  const files = new Set(list);
  const edges = new Map();
  for (const f of list) {
    const to = new Map();
    for (const { spec, kind } of importsOf(readFileSync(f, 'utf8'))) {
      const target = resolveSpec(root, f, spec, files);
      if (!target) continue;
      // a value import outweighs a type-only or dynamic one in the report
      const prev = to.get(target);
      if (!prev || kind === 'static') to.set(target, kind);
    }
    edges.set(f, to);
  }
  return { nodes: list, edges };
}

/** Tarjan's strongly connected components (iterative), each as a list of files. */
function stronglyConnected(nodes, edges) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  for (const start of nodes) {
    if (idx.has(start)) continue;
    const work = [[start, [...edges.get(start).keys()], 0]];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, succ] = frame;
      if (frame[2] < succ.length) {
        const w = succ[frame[2]++];
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push([w, [...edges.get(w).keys()], 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u), low.get(v)));
      }
      if (low.get(v) === idx.get(v)) {
        const comp = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        out.push(comp);
      }
    }
  }
  return out;
}

/** The shortest cycle through `start` inside one component (breadth-first), as a closed path. */
function shortestCycle(start, comp, edges) {
  const inComp = new Set(comp);
  const parent = new Map();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length) {
    const v = queue.shift();
    for (const w of edges.get(v).keys()) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]));
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return null;
}

/**
 * The cycles among the sources under root: for every component of mutually importing files, the shortest cycle
 * through each of its files (duplicates dropped), so each file's part in it shows.
 */
export function findCycles(root) {
  const { nodes, edges } = importGraph(root);
  const cycles = [];
  for (const comp of stronglyConnected(nodes, edges)) {
    if (comp.length === 1 && !edges.get(comp[0]).has(comp[0])) continue;
    const seen = new Set();
    for (const f of [...comp].sort()) {
      const c = shortestCycle(f, comp, edges);
      if (!c) continue;
      // the same cycle from another starting file: compare its rotation that starts at its smallest file
      const ring = c.slice(0, -1);
      const m = ring.indexOf([...ring].sort()[0]);
      const key = [...ring.slice(m), ...ring.slice(0, m)].join('\n');
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push({ files: comp.length, path: c, kinds: c.slice(1).map((to, i) => edges.get(c[i]).get(to)) });
    }
  }
  return cycles;
}

function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(process.argv[2] ?? join(here, '..'));
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    console.error(`check-cycles: ${root} is not a folder`);
    process.exit(2);
  }
  const cycles = findCycles(root);
  const rel = (f) => relative(root, f).split(sep).join('/');
  if (!cycles.length) {
    console.log(`check-cycles: no import cycles among ${DIRS.join(', ')}`);
    return;
  }
  console.error(`check-cycles: ${cycles.length} import cycle${cycles.length === 1 ? '' : 's'}:`);
  for (const c of cycles) {
    const parts = [rel(c.path[0])];
    c.kinds.forEach((k, i) => parts.push(`${k === 'static' ? '->' : `-(${k})->`} ${rel(c.path[i + 1])}`));
    console.error(`  ${parts.join(' ')}`);
  }
  console.error('Move what both sides need into a lower module that both import (e.g. a types file).');
  process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
