// Feeds live run events from the worker into the store. Step points are buffered and flushed at most every 250 ms,
// so the page re-renders a few times per second however fast training goes. Also: the stored lists (datasets, runs) the
// worker watches for the page; a stopped worker marks its live runs interrupted and raises the "engine stopped" banner;
// errors no request awaits become notices.
import { engine, type EngineClient } from './engine-client';
import { isActive, useStudio } from './state/studio';
import type { ErrorInfo } from '@/lib/errors';
import type { EngineEvent } from '@/lib/protocol';

const FLUSH_MS = 250;
type RunEvent = Extract<EngineEvent, { type: 'run-status' | 'run-steps' | 'run-eval' | 'run-checkpoints' }>;

let started = false;
let pending: RunEvent[] = [];
let timer: ReturnType<typeof setTimeout> | null = null;

function flush() {
  timer = null;
  const batch = pending;
  pending = [];
  const byRun = new Map<string, RunEvent[]>();
  for (const ev of batch) byRun.set(ev.runId, [...(byRun.get(ev.runId) ?? []), ev]);
  const { updateRun } = useStudio.getState();
  for (const [runId, evs] of byRun) {
    updateRun(runId, (r) => {
      for (const ev of evs) {
        switch (ev.type) {
          case 'run-status':
            r.status = ev.status;
            r.message = ev.message;
            r.error = ev.error;
            break;
          case 'run-steps':
            for (const p of ev.points) r.steps.push(p);
            r.progress = ev.progress;
            break;
          case 'run-eval':
            r.evals.push(ev.eval);
            break;
          case 'run-checkpoints':
            r.checkpoints = ev.checkpoints;
            break;
        }
      }
    });
  }
}

/** The worker stopped: the runs it was training are cut off (their last checkpoints stay in IndexedDB). */
function engineStopped(reason: string, error: ErrorInfo) {
  if (timer) clearTimeout(timer);
  flush();
  const { runs, stored, updateRun, setEngineStopped, setEngineError, setStored } = useStudio.getState();
  for (const r of Object.values(runs)) {
    if (!isActive(r.status)) continue;
    updateRun(r.runId, (run) => {
      run.status = 'interrupted';
      run.message = `The engine stopped while this run was ${r.status === 'paused' ? 'paused' : 'training'}: ${reason}.`;
    });
  }
  // the listed runs it was training are cut off too, as the next worker's lists will say
  setStored({ ...stored, runs: stored.runs.map((r) => (isActive(r.status) ? { ...r, status: 'interrupted' } : r)) });
  setEngineError(error);
  setEngineStopped({ reason, at: Date.now() });
}

/** Asks the worker for the stored lists and their changes from now on (a fresh worker knows nothing of the last one's
 *  watch). */
function watchLists(client: EngineClient) {
  client.send({ type: 'lists-watch', requestId: client.nextId('lists') });
}

/** Starts routing engine events into the store (idempotent). */
export function startBridge(): void {
  if (started) return;
  started = true;
  const client = engine();
  client.onStop(({ reason, error }) => engineStopped(reason, error));
  client.onUnclaimedError((error) => useStudio.getState().addEngineNotice(error));
  client.on((ev) => {
    if (ev.type === 'run-status' || ev.type === 'run-steps' || ev.type === 'run-eval' || ev.type === 'run-checkpoints') {
      pending.push(ev);
      // status changes show at once; step traffic waits for the next flush
      if (ev.type === 'run-status') {
        if (timer) clearTimeout(timer);
        flush();
      } else {
        timer ??= setTimeout(flush, FLUSH_MS);
      }
    } else if (ev.type === 'lists') {
      useStudio.getState().setStored({ datasets: ev.datasets, runs: ev.runs });
    } else if (ev.type === 'ready') {
      // also the backend of a fresh worker started after the last one stopped, which has to be asked again
      useStudio.getState().setBackend(ev.info);
      watchLists(client);
    }
  });
  // the lists need no backend: asked at once, they show while the engine still starts (or if it fails to)
  watchLists(client);
}
