/// <reference lib="webworker" />
// The engine worker: typed commands in, engine calls, typed events out. Nothing else lives here.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend/init';
import { toErrorInfo } from '../lib/errors';
import type { Command, EngineEvent } from '../lib/protocol';

const post = (ev: EngineEvent) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(ev);

async function handle(cmd: Command): Promise<void> {
  switch (cmd.type) {
    case 'init': {
      const info = await initBackend({ preference: cmd.preference, wasmPath: cmd.wasmPath });
      post({ type: 'ready', requestId: cmd.requestId, info });
      return;
    }
    case 'matmul': {
      const out = tf.tidy(() => tf.matMul(tf.tensor2d(cmd.a, [cmd.m, cmd.k]), tf.tensor2d(cmd.b, [cmd.k, cmd.n])));
      const values = Array.from(await out.data());
      out.dispose();
      post({ type: 'matmul-result', requestId: cmd.requestId, backend: tf.getBackend(), values });
      return;
    }
  }
}

self.onmessage = (e: MessageEvent<Command>) => {
  const cmd = e.data;
  handle(cmd).catch((err) => post({ type: 'error', requestId: 'requestId' in cmd ? cmd.requestId : undefined, error: toErrorInfo(err) }));
};
