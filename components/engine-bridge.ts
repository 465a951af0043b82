// Feeds live run events from the worker into the store. Step points are buffered and flushed at most every 250 ms,
// so the page re-renders a few times per second however fast training goes. Also: a stopped worker marks its live runs
// interrupted and raises the "engine stopped" banner; errors no request awaits become notices.
import { engine } from './engine-client';
import { useStudio } from './state/studio';
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

const ACTIVE = new Set(['queued', 'preparing', 'running', 'paused', 'stopping']);

/** The worker stopped: the runs it was training are cut off (their last checkpoints stay in IndexedDB). */
function engineStopped(reason: string, error: ErrorInfo) {
  if (timer) clearTimeout(timer);
  flush();
  const { runs, updateRun, setEngineStopped, setEngineError } = useStudio.getState();
  for (const r of Object.values(runs)) {
    if (!ACTIVE.has(r.status)) continue;
    updateRun(r.runId, (run) => {
      run.status = 'interrupted';
      run.message = `The engine stopped while this run was ${r.status === 'paused' ? 'paused' : 'training'}: ${reason}.`;
    });
  }
  setEngineError(error);
  setEngineStopped({ reason, at: Date.now() });
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
    } else if (ev.type === 'ready') {
      // also the backend of a fresh worker started after the last one stopped
      useStudio.getState().setBackend(ev.info);
    }
  });
}
