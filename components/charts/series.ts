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

/** About `count` round tick values (1, 2, 2.5 or 5 × 10ⁿ apart) covering [min, max]; the first and last ticks are the
 *  axis domain. Computed here so the chart library does not run its arbitrary-precision tick search on every redraw. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw * (1 - 1e-9)) ?? 10) * mag;
  // (the 1e-9 slack keeps float noise, e.g. 1e-4 / 5e-5 = 2.0000000000000004, from adding a tick)
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0, v = lo; v <= hi + step / 2 && i < 50; i++, v = lo + i * step) ticks.push(+v.toPrecision(12));
  return ticks;
}

/** Powers of ten covering [min, max] (both > 0) for a log axis, at most ~8 of them. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [1];
  const a = Math.floor(Math.log10(min));
  const b = Math.max(a + 1, Math.ceil(Math.log10(max)));
  const every = Math.max(1, Math.ceil((b - a) / 7));
  const ticks: number[] = [];
  for (let e = a; e <= b; e += every) ticks.push(10 ** e);
  if (ticks[ticks.length - 1] < 10 ** b) ticks.push(10 ** b);
  return ticks;
}
