// Training runs: start, resume from a checkpoint, live controls, sweeps, stored history.
import type { Command } from '../protocol';
import type { SessionHost } from './context';
import { notReady } from './pending';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export async function start(_host: SessionHost, _cmd: Cmd<'train-start'>): Promise<void> {
  notReady('Training');
}
export async function resume(_host: SessionHost, _cmd: Cmd<'run-resume'>): Promise<void> {
  notReady('Training');
}
export async function sweep(_host: SessionHost, _cmd: Cmd<'sweep-start'>): Promise<void> {
  notReady('Sweeps');
}
export async function control(_host: SessionHost, _cmd: Cmd<'run-control'>): Promise<void> {
  notReady('Training');
}
export async function history(_host: SessionHost, _cmd: Cmd<'run-history'>): Promise<void> {
  notReady('Run history');
}
export async function remove(_host: SessionHost, _cmd: Cmd<'run-delete'>): Promise<void> {
  notReady('Run history');
}
