// Progress on stderr: a redrawn bar with ETA and samples/s when stderr is a terminal, otherwise one plain line every
// few seconds (logs and CI stay readable). Results never go here; they go to stdout.

export interface ProgressWriter {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface ProgressState {
  /** what is happening, e.g. "train epoch 1/3" */
  label: string;
  done: number;
  total: number;
  samplesPerSec?: number;
  /** short extra text, e.g. "loss 0.412 lr 2.0e-5" */
  detail?: string;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ProgressBar {
  private readonly out: ProgressWriter;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastPrint = -Infinity;
  private drawn = false;
  private started: number;
  private startDone = 0;
  private currentLabel = '';

  constructor(out: ProgressWriter = process.stderr, opts: { intervalMs?: number; now?: () => number } = {}) {
    this.out = out;
    this.intervalMs = opts.intervalMs ?? 3000;
    this.now = opts.now ?? (() => Date.now());
    this.started = this.now();
  }

  /** ETA from the rate since this label started. */
  update(s: ProgressState): void {
    const t = this.now();
    if (s.label !== this.currentLabel) {
      // a new phase: its first line is printed at once, however recent the last phase's was
      this.currentLabel = s.label;
      this.started = t;
      this.startDone = s.done;
      this.lastPrint = -Infinity;
    }
    const elapsed = (t - this.started) / 1000;
    const rate = elapsed > 0 ? (s.done - this.startDone) / elapsed : 0;
    const eta = rate > 0 && s.total > 0 ? (s.total - s.done) / rate : NaN;
    const pct = s.total > 0 ? Math.min(100, (100 * s.done) / s.total) : 0;
    const parts = [
      `${s.done}/${s.total || '?'}`,
      `ETA ${formatDuration(eta)}`,
      s.samplesPerSec !== undefined ? `${s.samplesPerSec.toFixed(1)} samples/s` : '',
      s.detail ?? '',
    ].filter(Boolean);
    if (this.out.isTTY) {
      const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - 70));
      const fill = Math.round((width * pct) / 100);
      const bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
      const line = `${s.label} ${bar} ${pct.toFixed(0).padStart(3)}% ${parts.join('  ')}`;
      this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 120) - 1)}`);
      this.drawn = true;
      return;
    }
    if (t - this.lastPrint >= this.intervalMs || (s.total > 0 && s.done >= s.total)) {
      this.lastPrint = t;
      this.out.write(`${s.label} ${pct.toFixed(0)}% ${parts.join('  ')}\n`);
    }
  }

  /** A message on its own line (clears a drawn bar first). */
  log(msg: string): void {
    this.clear();
    this.out.write(`${msg}\n`);
  }

  clear(): void {
    if (this.drawn && this.out.isTTY) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
