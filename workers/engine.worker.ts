/// <reference lib="webworker" />
// The engine worker: typed commands in, lib/session calls, typed events out. Nothing else lives here.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend/init';
import { toErrorInfo } from '../lib/errors';
import type { Command, EngineEvent } from '../lib/protocol';
import type { SessionHost } from '../lib/session/context';
import * as data from '../lib/session/datasets';
import * as lists from '../lib/session/lists';
import * as models from '../lib/session/models';
import * as runs from '../lib/session/runs';
import * as tuner from '../lib/session/tune';
import * as use from '../lib/session/inference';
import * as ner from '../lib/session/ner';
import * as exporter from '../lib/session/export';
import * as zip from '../lib/session/zip';
import * as bundle from '../lib/session/bundle';
import { webWorkerStarter } from './start-pool-worker';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const host: SessionHost = { post: (ev: EngineEvent, transfer: Transferable[] = []) => scope.postMessage(ev, transfer) };
const post = host.post;

/** Pool threads (workers/pool.worker.ts, bundled next to this file): data-parallel training, head-only features. */
const startPoolWorker = webWorkerStarter(new URL('./pool.worker.js', import.meta.url));

async function handle(cmd: Command): Promise<void> {
  switch (cmd.type) {
    case 'init': {
      const info = await initBackend({ preference: cmd.preference, wasmPath: cmd.wasmPath });
      // runs on wasm train data-parallel (head-only: encode) on one thread per core; the memory a browser reports
      // (navigator.deviceMemory, in GB, at most 8) caps how many replicas of a large model run at once
      const nav = navigator as Navigator & { deviceMemory?: number };
      host.threads = {
        threads: Math.max(1, nav.hardwareConcurrency || 1),
        memoryBytes: nav.deviceMemory ? nav.deviceMemory * 1024 ** 3 : undefined,
        start: startPoolWorker,
        backend: { preference: 'wasm', wasmPath: cmd.wasmPath, wasmThreads: false },
      };
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
    case 'lists-watch':
      return lists.watch(host, cmd);
    case 'dataset-preview':
      return data.preview(host, cmd);
    case 'dataset-import':
      return data.importDataset(host, cmd);
    case 'dataset-report':
      return data.report(host, cmd);
    case 'dataset-fix':
      return data.fix(host, cmd);
    case 'recipe-facts':
      return data.recipeFacts(host, cmd);
    case 'dataset-clean':
      return data.clean(host, cmd);
    case 'dataset-delete':
      return data.remove(host, cmd);
    case 'dataset-rename':
      return data.rename(host, cmd);
    case 'dataset-training-data':
      return data.trainingDataCommand(host, cmd);
    case 'model-load':
      return models.load(host, cmd);
    case 'train-start':
      return runs.start(host, cmd);
    case 'suspicious-rows':
      return use.suspiciousRows(host, cmd);
    case 'run-rename':
      return runs.rename(host, cmd);
    case 'run-resume':
      return runs.resume(host, cmd);
    case 'run-estimate':
      return runs.estimate(host, cmd);
    case 'sweep-start':
      return runs.sweep(host, cmd);
    case 'cv-start':
      return runs.crossValidate(host, cmd);
    case 'tune-start':
      return tuner.tune(host, cmd);
    case 'run-control':
      return runs.control(host, cmd);
    case 'run-history':
      return runs.history(host, cmd);
    case 'run-delete':
      return runs.remove(host, cmd);
    case 'predict':
      return use.predict(host, cmd);
    case 'predict-csv':
      return use.predictCsv(host, cmd);
    case 'predict-entities':
      return ner.entities(host, cmd);
    case 'evaluate':
      return use.evaluate(host, cmd);
    case 'export-zip':
      return exporter.exportRun(host, cmd);
    case 'import-zip':
      return zip.importZip(host, cmd);
    case 'bundle-export':
      return bundle.exportBundle(host, cmd);
    case 'bundle-inspect':
      return bundle.inspectBundle(host, cmd);
    case 'bundle-import':
      return bundle.importBundle(host, cmd);
  }
}

/** Posts an error for `requestId`; if even that cannot be posted (an error that does not clone), a plain one. */
function postError(requestId: string | undefined, err: unknown): void {
  try {
    post({ type: 'error', requestId, error: toErrorInfo(err) });
  } catch (e) {
    post({ type: 'error', requestId, error: { kind: 'internal', message: `${String(err)} (and it could not be sent: ${String(e)})` } });
  }
}

// every command that throws answers its request with the error
scope.onmessage = (e: MessageEvent<Command>) => {
  const cmd = e.data;
  const requestId = 'requestId' in cmd ? cmd.requestId : undefined;
  handle(cmd).catch((err) => postError(requestId, err));
};
// a command that could not be read, or a promise that failed with nobody awaiting it: the page shows these as notices
scope.onmessageerror = () => postError(undefined, new Error('the engine could not read a command from the page'));
scope.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  e.preventDefault();
  postError(undefined, e.reason);
});
