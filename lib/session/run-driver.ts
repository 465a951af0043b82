// Driving one studio run: fineTune's events (through lib/run/train-run.ts) forwarded to the page and stored. Step
// events are batched: one message and one metrics write per FLUSH_MS, so the page updates a few times a second; the
// runs table (live queries on the page) is touched every META_MS.
import * as tf from '@tensorflow/tfjs';
import { UserError, toErrorInfo, type ErrorInfo } from '../errors';
import type { RunRow, StudioDb } from '../store/db';
import { DexieRunStore } from '../store/db-runs';
import type { Checkpoint, CheckpointMeta } from '../store/types';
import { RunControls } from '../train/events';
import type { RunConfig } from '../run/config';
import { trainRun, type PreparedRun, type RunPorts, type ThreadsPort } from '../run/train-run';
import { maxThreads } from '../run/threads';
import { yieldToMessages, type SessionHost } from './context';
import { keepWarm, liveRuns } from './state';
import type { CheckpointInfo, EvalPoint, RunProgress, RunStatus, StepPoint } from './types';
import type { RunMeta } from './records';
import { evalPoint, headlineScore, isBetterEval, keptEval, metricRecordOf } from './metric-records';

const FLUSH_MS = 250;
const META_MS = 3000;

export interface Prepared extends PreparedRun {
  datasetName: string;
  modelLabel: string;
  /** inverse-frequency weights from the Data screen (override the run config's 'balanced') */
  classWeights?: number[];
}

/** Updates a stored run's settings record (and row fields). */
export async function patchMeta(db: StudioDb, runId: string, patch: Partial<RunMeta>, row?: Partial<RunRow>): Promise<void> {
  const r = await db.runs.get(runId);
  if (!r) return;
  await db.runs.update(runId, { ...row, config: { ...(r.config as RunMeta), ...patch }, updatedAt: Date.now() });
}

/** The host's threads with the run's own setting, where it has one (0 or absent: every core). */
export function threadsFor(c: RunConfig, host: SessionHost): ThreadsPort | undefined {
  if (!host.threads || !c.threads) return host.threads;
  const most = maxThreads(host.threads.threads);
  if (c.threads > most)
    throw new UserError(
      `${c.threads} threads is more than this machine can use (${most}: 4 per core, ${host.threads.threads} cores)`,
      { option: 'threads' },
      'set Threads to 0 to use every core',
    );
  return { ...host.threads, threads: c.threads, requested: true };
}

export function checkpointInfo(m: CheckpointMeta, evals: EvalPoint[]): CheckpointInfo {
  const at = evals.find((e) => e.step === m.step);
  return {
    id: m.id,
    step: m.step,
    epoch: m.epoch,
    reason: m.reason,
    best: m.best,
    bytes: 0,
    createdAt: m.createdAt,
    metric: at && headlineScore(at),
  };
}

/** Runs fineTune for a prepared run and forwards its events (batched) to the host and the database. */
export async function drive(
  host: SessionHost,
  db: StudioDb,
  runId: string,
  c: RunConfig,
  p: Prepared,
  resumeFrom?: Checkpoint,
  memo: Pick<RunPorts, 'featureMemo' | 'pairMemo'> = {},
  /** a resumed or continued run's time so far: its elapsed time counts the whole run, not this piece */
  elapsedBefore = 0,
): Promise<void> {
  const store = new DexieRunStore(db);
  const controls = new RunControls();
  const abort = new AbortController();
  liveRuns.set(runId, { controls, abort });
  const status = async (s: RunStatus, extra: { message?: string; error?: ErrorInfo } = {}) => {
    host.post({ type: 'run-status', runId, status: s, ...extra });
  };
  let pending: StepPoint[] = [];
  let pendingRecords: object[] = [];
  let lastFlush = 0;
  let lastMeta = 0;
  let progress: RunProgress = {
    epoch: 1,
    epochs: c.epochs,
    step: resumeFrom?.step ?? 0,
    totalSteps: 0,
    samplesPerSec: 0,
    etaSec: 0,
    elapsedSec: elapsedBefore,
    lrMultiplier: 1,
  };
  const evals: EvalPoint[] = resumeFrom ? resumeFrom.metricsSoFar.evals.map((e) => evalPoint(e.step, e.epoch, e.scalars)) : [];
  // a resumed run's best so far is among the evaluations before its checkpoint
  let best: EvalPoint | undefined;
  for (const e of evals) if (isBetterEval(e, best)) best = e;
  let plan = { epochs: 0, totalSteps: 0 };
  const started = performance.now();
  const flush = async (force = false) => {
    const now = performance.now();
    if (!force && now - lastFlush < FLUSH_MS) return;
    lastFlush = now;
    progress = { ...progress, elapsedSec: elapsedBefore + (now - started) / 1000, lrMultiplier: controls.lrMultiplier };
    if (pending.length || force) host.post({ type: 'run-steps', runId, points: pending, progress });
    pending = [];
    const recs = pendingRecords;
    pendingRecords = [];
    if (recs.length) await store.appendMetrics(runId, recs);
    // the runs table feeds live queries on the page: touch it every few seconds, not on every flush
    if (force || now - lastMeta > META_MS) {
      lastMeta = now;
      await patchMeta(db, runId, { progress, best });
    }
  };

  let threads = 1;
  try {
    await db.runs.update(runId, { status: 'running', updatedAt: Date.now() });
    await status('running');
    let last = 0;
    const onFeatureProgress = (done: number, total: number, n: number) => {
      threads = n;
      if (Date.now() - last < 250 && done < total) return;
      last = Date.now();
      void status('running', {
        message:
          `Encoding the data once (head-only mode${n > 1 ? `, ${n} threads` : ''}): ` +
          `${done.toLocaleString('en')} of ${total.toLocaleString('en')} examples.`,
      });
    };
    const ports = {
      signal: abort.signal,
      store,
      runId,
      controls,
      resumeFrom,
      threads: threadsFor(c, host),
      classWeights: p.classWeights,
      onFeatureProgress,
      wordBaseline: true,
      ...memo,
    };
    let computeThreads = 1;
    for await (const ev of trainRun(c, p, ports)) {
      switch (ev.type) {
        case 'status':
          if (ev.threads) computeThreads = ev.threads;
          if (ev.baseline) await patchMeta(db, runId, { baseline: ev.baseline });
          await status('running', { message: ev.message.charAt(0).toUpperCase() + ev.message.slice(1) + '.' });
          break;
        case 'start':
          progress = { ...progress, epochs: ev.epochs, totalSteps: ev.totalSteps };
          plan = { epochs: ev.epochs, totalSteps: ev.totalSteps };
          if (ev.featureCacheSec !== undefined)
            await status('running', {
              message:
                `Encoded the data once in ${ev.featureCacheSec.toFixed(1)} s` +
                `${threads > 1 ? ` on ${threads} threads` : ''} (head-only mode).`,
            });
          await flush(true);
          break;
        case 'step': {
          const record = metricRecordOf(ev);
          const { kind: _kind, ...point } = record;
          pending.push(point);
          pendingRecords.push(record);
          // the total follows extended epochs (the engine's plan as it stands at this step)
          const epochs = c.epochs + controls.extraEpochs;
          const planned = plan.epochs ? Math.round((plan.totalSteps / plan.epochs) * epochs) : progress.totalSteps;
          const totalSteps = Math.max(ev.step, ev.totalSteps ?? planned);
          progress = {
            ...progress,
            step: ev.step,
            epoch: ev.epoch + 1,
            epochs,
            samplesPerSec: ev.samplesPerSec,
            etaSec: ev.etaSec,
            totalSteps,
          };
          await flush();
          break;
        }
        case 'eval': {
          // the steps before it reach the page first (its curves); the database writes wait for the next timed flush
          // (a head-only run over a few rows evaluates every few milliseconds: writing each time doubled its time)
          if (pending.length) host.post({ type: 'run-steps', runId, points: pending, progress });
          pending = [];
          const record = metricRecordOf(ev);
          const { kind: _kind, ...e } = record;
          evals.push(e);
          if (isBetterEval(e, best)) best = e;
          pendingRecords.push(record);
          host.post({ type: 'run-eval', runId, eval: e });
          await flush();
          break;
        }
        case 'checkpoint': {
          // the loop deletes older periodic checkpoints as it goes: send the stored list, not just the new one
          const metas = await store.listCheckpoints(runId);
          host.post({ type: 'run-checkpoints', runId, checkpoints: metas.map((m) => checkpointInfo(m, evals)) });
          break;
        }
        case 'state':
          await flush(true);
          await db.runs.update(runId, { status: ev.state, updatedAt: Date.now() });
          await status(ev.state);
          break;
        case 'early-stop':
          await status('running', {
            message:
              `Stopped early: validation ${ev.metric} did not improve for ${ev.patience} evaluations ` +
              `(best ${ev.best.toFixed(4)} at step ${ev.bestStep}).`,
          });
          break;
        case 'done': {
          best = keptEval(ev, evals, best);
          await flush(true);
          const stopped = ev.reason === 'aborted';
          await patchMeta(
            db,
            runId,
            { progress, best, stopReason: ev.reason, backend: tf.getBackend(), threads: computeThreads },
            { status: stopped ? 'aborted' : 'completed', finishedAt: Date.now() },
          );
          keepWarm(runId, p.model);
          await status(stopped ? 'stopped' : 'done', {
            message: ev.restoredBest ? `Restored the best weights (step ${ev.best?.step}).` : undefined,
          });
          return;
        }
        case 'error': {
          await flush(true);
          await patchMeta(
            db,
            runId,
            { progress, best, error: ev.error },
            { status: 'failed', error: ev.error.message, finishedAt: Date.now() },
          );
          p.model.dispose();
          await status('failed', { error: ev.error });
          return;
        }
      }
      await yieldToMessages(); // queued messages (pause, stop, predict) between training steps
    }
  } catch (e) {
    const error = toErrorInfo(e);
    await patchMeta(db, runId, { error }, { status: 'failed', error: error.message }).catch(() => undefined);
    p.model.dispose();
    await status('failed', { error });
  } finally {
    liveRuns.delete(runId);
  }
}
