// Chart series helpers: EMA smoothing and downsampling that keeps a long curve's shape (min and max per bucket), so
// 100,000 steps draw as at most a few hundred points.

export interface XY {
  x: number;
  y: number;
}

/** Points drawn per series at most: a few hundred keep a curve's shape (min and max per bucket) while a redraw stays
 *  cheap; the chart library's cost grows with the points handed to it, not with the pixels drawn. */
export const MAX_DRAWN_POINTS = 400;

/** Exponential moving average with bias correction (as TensorBoard draws it), so early points are not pulled to 0. */
export function ema(points: XY[], weight: number): XY[] {
  if (weight <= 0) return points;
  let acc = 0;
  let n = 0;
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return p;
    acc = acc * weight + (1 - weight) * p.y;
    n++;
    return { x: p.x, y: acc / (1 - weight ** n) };
  });
}

/** At most `max` points: each bucket keeps its first, min, max and last point in x order. */
export function downsample(points: XY[], max: number): XY[] {
  if (points.length <= max) return points;
  const buckets = Math.max(1, Math.floor(max / 4));
  const size = points.length / buckets;
  const out: XY[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (points[i].y < points[lo].y) lo = i;
      if (points[i].y > points[hi].y) hi = i;
    }
    const keep = [...new Set([start, lo, hi, end - 1])].sort((a, c) => a - c);
    for (const i of keep) out.push(points[i]);
  }
  return out;
}

/** Positive values only (log scale cannot draw 0 or negatives). */
export function forLogScale(points: XY[]): XY[] {
  return points.filter((p) => p.y > 0);
}
