// Initialises TF.js on the best available backend: probes the environment, then tries each planned backend,
// checking setBackend()'s result (a failed 'webgpu' leaves tfjs unusable until another backend is set).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount, setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { KernelStatus } from './kernel-status';
import { installWasmKernels, uninstallWasmKernels, wasmKernelStatus } from './wasm-kernels';
import { planBackends, type BackendName, type BackendPreference, type EnvironmentProbe, type GpuAdapterFacts } from './select';

export interface BackendInfo {
  backend: BackendName;
  reason: string;
  /** backends tried before this one, with the error each gave */
  failed: { backend: BackendName; error: string }[];
  adapter: GpuAdapterFacts | null;
  crossOriginIsolated: boolean;
  threads: number;
  /** true when any of the engine's own wasm kernels (lib/backend/wasm-kernels.ts) is in use */
  fastKernels: boolean;
  /** on wasm with the engine kernels asked for: which are installed and, for each one left out, why (its
   *  self-test failed, or a tfjs internal it uses is missing); null otherwise */
  kernels: KernelStatus | null;
}

interface GpuLike {
  requestAdapter(): Promise<{
    isFallbackAdapter?: boolean;
    info?: GpuAdapterFacts;
    requestAdapterInfo?: () => Promise<GpuAdapterFacts>;
  } | null>;
}

export async function probeEnvironment(): Promise<EnvironmentProbe> {
  const g = globalThis as unknown as {
    navigator?: { gpu?: GpuLike };
    crossOriginIsolated?: boolean;
    WebGL2RenderingContext?: unknown;
    OffscreenCanvas?: unknown;
    document?: unknown;
    WebAssembly?: unknown;
  };
  let webgpu: GpuAdapterFacts | null = null;
  try {
    const adapter = await g.navigator?.gpu?.requestAdapter();
    if (adapter) {
      const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : undefined);
      webgpu = {
        isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? info?.isFallbackAdapter),
        vendor: info?.vendor,
        architecture: info?.architecture,
        description: info?.description,
      };
    }
  } catch {
    webgpu = null;
  }
  return {
    webgpu,
    wasm: typeof g.WebAssembly === 'object',
    webgl: typeof g.WebGL2RenderingContext !== 'undefined' || typeof g.OffscreenCanvas !== 'undefined',
    crossOriginIsolated: Boolean(g.crossOriginIsolated),
  };
}

let registeredWebGpu = false;
async function ensureWebGpuRegistered(): Promise<void> {
  if (registeredWebGpu) return;
  await import('@tensorflow/tfjs-backend-webgpu'); // registers 'webgpu' on import; loaded only when needed
  registeredWebGpu = true;
}

export interface InitOptions {
  preference?: BackendPreference;
  /** URL prefix (browser) where the tfjs-backend-wasm .wasm files are served. Node finds them itself. */
  wasmPath?: string;
  /** On wasm, use the engine's own kernels (lib/backend/wasm-kernels.ts), each after its self-test. Default true;
   *  false keeps (or puts back) tfjs's stock kernels (benchmarks compare the two). */
  fastWasmKernels?: boolean;
  /** false: the single-threaded wasm build even where threads are available (a feature-pool thread is itself one of
   *  the parallel threads; the threaded build would start its own pool of workers). Default true. */
  wasmThreads?: boolean;
}

export async function initBackend(opts: InitOptions = {}): Promise<BackendInfo> {
  const env = await probeEnvironment();
  const plan = planBackends(env, opts.preference ?? 'auto');
  if (opts.wasmPath) setWasmPaths(opts.wasmPath);
  // tfjs-wasm's default pool is half the logical cores (it assumes 2 hyper-threads per core), i.e. ONE thread on a
  // 2-core machine; use every logical core instead, capped at the 8 pre-spawned pthread workers.
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 0;
  const threaded = env.crossOriginIsolated && opts.wasmThreads !== false;
  if (opts.wasmThreads === false) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (threaded && cores > 0) setThreadsCount(Math.min(8, cores));
  const failed: BackendInfo['failed'] = [];
  for (const backend of plan.order) {
    try {
      if (backend === 'webgpu') {
        await ensureWebGpuRegistered();
        // tfjs-backend-webgpu 4.22 batches up to 15 kernels per queue submission; a tensor disposed while a batched
        // kernel still reads it gives its buffer back to the pool, and the next upload (a batch's token ids, a
        // dropout mask) writes into it before the kernel runs. Training then reads stale or foreign data: the same
        // loss every step, or negative cross-entropies (tests/e2e/webgpu-train.test.ts on SwiftShader). Submitting
        // each kernel at once keeps every buffer's contents until its readers have run.
        tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1);
      }
      const ok = await tf.setBackend(backend);
      if (!ok) throw new Error(`tf.setBackend('${backend}') returned false`);
      await tf.ready();
      // A backend can initialise yet fail on first use; run one tiny op to be sure.
      const check = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
      const v = (await check.data())[0];
      check.dispose();
      if (v !== 3) throw new Error(`backend self-check computed 1+2=${v}`);
      const kernels = backend === 'wasm' ? wasmKernels(opts.fastWasmKernels !== false) : null;
      return {
        fastKernels: Boolean(kernels?.installed.length),
        kernels,
        backend,
        reason: plan.reasons[backend] ?? '',
        failed,
        adapter: env.webgpu,
        crossOriginIsolated: env.crossOriginIsolated,
        threads: backend === 'wasm' && threaded ? threadsInUse() : 1,
      };
    } catch (e) {
      failed.push({ backend, error: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new Error(`No TF.js backend could start: ${failed.map((f) => `${f.backend}: ${f.error}`).join('; ')}`);
}

/** Installs the engine's wasm kernels (once; a later call reports the same status), or puts the stock ones back. */
function wasmKernels(wanted: boolean): KernelStatus | null {
  if (wanted) return installWasmKernels();
  if (wasmKernelStatus()) uninstallWasmKernels();
  return null;
}

/** XNNPACK's actual pool size, read from the wasm module after initialisation. */
function threadsInUse(): number {
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}
