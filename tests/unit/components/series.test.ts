import { describe, expect, it } from 'vitest';
import { MAX_DRAWN_POINTS, downsample, ema, forLogScale } from '@/components/charts/series';
import { logTicks, niceTicks } from '@/components/charts/series';

describe('chart series', () => {
  it('draws 100,000 points as at most the budget while keeping the extremes', () => {
    const pts = Array.from({ length: 100_000 }, (_, i) => ({ x: i, y: Math.sin(i / 500) + (i === 77_777 ? 10 : 0) }));
    const d = downsample(pts, 1500);
    expect(d.length).toBeLessThanOrEqual(1500);
    expect(Math.max(...d.map((p) => p.y))).toBe(Math.max(...pts.map((p) => p.y)));
    expect(Math.min(...d.map((p) => p.y))).toBe(Math.min(...pts.map((p) => p.y)));
    expect(d[0]).toBe(pts[0]);
    expect(d[d.length - 1]).toBe(pts[pts.length - 1]);
    for (let i = 1; i < d.length; i++) expect(d[i].x).toBeGreaterThan(d[i - 1].x);
  });

  it('draws a 100,000-step loss curve as at most a few hundred points, keeping its spike and its last point', () => {
    const pts = Array.from({ length: 100_000 }, (_, i) => ({ x: i + 1, y: 2 / Math.sqrt(i + 1) + (i === 54_321 ? 5 : 0) }));
    expect(MAX_DRAWN_POINTS).toBeLessThanOrEqual(400);
    const d = downsample(pts, MAX_DRAWN_POINTS);
    expect(d.length).toBeLessThanOrEqual(MAX_DRAWN_POINTS);
    expect(d.length).toBeGreaterThan(MAX_DRAWN_POINTS / 2);
    expect(d).toContain(pts[54_321]);
    expect(d[d.length - 1]).toBe(pts[pts.length - 1]);
  });

  it('keeps a single point and short series unchanged', () => {
    expect(downsample([{ x: 1, y: 2 }], 1500)).toEqual([{ x: 1, y: 2 }]);
  });

  it('smooths with a bias-corrected EMA (first point unchanged, constant series unchanged)', () => {
    const s = ema(
      [
        { x: 1, y: 4 },
        { x: 2, y: 4 },
        { x: 3, y: 4 },
      ],
      0.9,
    );
    expect(s.map((p) => p.y)).toEqual([4, 4, 4].map((v) => expect.closeTo(v, 12)));
    const t = ema(
      [
        { x: 1, y: 0 },
        { x: 2, y: 10 },
      ],
      0.5,
    );
    expect(t[1].y).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / (1 - 0.25), 12);
  });

  it('drops non-positive values for the log scale', () => {
    expect(
      forLogScale([
        { x: 1, y: 0 },
        { x: 2, y: -1 },
        { x: 3, y: 0.5 },
      ]),
    ).toEqual([{ x: 3, y: 0.5 }]);
  });

  it('picks round ticks that cover the data: 1, 2, 2.5 or 5 × 10ⁿ apart', () => {
    expect(niceTicks(0.6812, 0.6903, 5)).toEqual([0.68, 0.6825, 0.685, 0.6875, 0.69, 0.6925]);
    expect(niceTicks(1, 24, 6)).toEqual([0, 5, 10, 15, 20, 25]);
    expect(niceTicks(0, 1e-4, 5)).toEqual([0, 2.5e-5, 5e-5, 7.5e-5, 1e-4]);
    const one = niceTicks(3, 3, 5);
    expect(one[0]).toBeLessThan(3);
    expect(one[one.length - 1]).toBeGreaterThan(3);
    for (const [lo, hi] of [
      [-3.2, 7.9],
      [0.001, 0.0013],
      [12345, 99999],
    ]) {
      const t = niceTicks(lo, hi, 5);
      expect(t[0]).toBeLessThanOrEqual(lo);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
      expect(t.length).toBeLessThanOrEqual(12);
    }
  });

  it('puts log-axis ticks on powers of ten covering the data', () => {
    expect(logTicks(0.02, 3)).toEqual([0.01, 0.1, 1, 10]);
    expect(logTicks(1e-9, 1).length).toBeLessThanOrEqual(8);
    expect(logTicks(1e-9, 1)[0]).toBeLessThanOrEqual(1e-9);
  });
});
