// How many threads a run uses (lib/run/threads.ts): every core unless set, fewer where the replicas would not fit in
// half of the machine's memory (saying so), one on a GPU backend.
import { describe, expect, it } from 'vitest';
import { maxThreads, planThreads, replicaBytes } from '@/lib/run/threads';

const GB = 1024 ** 3;

describe('planThreads', () => {
  it('uses every core, or the count asked for, and says why', () => {
    expect(planThreads({ threads: 8, params: 7e6, backend: 'wasm', memoryBytes: 16 * GB })).toEqual({ threads: 8, why: 'one per core' });
    expect(planThreads({ threads: 3, requested: true, params: 7e6, backend: 'wasm' })).toEqual({ threads: 3, why: 'as set' });
    expect(planThreads({ threads: 1, params: 7e6, backend: 'wasm' }).why).toBe('this machine has one core');
  });

  it('caps the replicas to half of the memory, naming the figures', () => {
    // BERT-base: 110 M parameters, about 8.2 GB per replica: not even one fits in half of 16 GB, so it trains on one
    const base = planThreads({ threads: 8, params: 110e6, backend: 'wasm', memoryBytes: 16 * GB });
    expect(base.threads).toBe(1);
    expect(base.why).toMatch(
      /^8 asked \(one per core\), but one replica of this model \(about 8\.2 GB each\) fit in half of the machine's 16 GB$/,
    );
    const small = planThreads({ threads: 8, params: 20e6, backend: 'wasm', memoryBytes: 8 * GB });
    expect(small.threads).toBe(Math.floor((4 * GB) / replicaBytes(20e6)));
    expect(small.why).toMatch(/replicas of this model/);
  });

  it('trains in one thread on a GPU backend', () => {
    expect(planThreads({ threads: 8, params: 7e6, backend: 'webgpu' })).toEqual({
      threads: 1,
      why: 'the webgpu backend computes each batch on its own device',
    });
  });

  it('allows up to 4 threads per core', () => {
    expect(maxThreads(2)).toBe(8);
    expect(maxThreads(0)).toBe(4);
  });
});
