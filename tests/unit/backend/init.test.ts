import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@/lib/backend/init';

describe('initBackend in Node', () => {
  it('starts the wasm backend and computes a known matmul', async () => {
    const info = await initBackend();
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const out = tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]));
    expect(Array.from(await out.data())).toEqual([58, 64, 139, 154]);
  });

  it('records a failing preferred backend and falls back (webgpu is absent in Node)', async () => {
    const info = await initBackend({ preference: 'webgpu' });
    expect(info.failed[0]?.backend).toBe('webgpu');
    expect(info.backend).toBe('wasm');
  });
});
