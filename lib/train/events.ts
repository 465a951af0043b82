// What fineTune() yields, as a discriminated union: the UI protocol, the worker and the CLI import these types.
import type { ErrorInfo } from '@/lib/errors';
import type { Task } from '@/lib/models/types';
import type { CheckpointMeta, MetricsSoFar } from '@/lib/store/types';
import type { ClassificationReport, MultilabelReport, RegressionReport } from './metrics';

export interface EvalResult {
  task: Task;
  /** examples evaluated */
  count: number;
  loss: number;
  /** every scalar metric by name (loss, accuracy, macroF1, microF1, weightedF1, mse, r2, ...): charts and early
   *  stopping read these */
  scalars: Record<string, number>;
  /** classification and token classification (per token) */
  classification?: ClassificationReport;
  multilabel?: MultilabelReport;
  regression?: RegressionReport;
}

export type StopReason = 'completed' | 'max-steps' | 'early-stop' | 'aborted';

export type TrainEvent =
  | {
      type: 'start';
      runId: string;
      epochs: number;
      stepsPerEpoch: number;
      totalSteps: number;
      trainExamples: number;
      validationExamples: number;
      params: { trainable: number; total: number };
      /** head-only mode: encoder features were computed once, in this many seconds */
      featureCacheSec?: number;
      resumedFromStep?: number;
    }
  | {
      type: 'step';
      step: number; // optimizer steps done, 1-based
      epoch: number; // 0-based epoch this step belongs to
      epochProgress: number; // fractional epochs done, e.g. 1.25
      loss: number;
      lr: number;
      gradNorm: number; // before clipping
      samplesPerSec: number;
      etaSec: number;
    }
  | { type: 'eval'; step: number; epoch: number; result: EvalResult }
  | { type: 'checkpoint'; checkpoint: CheckpointMeta }
  | { type: 'early-stop'; step: number; epoch: number; metric: string; best: number; bestStep: number; patience: number }
  | { type: 'state'; state: 'paused' | 'running'; step: number }
  | {
      type: 'done';
      reason: StopReason;
      step: number;
      epoch: number;
      /** metrics of the weights the model holds now (the best ones when they were restored) */
      final: EvalResult | null;
      best: MetricsSoFar['best'];
      restoredBest: boolean;
      bestCheckpointId?: string;
      lastCheckpointId?: string;
      history: MetricsSoFar['evals'];
    }
  | { type: 'error'; error: ErrorInfo; step: number; lastGoodCheckpointId?: string };

export type TrainEventType = TrainEvent['type'];

/** Live controls of a running fineTune(): the adapter calls these; they take effect before the next step. */
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
