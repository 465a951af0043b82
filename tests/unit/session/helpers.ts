// What the session tests share: waiting for an engine event that the session posts asynchronously, and a run
// trained through the session.
import type { EngineEvent } from '@/lib/protocol';
import type { RunConfig } from '@/lib/run/config';
import type { SessionHost } from '@/lib/session/context';
import * as runs from '@/lib/session/runs';

/** Resolves with the first value `find` returns that is not undefined, polling every 20 ms; rejects after `ms`. */
export function until<T>(find: () => T | undefined, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = find();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error('timed out waiting for an engine event'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/** Starts a run through the session as the worker does and waits for it to end (done or failed). */
export async function trainThroughSession(
  host: SessionHost,
  events: EngineEvent[],
  config: RunConfig,
): Promise<{ runId: string; end: Extract<EngineEvent, { type: 'run-status' }> }> {
  const requestId = `t-${config.name}`;
  await runs.start(host, { type: 'train-start', requestId, config });
  const runId = (
    await until(() =>
      events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started' && e.requestId === requestId),
    )
  ).runId;
  const end = await until(() =>
    events.find(
      (e): e is Extract<EngineEvent, { type: 'run-status' }> =>
        e.type === 'run-status' && e.runId === runId && /^(done|failed)$/.test(e.status),
    ),
  );
  return { runId, end };
}
