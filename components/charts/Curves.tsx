'use client';
// One line chart for several series over steps (loss, validation loss, metrics, learning rate, overlaid runs).
// Long series are downsampled before drawing; animation is off so updates stay cheap. While points are still
// streaming in (`live`), the plot is plain SVG (StreamingPlot); otherwise recharts, with hover tooltips.
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DASHES, PALETTE } from './palette';
import { StreamingPlot } from './StreamingPlot';
import { MAX_DRAWN_POINTS, downsample, forLogScale, logTicks, niceTicks, type XY } from './series';

export interface Series {
  name: string;
  points: XY[];
  color?: string;
  dash?: string;
}

// Every prop handed to recharts below is a module constant or memoised: recharts 3 keeps axis/tooltip settings in an
// internal store and re-dispatches them (a second render pass of the whole chart) whenever a prop object's identity
// changes, so inline objects would double the cost of every live redraw.
const MARGIN = { top: 8, right: 16, left: 4, bottom: 4 };
const TICK = { fontSize: 12 };
const X_LABEL = { value: 'step', position: 'insideBottomRight', offset: -2, fill: 'var(--muted)', fontSize: 12 } as const;
const X_DOMAIN = ['dataMin', 'dataMax'] as const;
const TOOLTIP_STYLE = { background: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--border)' };
const DOT = { r: 3 };
const stepLabel = (l: unknown) => `step ${l}`;
const formatTick = (percent: boolean) => (v: number) =>
  percent ? `${Math.round(v * 100)}%` : Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(0) : String(+v.toPrecision(3));
const formatValue = (percent: boolean) => (v: unknown) =>
  typeof v === 'number' ? (percent ? `${(v * 100).toFixed(1)}%` : v.toPrecision(4)) : String(v);
const TICK_FORMAT = { plain: formatTick(false), percent: formatTick(true) };
const VALUE_FORMAT = { plain: formatValue(false), percent: formatValue(true) };

// memo: the Run screen re-renders its counters several times a second; charts only when their series change
export const Curves = memo(function Curves({
  title,
  series,
  log = false,
  height = 240,
  yLabel,
  testId,
  percent = false,
  zeroBased = false,
  live = false,
}: {
  title: string;
  series: Series[];
  log?: boolean;
  height?: number;
  yLabel?: string;
  testId?: string;
  percent?: boolean;
  /** the y axis starts at 0 (learning rate) */
  zeroBased?: boolean;
  /** points are still arriving (a run is training): drawn by StreamingPlot, a few milliseconds per redraw, instead of
   *  recharts (interactive, with tooltips, but 30-60 ms per redraw) */
  live?: boolean;
}) {
  // recomputed only when the series or the scale change (the parent re-renders for other reasons too)
  const drawn = useMemo(
    () =>
      series.map((s, i) => {
        const pts = downsample(log ? forLogScale(s.points) : s.points, MAX_DRAWN_POINTS);
        return { ...s, points: pts, color: s.color ?? PALETTE[i % PALETTE.length], dash: s.dash ?? DASHES[i % DASHES.length] };
      }),
    [series, log],
  );
  const total = drawn.reduce((n, s) => n + s.points.length, 0);
  // both axes get explicit ticks and domains (see niceTicks)
  const axes = useMemo(() => {
    let x0 = Infinity,
      x1 = -Infinity,
      y0 = Infinity,
      y1 = -Infinity;
    for (const s of drawn)
      for (const p of s.points) {
        if (p.x < x0) x0 = p.x;
        if (p.x > x1) x1 = p.x;
        if (Number.isFinite(p.y)) {
          if (p.y < y0) y0 = p.y;
          if (p.y > y1) y1 = p.y;
        }
      }
    const xTicks = niceTicks(x0, x1, 6).filter((t) => t >= Math.floor(x0) && t <= Math.ceil(x1) && Number.isInteger(t));
    const yTicks = log ? logTicks(y0, y1) : percent ? [0, 0.25, 0.5, 0.75, 1] : niceTicks(zeroBased ? Math.min(0, y0) : y0, y1, 5);
    return {
      xDomain: [x0, x1] as [number, number],
      xTicks: xTicks.length ? xTicks : [x0],
      yTicks,
      yDomain: [yTicks[0], yTicks[yTicks.length - 1]] as [number, number],
    };
  }, [drawn, log, percent, zeroBased]);
  return (
    <figure className="chart" data-testid={testId} data-points={total}>
      <figcaption>
        {title}
        {yLabel && <span className="muted small"> ({yLabel})</span>}
      </figcaption>
      {total === 0 ? (
        <p className="muted chart-empty">No points yet.</p>
      ) : live ? (
        <StreamingPlot
          series={drawn}
          height={height}
          log={log}
          xDomain={axes.xDomain}
          xTicks={axes.xTicks}
          yTicks={axes.yTicks}
          formatTick={percent ? TICK_FORMAT.percent : TICK_FORMAT.plain}
          label={`${title}: ${drawn
            .map(
              (s) =>
                `${s.name}, ${s.points.length} points${
                  s.points.length
                    ? `, last ${(percent ? VALUE_FORMAT.percent : VALUE_FORMAT.plain)(s.points[s.points.length - 1].y)}` +
                      ` at step ${s.points[s.points.length - 1].x}`
                    : ''
                }`,
            )
            .join('; ')}`}
        />
      ) : (
        // interval={0}: show the axis' few nice ticks as they are; the default ('preserveEnd') measures every tick
        // label in the DOM on every redraw to drop overlapping ones, a forced layout per label
        <ResponsiveContainer width="100%" height={height}>
          <LineChart margin={MARGIN}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis
              dataKey="x"
              type="number"
              domain={X_DOMAIN as unknown as [string, string]}
              ticks={axes.xTicks}
              allowDecimals={false}
              interval={0}
              stroke="var(--muted)"
              tick={TICK}
              label={X_LABEL}
            />
            <YAxis
              dataKey="y"
              type="number"
              scale={log ? 'log' : 'auto'}
              domain={axes.yDomain}
              ticks={axes.yTicks}
              allowDataOverflow={log}
              interval={0}
              stroke="var(--muted)"
              tick={TICK}
              width={56}
              tickFormatter={percent ? TICK_FORMAT.percent : TICK_FORMAT.plain}
            />
            <Tooltip
              contentStyle={TOOLTIP_STYLE}
              formatter={percent ? VALUE_FORMAT.percent : VALUE_FORMAT.plain}
              labelFormatter={stepLabel}
            />
            {drawn.map((s) => (
              <Line
                key={s.name}
                name={s.name}
                data={s.points}
                dataKey="y"
                stroke={s.color}
                strokeDasharray={s.dash}
                strokeWidth={2}
                dot={s.points.length <= 30 ? DOT : false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
      {/* the legend is plain HTML: recharts' own measures itself in the DOM and feeds its size back into the chart
          layout, a forced layout and a second render of the whole chart on every redraw */}
      {drawn.length > 1 && total > 0 && (
        <ul className="chart-legend">
          {drawn.map((s) => (
            <li key={s.name}>
              <svg width="24" height="8" aria-hidden="true">
                <line x1="0" y1="4" x2="24" y2="4" stroke={s.color} strokeWidth="2" strokeDasharray={s.dash} />
              </svg>
              {s.name}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
});
