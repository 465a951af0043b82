import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter, planBackends, type EnvironmentProbe } from '@/lib/backend/select';

const base: EnvironmentProbe = { webgpu: null, wasm: true, webgl: true, crossOriginIsolated: true };

describe('planBackends', () => {
  it('puts webgpu first only for a real GPU adapter', () => {
    const real = planBackends({ ...base, webgpu: { isFallbackAdapter: false, vendor: 'nvidia' } });
    expect(real.order).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
  });

  it('skips a fallback (SwiftShader) adapter and says why', () => {
    const plan = planBackends({ ...base, webgpu: { isFallbackAdapter: true, vendor: 'google', architecture: 'swiftshader' } });
    expect(plan.order).toEqual(['wasm', 'webgl', 'cpu']);
    expect(plan.reasons.webgpu).toMatch(/software fallback/);
  });

  it('recognises software adapters by name even when isFallbackAdapter is false', () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: false, description: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: false, vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: false, vendor: 'apple', architecture: 'metal-3' })).toBe(false);
  });

  it('explains whether wasm gets threads', () => {
    expect(planBackends(base).reasons.wasm).toMatch(/threads/);
    expect(planBackends({ ...base, crossOriginIsolated: false }).reasons.wasm).toMatch(/single thread/);
  });

  it('falls back to webgl then cpu without wasm', () => {
    expect(planBackends({ ...base, wasm: false }).order).toEqual(['webgl', 'cpu']);
    expect(planBackends({ ...base, wasm: false, webgl: false }).order).toEqual(['cpu']);
  });

  it('puts a user override first, keeping the automatic order as fallback', () => {
    const plan = planBackends({ ...base, webgpu: { isFallbackAdapter: true } }, 'webgpu');
    expect(plan.order).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(plan.reasons.webgpu).toMatch(/chosen by you/);
    expect(planBackends(base, 'cpu').order).toEqual(['cpu', 'wasm', 'webgl']);
  });
});
