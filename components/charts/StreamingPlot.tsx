'use client';
// The plot area of a chart whose points are still arriving (a run that is training): plain SVG, one path per series,
// drawn by React in a millisecond or two. recharts (used for every chart once the run has stopped, with hover
// tooltips) needs 30-60 ms of main-thread time per redraw even for a few points — two render passes through its
// internal store — which breaks the "no task over 50 ms while training" budget as soon as the machine is busy.
import { useEffect, useRef, useState } from 'react';
import type { XY } from './series';

export interface PlotSeries {
  name: string;
  points: XY[];
  color: string;
  dash: string;
}

const M = { top: 8, right: 16, bottom: 26, left: 60 };

export function StreamingPlot({
  series,
  height,
  log,
  xDomain,
  xTicks,
  yTicks,
  formatTick,
  label,
}: {
  series: PlotSeries[];
  height: number;
  log: boolean;
  xDomain: [number, number];
  xTicks: number[];
  yTicks: number[];
  formatTick: (v: number) => string;
  /** the accessible name of the plot */
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(120, Math.round(el.clientWidth)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const [x0, x1] = xDomain;
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const w = width - M.left - M.right;
  const h = height - M.top - M.bottom;
  const fx = (x: number) => M.left + (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * w);
  const ty = (y: number) => (log ? Math.log10(y) : y);
  const fy = (y: number) => M.top + (ty(y1) === ty(y0) ? h / 2 : (1 - (ty(y) - ty(y0)) / (ty(y1) - ty(y0))) * h);
  const path = (pts: XY[]) => {
    let d = '';
    let pen = false;
    for (const p of pts) {
      if (!Number.isFinite(p.y) || (log && p.y <= 0)) continue; // as connectNulls: skip, keep the line going
      d += `${pen ? 'L' : 'M'}${fx(p.x).toFixed(1)} ${fy(p.y).toFixed(1)}`;
      pen = true;
    }
    return d;
  };

  return (
    <div ref={box} className="streaming-plot">
      <svg width={width} height={height} role="img" aria-label={label}>
        <g className="plot-grid">
          {yTicks.map((t) => (
            <line key={`y${t}`} x1={M.left} x2={M.left + w} y1={fy(t)} y2={fy(t)} />
          ))}
          {xTicks.map((t) => (
            <line key={`x${t}`} x1={fx(t)} x2={fx(t)} y1={M.top} y2={M.top + h} />
          ))}
        </g>
        <g className="plot-axis" fontSize="12">
          <line x1={M.left} x2={M.left} y1={M.top} y2={M.top + h} />
          <line x1={M.left} x2={M.left + w} y1={M.top + h} y2={M.top + h} />
          {yTicks.map((t) => (
            <text key={`yl${t}`} x={M.left - 6} y={fy(t)} dy="0.32em" textAnchor="end">
              {formatTick(t)}
            </text>
          ))}
          {xTicks.map((t) => (
            <text key={`xl${t}`} x={fx(t)} y={M.top + h + 16} textAnchor="middle">
              {t}
            </text>
          ))}
          <text x={M.left + w} y={M.top + h - 4} textAnchor="end">
            step
          </text>
        </g>
        {series.map((s) => (
          <g key={s.name}>
            <path d={path(s.points)} fill="none" stroke={s.color} strokeWidth={2} strokeDasharray={s.dash || undefined} />
            {s.points.length <= 30 &&
              s.points.map((p) =>
                Number.isFinite(p.y) && (!log || p.y > 0) ? <circle key={p.x} cx={fx(p.x)} cy={fy(p.y)} r={3} fill={s.color} /> : null,
              )}
          </g>
        ))}
      </svg>
    </div>
  );
}
