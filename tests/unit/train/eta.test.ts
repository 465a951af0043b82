import { describe, expect, it } from 'vitest';
import { EtaTracker } from '@/lib/train/eta';

/** A run on a simulated clock: `stepSec(i)` per step, plus `evalSec` after every `evalEvery` steps. */
function simulate(tracker: EtaTracker, clock: { t: number }, steps: number, stepSec: (i: number) => number, evalEvery = 0, evalSec = 0) {
  const etas: { step: number; eta: number; at: number }[] = [];
  tracker.start();
  for (let i = 1; i <= steps; i++) {
    clock.t += stepSec(i) * 1000;
    tracker.step();
    etas.push({ step: i, eta: tracker.etaSec(steps - i), at: clock.t });
    if (evalEvery && i % evalEvery === 0) clock.t += evalSec * 1000;
  }
  return etas.map((e) => ({ ...e, actual: (clock.t - e.at) / 1000 }));
}

describe('ETA from a moving window of step times', () => {
  it('follows a change of pace within the window (a since-start average would not)', () => {
    const clock = { t: 0 };
    const tracker = new EtaTracker(50, () => clock.t);
    tracker.start();
    for (let i = 0; i < 100; i++) {
      clock.t += 1000;
      tracker.step();
    }
    expect(tracker.secondsPerStep()).toBeCloseTo(1, 9);
    for (let i = 0; i < 50; i++) {
      clock.t += 2000;
      tracker.step();
    }
    expect(tracker.secondsPerStep()).toBeCloseTo(2, 9); // the since-start average is 1.33
    expect(tracker.etaSec(10)).toBeCloseTo(20, 9);
  });

  it('does not count time spent paused', () => {
    const clock = { t: 0 };
    const tracker = new EtaTracker(20, () => clock.t);
    tracker.start();
    for (let i = 0; i < 10; i++) {
      clock.t += 500;
      tracker.step();
    }
    tracker.pause();
    expect(tracker.paused).toBe(true);
    clock.t += 300_000;
    tracker.resume();
    clock.t += 500;
    tracker.step();
    expect(tracker.secondsPerStep()).toBeCloseTo(0.5, 9);
  });

  /** The worst relative error of the ETA over the steps where `keep` holds. */
  const worst = (etas: ReturnType<typeof simulate>, keep: (e: ReturnType<typeof simulate>[number]) => boolean) =>
    Math.max(...etas.filter(keep).map((e) => Math.abs(e.eta / e.actual - 1)));

  const evalsTest =
    'counts evaluations between steps: jittered steps, an eval every 20 steps: ' +
    'within ±10 % while over 100 s remain, ±25 % to the last 30 s';
  it(evalsTest, () => {
    const clock = { t: 0 };
    const jitter = (i: number) => 1 + 0.2 * Math.sin(i * 1.7); // 0.8–1.2 s per step
    const etas = simulate(new EtaTracker(50, () => clock.t), clock, 400, jitter, 20, 6);
    // recorded on this run: under 0.1, and 0.23 near the end (one whole evaluation is then a large share of what is left)
    expect(worst(etas, (e) => e.step >= 50 && e.actual > 100)).toBeLessThan(0.1);
    expect(worst(etas, (e) => e.step >= 50 && e.actual > 30)).toBeLessThan(0.25);
  });

  it('after a slowdown the error is back within ±10 % once the window has seen the new pace', () => {
    const clock = { t: 0 };
    const etas = simulate(new EtaTracker(50, () => clock.t), clock, 400, (i) => (i <= 200 ? 1 : 1.5), 20, 6);
    expect(worst(etas, (e) => e.step >= 255 && e.actual > 100)).toBeLessThan(0.1);
  });
});
