// Live run controls answer their request: 'ok' once applied; a UserError (what, where, what to do) for a run that is not
// training in this worker or for a value the controls cannot take. The worker posts that error with the requestId.
import { describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import type { EngineEvent, RunControl } from '@/lib/protocol';
import type { SessionHost } from '@/lib/session/context';
import * as runs from '@/lib/session/runs';
import { liveRuns } from '@/lib/session/state';
import { RunControls } from '@/lib/train/events';

const events: EngineEvent[] = [];
const host: SessionHost = { post: (ev) => void events.push(ev) };
const cmd = (runId: string, control: RunControl, requestId = 'c1') => ({ type: 'run-control' as const, requestId, runId, control });

describe('run-control', () => {
  it('refuses a run that is not training here with a UserError', async () => {
    const err = await runs.control(host, cmd('nope', { action: 'pause' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('this run is not training in this tab');
    expect((err as UserError).fix).toMatch(/resume it from its last checkpoint/);
  });

  it("answers 'ok' once applied, and refuses values the controls cannot take", async () => {
    const controls = new RunControls();
    liveRuns.set('live', { controls, abort: new AbortController() });
    try {
      events.length = 0;
      await runs.control(host, cmd('live', { action: 'lr-multiplier', value: 0.5 }, 'lr'));
      await runs.control(host, cmd('live', { action: 'extend', epochs: 2 }, 'ext'));
      expect(events).toEqual([
        { type: 'ok', requestId: 'lr' },
        { type: 'ok', requestId: 'ext' },
      ]);
      expect(controls.lrMultiplier).toBe(0.5);
      const lr = await runs.control(host, cmd('live', { action: 'lr-multiplier', value: -1 })).catch((e: unknown) => e);
      expect(lr).toBeInstanceOf(UserError);
      expect((lr as UserError).describe()).toMatch(/option LR multiplier: the learning-rate multiplier must be a number ≥ 0 \(got -1\)/);
      const ext = await runs.control(host, cmd('live', { action: 'extend', epochs: 1.5 })).catch((e: unknown) => e);
      expect((ext as UserError).describe()).toMatch(/option Extra epochs: the epochs to add must be a whole number \(got 1.5\)/);
      expect(controls.lrMultiplier).toBe(0.5);
      expect(events).toHaveLength(2);
    } finally {
      liveRuns.delete('live');
    }
  });
});
