// Progress on stderr: a redrawn bar with ETA and samples/s on a terminal; plain lines every few seconds otherwise.
import { describe, expect, it } from 'vitest';
import { ProgressBar, formatDuration } from '@/cli/progress';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 120, write: (s: string) => writes.push(s) } };
}

describe('ProgressBar', () => {
  it('on a terminal redraws one line in place with a bar, percent, ETA from the observed rate, and samples/s', () => {
    let now = 0;
    const { writes, out } = sink(true);
    const bar = new ProgressBar(out, { now: () => now });
    bar.update({ label: 'epoch 1/2', done: 0, total: 100 });
    now = 10_000; // 10 steps in 10 s -> 90 steps left -> 90 s
    bar.update({ label: 'epoch 1/2', done: 10, total: 100, samplesPerSec: 32, detail: 'loss 0.5' });
    const last = writes.at(-1)!;
    expect(last.startsWith('\r\x1b[2K')).toBe(true);
    expect(last).not.toContain('\n');
    expect(last).toContain('[###');
    expect(last).toContain('10%');
    expect(last).toContain('ETA 01:30');
    expect(last).toContain('32.0 samples/s');
    expect(last).toContain('loss 0.5');
  });

  it('without a terminal prints whole lines at most once per interval, and always the final one', () => {
    let now = 0;
    const { writes, out } = sink(false);
    const bar = new ProgressBar(out, { now: () => now, intervalMs: 3000 });
    for (let i = 1; i <= 10; i++) {
      now = i * 1000;
      bar.update({ label: 'train', done: i, total: 10 });
    }
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    expect(writes.length).toBe(4); // t=1 s, 4 s, 7 s, and the completed 10/10 at 10 s
    expect(writes.at(-1)).toContain('100% 10/10');
    // a new phase prints its first line at once, however recent the last line was
    now = 10_500;
    bar.update({ label: 'evaluate', done: 1, total: 50 });
    expect(writes.at(-1)).toMatch(/^evaluate 2% 1\/50/);
    now = 11_000;
    bar.update({ label: 'evaluate', done: 2, total: 50 });
    expect(writes.length).toBe(5);
  });

  it('clears a drawn bar before a log line so messages never mix with it', () => {
    const { writes, out } = sink(true);
    const bar = new ProgressBar(out, { now: () => 0 });
    bar.update({ label: 'x', done: 1, total: 2 });
    bar.log('hello');
    expect(writes.slice(-2)).toEqual(['\r\x1b[2K', 'hello\n']);
  });

  it('formats durations as mm:ss or h:mm:ss, and unknown as --:--', () => {
    expect(formatDuration(75)).toBe('01:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
  });
});
