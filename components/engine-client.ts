// The UI's only handle on the engine worker: sends typed commands, routes typed events to listeners.
import type { Command, EngineEvent, Progress } from '@/lib/protocol';

type Listener = (ev: EngineEvent) => void;

export class EngineClient {
  private worker: Worker;
  private listeners = new Set<Listener>();
  private seq = 0;

  constructor() {
    this.worker = new Worker('/engine/engine.worker.js', { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<EngineEvent>) => this.listeners.forEach((l) => l(e.data));
    this.worker.onerror = (e) =>
      this.listeners.forEach((l) => l({ type: 'error', error: { kind: 'internal', message: `Engine worker failed: ${e.message}` } }));
  }

  nextId(prefix = 'r'): string {
    return `${prefix}${++this.seq}`;
  }

  send(cmd: Command, transfer: Transferable[] = []): void {
    this.worker.postMessage(cmd, transfer);
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a command and resolves with the first event for its requestId that is a result or an error. */
  request<T extends EngineEvent['type']>(
    cmd: Command & { requestId: string },
    resultType: T,
    onProgress?: (p: Progress) => void,
    transfer: Transferable[] = [],
  ): Promise<Extract<EngineEvent, { type: T }>> {
    return new Promise((resolve, reject) => {
      const off = this.on((ev) => {
        if (ev.type === 'progress') {
          if (ev.progress.requestId === cmd.requestId) onProgress?.(ev.progress);
          return;
        }
        if (!('requestId' in ev) || ev.requestId !== cmd.requestId) return;
        if (ev.type === resultType) {
          off();
          resolve(ev as Extract<EngineEvent, { type: T }>);
        } else if (ev.type === 'error') {
          off();
          reject(ev.error);
        }
      });
      this.send(cmd, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}

let shared: EngineClient | null = null;
export function engine(): EngineClient {
  shared ??= new EngineClient();
  return shared;
}
