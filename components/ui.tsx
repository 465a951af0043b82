'use client';
// Small shared pieces: progress with ETA, an error shown where it happened, "next step" links, number formatting.
import type { ReactNode } from 'react';
import { describeError, type ErrorInfo } from '@/lib/errors';
import { SCREENS, useStudio, type ScreenId, type Task } from './state/studio';

export function fmtDuration(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec)) return '—';
  if (sec < 1) return '<1 s';
  if (sec < 90) return `${Math.round(sec)} s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} k`;
  return n.toLocaleString('en');
}

export const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)}%`);

export function ProgressBar({ task, testId }: { task: Task; testId?: string }) {
  const known = task.total > 0;
  const frac = known ? Math.min(1, task.done / task.total) : 0;
  return (
    <div className="progress" data-testid={testId}>
      <div className="row small">
        <span>{task.label}</span>
        <span className="muted">
          {known ? `${fmtCount(task.done)} / ${fmtCount(task.total)} (${Math.round(frac * 100)}%)` : task.done ? fmtCount(task.done) : ''}
          {task.etaSec !== undefined && ` · about ${fmtDuration(task.etaSec)} left`}
        </span>
      </div>
      <progress value={known ? task.done : undefined} max={known ? task.total : undefined} aria-label={task.label}>
        {Math.round(frac * 100)}%
      </progress>
    </div>
  );
}

/** An error in plain words where it happened; internal errors offer their details to copy. */
export function ErrorNote({ error, testId }: { error: ErrorInfo | null | undefined; testId?: string }) {
  if (!error) return null;
  return (
    <div role="alert" className="error-box" data-testid={testId}>
      <strong>{error.kind === 'user' ? 'Problem: ' : 'Something went wrong: '}</strong>
      {describeError(error)}
      {error.kind === 'internal' && error.stack && (
        <details>
          <summary>Details to copy into a bug report</summary>
          <pre>{error.stack}</pre>
        </details>
      )}
    </div>
  );
}

export function NextStep({ to, children }: { to: ScreenId; children?: ReactNode }) {
  const setScreen = useStudio((s) => s.setScreen);
  const title = SCREENS.find((s) => s.id === to)?.title ?? to;
  return (
    <div className="next-step">
      {children}
      <button type="button" className="primary" onClick={() => setScreen(to)}>
        Next: {title} →
      </button>
    </div>
  );
}

export function Help({ children }: { children: ReactNode }) {
  return <p className="help muted small">{children}</p>;
}

/** Saves bytes or text as a download. */
export function download(name: string, data: BlobPart, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function toErrorInfoUI(e: unknown): ErrorInfo {
  if (e && typeof e === 'object' && 'message' in e && 'kind' in e) return e as ErrorInfo;
  return { kind: 'internal', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
}

/** The Playground's text box ("Try it"): a labelled textarea, the same for every task. */
export function TryText({ value, onChange, placeholder }: { value: string; onChange: (v: string) => void; placeholder: string }) {
  return (
    <>
      <h3 id="try-h">Try it</h3>
      <label className="block" htmlFor="pg-text">
        Text
      </label>
      <textarea id="pg-text" rows={4} value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} />
    </>
  );
}
