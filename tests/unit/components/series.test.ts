import { describe, expect, it } from 'vitest';
import { MAX_DRAWN_POINTS, downsample, ema, forLogScale } from '@/components/charts/series';

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
    const s = ema([{ x: 1, y: 4 }, { x: 2, y: 4 }, { x: 3, y: 4 }], 0.9);
    expect(s.map((p) => p.y)).toEqual([4, 4, 4].map((v) => expect.closeTo(v, 12)));
    const t = ema([{ x: 1, y: 0 }, { x: 2, y: 10 }], 0.5);
    expect(t[1].y).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / (1 - 0.25), 12);
  });

  it('drops non-positive values for the log scale', () => {
    expect(forLogScale([{ x: 1, y: 0 }, { x: 2, y: -1 }, { x: 3, y: 0.5 }])).toEqual([{ x: 3, y: 0.5 }]);
  });
});
