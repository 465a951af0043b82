// Time left in a run, from a moving window of measured step times: each interval runs from one optimizer step to the
// next, so evaluations and checkpoints between steps are counted; time spent paused is not. The window follows the
// run's current pace (length buckets, a busy machine) instead of averaging everything since the start.

export class EtaTracker {
  private readonly times: number[] = [];
  private pausedAt: number | null = null;
  private pausedTotal = 0;

  /** `window`: the last this many step intervals; `now`: the clock in ms (a simulated one in tests) */
  constructor(
    private readonly window = 50,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Marks the start of the run, or the moment training goes on after a resume. */
  start(): void {
    this.times.length = 0;
    this.pausedTotal = 0;
    this.times.push(this.now());
  }

  /** One optimizer step done. */
  step(): void {
    if (this.pausedAt !== null) this.resume();
    this.times.push(this.now() - this.pausedTotal);
    if (this.times.length > this.window + 1) this.times.shift();
  }

  pause(): void {
    if (this.pausedAt === null) this.pausedAt = this.now();
  }

  resume(): void {
    if (this.pausedAt === null) return;
    this.pausedTotal += this.now() - this.pausedAt;
    this.pausedAt = null;
  }

  get paused(): boolean {
    return this.pausedAt !== null;
  }

  /** Seconds per step over the window (0 before the first step). */
  secondsPerStep(): number {
    const n = this.times.length - 1;
    return n > 0 ? (this.times[n] - this.times[0]) / 1000 / n : 0;
  }

  /** Seconds left for `stepsLeft` more steps at the window's pace. */
  etaSec(stepsLeft: number): number {
    return Math.max(0, stepsLeft) * this.secondsPerStep();
  }
}
