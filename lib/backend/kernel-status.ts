// What the engine's own wasm kernels (lib/backend/wasm-kernels.ts) did at start: which are in use and, for each one
// left out (the stock tfjs kernel or the plain tensor ops stay in its place), why. Pure: the UI shows it.

/** Every kernel and in-place fast path the engine installs on the wasm backend, in the order the UI lists them. */
export const ENGINE_KERNELS = [
  'BatchMatMul',
  'GatherV2',
  'ScatterNd',
  'Transpose',
  'Identity',
  'Sum',
  'Slice',
  'SplitV',
  'Concat',
  'FinetuneLayerNorm',
  'FinetuneLayerNormGrad',
  'FinetuneGelu',
  'FinetuneGeluGrad',
  'FinetuneSumSquares',
  'FinetuneDropout',
  'FinetuneSoftmaxGrad',
  'FinetuneBiasGelu',
  'InPlaceAdamStep',
  'InPlaceWeightAverage',
] as const;
export type EngineKernel = (typeof ENGINE_KERNELS)[number];

export interface KernelStatus {
  /** the engine kernels in use, in ENGINE_KERNELS order */
  installed: EngineKernel[];
  /** each engine kernel not in use, with the reason (a missing tfjs-backend-wasm internal, a failed self-test, ...) */
  skipped: { kernel: EngineKernel; reason: string }[];
  /** how many engine kernels there are (installed + skipped) */
  total: number;
  /** wall time of the internals checks and self-tests, in milliseconds */
  selfTestMs: number;
}

/** One line for the Settings screen, e.g. "engine kernels: 11 of 11 installed (self-test passed in 40 ms)". */
export function describeKernels(s: KernelStatus): string {
  const ms = Math.max(1, Math.round(s.selfTestMs));
  const head = `engine kernels: ${s.installed.length} of ${s.total} installed`;
  if (!s.skipped.length) return `${head} (self-test passed in ${ms} ms)`;
  return `${head} (self-test ${ms} ms); not installed: ${s.skipped.map((k) => `${k.kernel} (${k.reason})`).join('; ')}`;
}
