// Training on WebGPU reads nothing back inside a step (lib/train/fine-tune.ts: the clipping factor stays on the
// device, each step's loss is read while the next one runs) and trains the same run as wasm: ten steps of a tiny BERT
// with dropout, clipping and a weight average, in a Web Worker in headless Chromium, on the SwiftShader adapter
// (a CPU emulator: correctness, not speed) and on wasm, both padding to multiples of 16 (the GPU default); every
// step's loss and every weight agree to 1e-4. It found tfjs-backend-webgpu's batched-submission bug (lib/backend/init.ts).
import { serveWorkers, type ServedWorkers } from '../helpers/browser-worker';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from './browser';

interface Result {
  backend: string;
  fallbackAdapter: boolean | null;
  losses: number[];
  weights: Record<string, number[]>;
}

let served: ServedWorkers;
let browser: Browser;

beforeAll(async () => {
  served = await serveWorkers({ worker: 'tests/e2e/pages/gpu-train.worker.ts' });
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  served?.close();
});

async function trainOn(backend: 'wasm' | 'webgpu'): Promise<Result> {
  const page = await browser.newPage();
  try {
    await page.goto(`${served.origin}/`);
    return await page.evaluate(
      (b) =>
        new Promise<Result>((resolve, reject) => {
          const w = new Worker('/worker.js', { type: 'module' });
          w.onerror = (e) => reject(new Error(e.message));
          w.onmessage = (ev) => (ev.data.error ? reject(new Error(ev.data.error)) : resolve(ev.data));
          w.postMessage({ backend: b });
        }),
      backend,
    );
  } finally {
    await page.close();
  }
}

describe('training on WebGPU (SwiftShader) without read-backs inside a step', () => {
  it("gives every step's loss and the final weights of the wasm run to 1e-4 over 10 steps", async () => {
    const wasm = await trainOn('wasm');
    const gpu = await trainOn('webgpu');
    console.log(JSON.stringify({ wasm: wasm.losses, gpu: gpu.losses }));
    expect(wasm.backend).toBe('wasm');
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.fallbackAdapter).toBe(true);
    expect(gpu.losses).toHaveLength(10);
    gpu.losses.forEach((l, i) => expect(Math.abs(l - wasm.losses[i]), `step ${i + 1}`).toBeLessThan(1e-4));
    let worst = 0;
    for (const [name, w] of Object.entries(wasm.weights))
      w.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - gpu.weights[name][i]))));
    expect(worst).toBeLessThan(1e-4);
    // the weights moved: equal weights do not come from an untrained model
    expect(wasm.losses[9]).not.toBe(wasm.losses[0]);
  });
});
