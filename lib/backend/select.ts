// Which TF.js backend to use, and why. Pure: takes what the environment offers, returns an ordered plan.

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
export type BackendPreference = BackendName | 'auto';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

export interface GpuAdapterFacts {
  isFallbackAdapter: boolean;
  vendor?: string;
  architecture?: string;
  description?: string;
}

export interface EnvironmentProbe {
  /** null when navigator.gpu is absent or requestAdapter() gave nothing */
  webgpu: GpuAdapterFacts | null;
  wasm: boolean;
  webgl: boolean;
  crossOriginIsolated: boolean;
}

export interface BackendPlan {
  /** Backends to try, in order; the first whose setBackend() succeeds wins. */
  order: BackendName[];
  /** Why each backend is where it is (shown in the UI next to the badge). */
  reasons: Partial<Record<BackendName, string>>;
}

/** A software adapter (SwiftShader, llvmpipe, "Basic Render Driver") is a CPU emulator, 30-60x slower than wasm. */
export function isSoftwareAdapter(a: GpuAdapterFacts): boolean {
  if (a.isFallbackAdapter) return true;
  const text = `${a.vendor ?? ''} ${a.architecture ?? ''} ${a.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|basic render|microsoft basic/.test(text);
}

export function planBackends(env: EnvironmentProbe, preference: BackendPreference = 'auto'): BackendPlan {
  const reasons: Partial<Record<BackendName, string>> = {};
  const auto: BackendName[] = [];
  if (env.webgpu && !isSoftwareAdapter(env.webgpu)) {
    auto.push('webgpu');
    reasons.webgpu = `real GPU adapter (${env.webgpu.vendor || env.webgpu.description || 'unknown vendor'})`;
  } else if (env.webgpu) {
    reasons.webgpu = 'skipped: the WebGPU adapter is a software fallback (CPU emulation, far slower than wasm)';
  } else {
    reasons.webgpu = 'skipped: WebGPU is not available in this browser';
  }
  if (env.wasm) {
    auto.push('wasm');
    reasons.wasm = env.crossOriginIsolated
      ? 'WebAssembly with SIMD and threads (page is cross-origin isolated)'
      : 'WebAssembly, single thread (page is not cross-origin isolated, so no threads)';
  } else {
    reasons.wasm = 'skipped: WebAssembly is not available';
  }
  if (env.webgl) {
    auto.push('webgl');
    reasons.webgl = 'WebGL fallback';
  } else {
    reasons.webgl = 'skipped: WebGL is not available';
  }
  auto.push('cpu');
  reasons.cpu = 'plain JavaScript, always available, slowest';

  if (preference === 'auto') return { order: auto, reasons };
  // A user's explicit choice goes first even when auto would skip it (e.g. webgpu on SwiftShader for testing);
  // the automatic order follows as the fallback if it fails to initialise.
  reasons[preference] = `chosen by you (${reasons[preference] ?? ''})`;
  return { order: [preference, ...auto.filter((b) => b !== preference)], reasons };
}
