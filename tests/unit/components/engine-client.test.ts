// The UI's engine client answers every request: with its result, with the error the engine posted for it, or with an
// "engine stopped" error when the worker fails, cannot deliver a message, or is terminated. The next command starts a
// fresh worker, whose first message replays the last 'init'. A fake Worker stands in for the browser's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient } from '@/components/engine-client';
import type { ErrorInfo } from '@/lib/errors';
import type { Command, EngineEvent } from '@/lib/protocol';

class FakeWorker {
  static all: FakeWorker[] = [];
  onmessage: ((e: { data: EngineEvent }) => void) | null = null;
  onerror: ((e: { message: string; filename: string; lineno: number; preventDefault(): void }) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  posted: Command[] = [];
  terminated = false;
  refuse = false;
  constructor(readonly url: string) {
    FakeWorker.all.push(this);
  }
  postMessage(cmd: Command) {
    if (this.refuse) throw new Error('DataCloneError: a File could not be cloned');
    this.posted.push(cmd);
  }
  terminate() {
    this.terminated = true;
  }
  emit(ev: EngineEvent) {
    this.onmessage?.({ data: ev });
  }
}

const original = (globalThis as { Worker?: unknown }).Worker;
beforeEach(() => {
  FakeWorker.all = [];
  (globalThis as { Worker?: unknown }).Worker = FakeWorker;
});
afterEach(() => {
  (globalThis as { Worker?: unknown }).Worker = original;
});

const tick = () => new Promise((r) => setTimeout(r, 0));
const init = (requestId: string): Command => ({ type: 'init', requestId, preference: 'auto', wasmPath: '/tfjs-wasm/' });
const control = (requestId: string): Command & { requestId: string } => ({
  type: 'run-control',
  requestId,
  runId: 'run1',
  control: { action: 'pause' },
});
const uncaught = { message: 'Uncaught RangeError: boom', filename: 'http://x/engine/engine.worker.js', lineno: 7, preventDefault() {} };
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('resolved');
    },
    (e: ErrorInfo) => e,
  );

describe('EngineClient', () => {
  it('resolves a request with its result and rejects it with the error the engine posted for it', async () => {
    const c = new EngineClient();
    const w = FakeWorker.all[0];
    const ok = c.request(control('a'), 'ok');
    const bad = failure(c.request(control('b'), 'ok'));
    w.emit({ type: 'ok', requestId: 'a' });
    w.emit({ type: 'error', requestId: 'b', error: { kind: 'user', message: 'this run is not training in this tab' } });
    expect((await ok).type).toBe('ok');
    expect((await bad).message).toBe('this run is not training in this tab');
    expect(c.pendingCount()).toBe(0);
  });

  it('reports errors that no request awaits', () => {
    const c = new EngineClient();
    const seen: string[] = [];
    c.onUnclaimedError((e) => seen.push(e.message));
    FakeWorker.all[0].emit({ type: 'error', error: { kind: 'internal', message: 'stray' } });
    FakeWorker.all[0].emit({ type: 'error', requestId: 'gone', error: { kind: 'internal', message: 'late' } });
    expect(seen).toEqual(['stray', 'late']);
  });

  it('rejects a request whose command cannot be posted instead of leaving it pending', async () => {
    const c = new EngineClient();
    FakeWorker.all[0].refuse = true;
    expect((await failure(c.request(control('a'), 'ok'))).message).toMatch(/DataCloneError/);
    expect(c.pendingCount()).toBe(0);
  });

  const stops: [string, (w: FakeWorker, c: EngineClient) => void, RegExp][] = [
    ['an uncaught error', (w) => w.onerror?.(uncaught), /the engine stopped: Uncaught RangeError: boom \(engine\.worker\.js:7\)/],
    ['a message that cannot be read', (w) => w.onmessageerror?.(), /the engine stopped: a message from the engine could not be read/],
    ['terminate', (_w, c) => c.terminate(), /the engine stopped: the engine worker was terminated/],
  ];
  for (const [what, stop, message] of stops) {
    it(`on ${what}: rejects every pending request, tells its listeners, and starts a fresh worker on the next command`, async () => {
      const c = new EngineClient();
      const w = FakeWorker.all[0];
      const heard: string[] = [];
      c.onStop((s) => heard.push(s.error.message));
      await tick();
      const ready = c.request(init('i1'), 'ready');
      w.emit({ type: 'ready', requestId: 'i1', info: { backend: 'wasm' } as never });
      await ready;
      const history = c.request({ type: 'run-history', requestId: 'h', runId: 'run1' }, 'run-history-result');
      const pending = [failure(c.request(control('a'), 'ok')), failure(history)];
      stop(w, c);
      for (const e of await Promise.all(pending)) {
        expect(e.message).toMatch(message);
        expect(e.fix).toMatch(/reload the page; runs resume from their last checkpoint/);
      }
      expect(heard).toHaveLength(1);
      expect(heard[0]).toMatch(message);
      expect(w.terminated).toBe(true);
      expect(c.pendingCount()).toBe(0);
      // the next request starts a new worker; the last 'init' goes first, the command once it is ready
      const next = c.request(control('b'), 'ok');
      expect(FakeWorker.all).toHaveLength(2);
      const fresh = FakeWorker.all[1];
      expect(fresh.posted.map((p) => p.type)).toEqual(['init']);
      const replay = fresh.posted[0] as Extract<Command, { type: 'init' }>;
      expect(replay.preference).toBe('auto');
      fresh.emit({ type: 'ready', requestId: replay.requestId, info: { backend: 'wasm' } as never });
      await tick();
      expect(fresh.posted.map((p) => p.type)).toEqual(['init', 'run-control']);
      fresh.emit({ type: 'ok', requestId: 'b' });
      expect((await next).type).toBe('ok');
      expect(c.stopCount()).toBe(1);
    });
  }

  it('ignores messages from a worker that already stopped', async () => {
    const c = new EngineClient();
    const w = FakeWorker.all[0];
    const events: EngineEvent[] = [];
    c.on((ev) => events.push(ev));
    c.terminate();
    w.emit({ type: 'ok', requestId: 'x' });
    expect(events).toEqual([]);
  });
});
