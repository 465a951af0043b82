// Lint: typescript-eslint's recommended rules, plus the architecture rule that lib/ (the engine) stays free of
// React, Next and the UI so it runs the same in Node and in the worker; the rule that only lib/backend's seam
// (fast-paths.ts) and init.ts import the wasm kernels; and the rule that the UI reads stored data through the worker.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ENGINE_PATTERNS = [
  {
    group: ['react', 'react-dom', 'react/*', 'next', 'next/*', 'zustand', 'recharts'],
    message: 'lib/ is the engine: no React/Next/UI imports.',
  },
  { group: ['**/components/**', '**/app/**', '**/workers/**'], message: 'lib/ must not import from the app, components or workers.' },
];
// Backend fast paths go through one seam: lib/backend/fast-paths.ts answers "is there one for this backend?".
const WASM_KERNELS = { group: ['**/wasm-kernels', '**/wasm-kernels.ts'], message: 'ask lib/backend/fast-paths.ts, not wasm-kernels.ts.' };
// ... whose shared state and data-movement kernels are its own
const WASM_INTERNALS = {
  group: ['**/wasm-heap', '**/wasm-heap.ts', '**/wasm-copy-kernels', '**/wasm-copy-kernels.ts'],
  message: 'internal to lib/backend/wasm-kernels.ts: ask lib/backend/fast-paths.ts.',
};
// The worker owns the studio's IndexedDB: the page asks for stored data with a protocol command (lib/protocol.ts).
const STORE = {
  group: ['dexie', 'dexie/*', '@/lib/store/*', '**/lib/store/*'],
  message: 'components and pages read stored data through the engine worker (lib/protocol.ts), not from IndexedDB.',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.next/', '.next-*/', 'public/', 'test-results/', 'next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', globalThis: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-undef': 'off',
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...ENGINE_PATTERNS, WASM_KERNELS, WASM_INTERNALS] }],
      'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'sessionStorage'],
    },
  },
  {
    // the seam and the backend's initialisation are the only importers of the wasm kernels
    files: ['lib/backend/fast-paths.ts', 'lib/backend/init.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...ENGINE_PATTERNS, WASM_INTERNALS] }] },
  },
  {
    files: ['lib/backend/wasm-kernels.ts', 'lib/backend/wasm-copy-kernels.ts', 'lib/backend/simd-kernels.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ENGINE_PATTERNS }] },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['lib/**', 'tests/unit/backend/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [WASM_KERNELS, WASM_INTERNALS] }] },
  },
  {
    files: ['components/**/*.{ts,tsx}', 'app/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [WASM_KERNELS, WASM_INTERNALS, STORE] }] },
  },
);
