// Starting a run from any screen: ask the engine, show the new run on the Run screen.
import type { RunConfig } from '@/lib/run/config';
import { engine } from './engine-client';
import { emptyRun, useStudio } from './state/studio';

export async function startRunAndShow(config: RunConfig): Promise<string> {
  const e = engine();
  const ev = await e.request({ type: 'train-start', requestId: e.nextId('train'), config }, 'run-started');
  const s = useStudio.getState();
  s.loadRun(emptyRun(ev.runId, 'preparing'));
  s.setCurrentRun(ev.runId);
  s.setScreen('run');
  return ev.runId;
}
