// Live controls of a running fineTune(): pause/resume, learning-rate multiplier, extra epochs. The adapter (worker,
// CLI) holds the object and calls it; the loop reads it between steps.

export class RunControls {
  private _paused = false;
  private _lrMultiplier = 1;
  private _extraEpochs = 0;
  private waiters: (() => void)[] = [];

  get paused(): boolean {
    return this._paused;
  }
  get lrMultiplier(): number {
    return this._lrMultiplier;
  }
  get extraEpochs(): number {
    return this._extraEpochs;
  }
  pause(): void {
    this._paused = true;
  }
  resume(): void {
    this._paused = false;
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
  setLrMultiplier(x: number): void {
    if (!Number.isFinite(x) || x < 0) throw new RangeError(`learning-rate multiplier must be a finite number ≥ 0 (got ${x})`);
    this._lrMultiplier = x;
  }
  /** train N more epochs than configured (N may be negative, down to the configured count) */
  extendEpochs(n: number): void {
    if (!Number.isInteger(n)) throw new RangeError(`epochs to add must be a whole number (got ${n})`);
    this._extraEpochs = Math.max(0, this._extraEpochs + n);
  }
  /** used when resuming: the controls as they were when the checkpoint was taken */
  restore(state: { lrMultiplier: number; extraEpochs: number }): void {
    this._lrMultiplier = state.lrMultiplier;
    this._extraEpochs = state.extraEpochs;
  }
  snapshot(): { lrMultiplier: number; extraEpochs: number } {
    return { lrMultiplier: this._lrMultiplier, extraEpochs: this._extraEpochs };
  }
  /** resolves when resumed or when the signal aborts */
  waitUntilResumed(signal?: AbortSignal): Promise<void> {
    if (!this._paused || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
