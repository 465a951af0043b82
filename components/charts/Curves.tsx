'use client';
// One line chart for several series over steps (loss, validation loss, metrics, learning rate, overlaid runs).
// Long series are downsampled before drawing; animation is off so updates stay cheap.
import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DASHES, PALETTE } from './palette';
import { MAX_DRAWN_POINTS, downsample, forLogScale, type XY } from './series';

export interface Series {
  name: string;
  points: XY[];
  color?: string;
  dash?: string;
}


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
  return (
    <figure className="chart" data-testid={testId} data-points={total}>
      <figcaption>
        {title}
        {yLabel && <span className="muted small"> ({yLabel})</span>}
      </figcaption>
      {total === 0 ? (
        <p className="muted chart-empty">No points yet.</p>
      ) : (
        // interval={0}: show the axis' few nice ticks as they are; the default ('preserveEnd') measures every tick
        // label in the DOM on every redraw to drop overlapping ones, a forced layout per label
        <ResponsiveContainer width="100%" height={height}>
          <LineChart margin={{ top: 8, right: 16, left: 4, bottom: 4 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} interval={0} stroke="var(--muted)" tick={{ fontSize: 12 }} label={{ value: 'step', position: 'insideBottomRight', offset: -2, fill: 'var(--muted)', fontSize: 12 }} />
            <YAxis
              dataKey="y"
              type="number"
              scale={log ? 'log' : 'auto'}
              domain={log ? ['auto', 'auto'] : percent ? [0, 1] : zeroBased ? [0, 'auto'] : ['auto', 'auto']}
              allowDataOverflow={log}
              interval={0}
              stroke="var(--muted)"
              tick={{ fontSize: 12 }}
              width={56}
              tickFormatter={(v: number) => (percent ? `${Math.round(v * 100)}%` : Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(0) : String(+v.toPrecision(3)))}
            />
            <Tooltip
              contentStyle={{ background: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--border)' }}
              formatter={(v) => (typeof v === 'number' ? (percent ? `${(v * 100).toFixed(1)}%` : v.toPrecision(4)) : String(v))}
              labelFormatter={(l) => `step ${l}`}
            />
            {drawn.length > 1 && <Legend />}
            {drawn.map((s) => (
              <Line
                key={s.name}
                name={s.name}
                data={s.points}
                dataKey="y"
                stroke={s.color}
                strokeDasharray={s.dash}
                strokeWidth={2}
                dot={s.points.length <= 30 ? { r: 3 } : false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
});
