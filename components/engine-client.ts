// The UI's only handle on the engine worker: sends typed commands, routes typed events to listeners, and answers every
// request: with its result, with the error the engine posted for it, or, when the worker stops (an uncaught error, a
// message that cannot be read, terminate), with an "engine stopped" error. The next command starts a fresh worker, after
// replaying the last 'init' so it runs on the same backend.
import type { ErrorInfo } from '@/lib/errors';
import type { Command, EngineEvent, Progress } from '@/lib/protocol';

type Listener = (ev: EngineEvent) => void;

/** Why the worker stopped, and the error its pending requests were rejected with. */
export interface EngineStop {
  reason: string;
  error: ErrorInfo;
}

interface Pending {
  resultType: EngineEvent['type'];
  resolve: (ev: EngineEvent) => void;
  reject: (e: ErrorInfo) => void;
  onProgress?: (p: Progress) => void;
}

type InitCommand = Extract<Command, { type: 'init' }>;

const WORKER_URL = '/engine/engine.worker.js';

/** The error every pending request gets when the worker stops. */
export function stoppedError(reason: string): ErrorInfo {
  return { kind: 'internal', message: `the engine stopped: ${reason}`, fix: 'reload the page; runs resume from their last checkpoint' };
}

function asErrorInfo(e: unknown): ErrorInfo {
  return { kind: 'internal', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
}

export class EngineClient {
  private worker: Worker | null = null;
  private listeners = new Set<Listener>();
  private stopListeners = new Set<(s: EngineStop) => void>();
  private unclaimedListeners = new Set<(e: ErrorInfo) => void>();
  private pending = new Map<string, Pending>();
  private seq = 0;
  private lastInit: InitCommand | null = null;
  /** set while a fresh worker replays the last 'init': other commands wait for it */
  private gate: Promise<void> | null = null;
  private stops = 0;

  constructor(private readonly url = WORKER_URL) {
    this.start();
  }

  nextId(prefix = 'r'): string {
    return `${prefix}${++this.seq}`;
  }

  /** Sends a command without waiting for an answer; an error the engine posts for it reaches onUnclaimedError. */
  send(cmd: Command, transfer: Transferable[] = []): void {
    this.dispatch(cmd, transfer, (e) => this.unclaimedListeners.forEach((l) => l(e)));
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when the worker stops; pending requests have been rejected by then. */
  onStop(listener: (s: EngineStop) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /** Called with every error the engine posts that no pending request claims (no requestId, or one nobody awaits). */
  onUnclaimedError(listener: (e: ErrorInfo) => void): () => void {
    this.unclaimedListeners.add(listener);
    return () => this.unclaimedListeners.delete(listener);
  }

  /** Sends a command and resolves with the first event for its requestId that is its result; rejects with the engine's
   *  error for it, or with an "engine stopped" error if the worker stops first. */
  request<T extends EngineEvent['type']>(
    cmd: Command & { requestId: string },
    resultType: T,
    onProgress?: (p: Progress) => void,
    transfer: Transferable[] = [],
  ): Promise<Extract<EngineEvent, { type: T }>> {
    return new Promise((resolve, reject) => {
      const id = cmd.requestId;
      const settle = () => this.pending.delete(id);
      this.pending.set(id, {
        resultType,
        resolve: (ev) => {
          settle();
          resolve(ev as Extract<EngineEvent, { type: T }>);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        onProgress,
      });
      this.dispatch(cmd, transfer, (e) => this.pending.get(id)?.reject(e));
    });
  }

  /** How many requests are waiting for an answer. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** How many times the worker has stopped in this page. */
  stopCount(): number {
    return this.stops;
  }

  /** Ends the worker as a crash would: pending requests reject, listeners hear why; the next command starts a new one. */
  terminate(reason = 'the engine worker was terminated'): void {
    if (this.worker) this.stop(this.worker, reason);
  }

  private start(): Worker {
    const w = new Worker(this.url, { type: 'module' });
    this.worker = w;
    w.onmessage = (e: MessageEvent<EngineEvent>) => {
      if (this.worker === w) this.deliver(e.data);
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const where = e.filename ? ` (${e.filename.split('/').pop()}:${e.lineno})` : '';
      this.stop(w, e.message ? `${e.message}${where}` : 'the engine worker failed to load or hit an uncaught error');
    };
    w.onmessageerror = () => this.stop(w, 'a message from the engine could not be read');
    return w;
  }

  private deliver(ev: EngineEvent): void {
    if (ev.type === 'progress') {
      this.pending.get(ev.progress.requestId)?.onProgress?.(ev.progress);
    } else if ('requestId' in ev && ev.requestId !== undefined && this.pending.has(ev.requestId)) {
      const p = this.pending.get(ev.requestId)!;
      if (ev.type === 'error') p.reject(ev.error);
      else if (ev.type === p.resultType) p.resolve(ev);
    } else if (ev.type === 'error') {
      this.unclaimedListeners.forEach((l) => l(ev.error));
    }
    this.listeners.forEach((l) => l(ev));
  }

  /** Posts `cmd` to the worker (a fresh one if it stopped); `fail` hears why it could not be posted. */
  private dispatch(cmd: Command, transfer: Transferable[], fail: (e: ErrorInfo) => void): void {
    if (cmd.type === 'init') this.lastInit = cmd;
    let w = this.worker;
    if (!w) {
      w = this.start();
      if (cmd.type !== 'init' && this.lastInit) this.gate = this.replayInit(this.lastInit);
    }
    const post = (worker: Worker) => {
      if (this.worker !== worker) return fail(stoppedError('the engine worker stopped before the command was sent'));
      try {
        worker.postMessage(cmd, transfer);
      } catch (e) {
        fail(asErrorInfo(e));
      }
    };
    const target = w;
    if (this.gate && cmd.type !== 'init') void this.gate.then(() => post(target));
    else post(target);
  }

  /** A fresh worker starts on the backend the last one had: its 'init' goes first and other commands wait for it. */
  private replayInit(init: InitCommand): Promise<void> {
    const cmd: InitCommand = { ...init, requestId: this.nextId('init') };
    const done = this.request(cmd, 'ready').then(
      () => undefined,
      () => undefined, // the commands that follow report their own errors
    );
    void done.then(() => {
      if (this.gate === done) this.gate = null;
    });
    return done;
  }

  private stop(w: Worker, reason: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.gate = null;
    this.stops++;
    w.terminate();
    const error = stoppedError(reason);
    for (const p of [...this.pending.values()]) p.reject(error);
    this.stopListeners.forEach((l) => l({ reason, error }));
  }
}

let shared: EngineClient | null = null;
export function engine(): EngineClient {
  if (!shared) {
    shared = new EngineClient();
    exposeTestHook(shared);
  }
  return shared;
}

/** What the browser tests can reach from the page: stopping the worker as a crash would, and counters. Nothing here
 *  reads or changes data, and a page script could already end the worker through the devtools. */
export interface EngineTestHook {
  terminateForTest(reason?: string): void;
  pendingRequests(): number;
  stops(): number;
}

function exposeTestHook(client: EngineClient): void {
  if (typeof window === 'undefined') return;
  const hook: EngineTestHook = {
    terminateForTest: (reason = 'the engine worker was terminated (test hook)') => client.terminate(reason),
    pendingRequests: () => client.pendingCount(),
    stops: () => client.stopCount(),
  };
  (window as unknown as { __finetuneEngine?: EngineTestHook }).__finetuneEngine = hook;
}
