// Dataset operations for the Data screen: preview, import with progress, report, cleaning, delete.
import type { Command } from '../protocol';
import type { SessionHost } from './context';
import { notReady } from './pending';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export async function preview(_host: SessionHost, _cmd: Cmd<'dataset-preview'>): Promise<void> {
  notReady('Dataset import');
}
export async function importDataset(_host: SessionHost, _cmd: Cmd<'dataset-import'>): Promise<void> {
  notReady('Dataset import');
}
export async function report(_host: SessionHost, _cmd: Cmd<'dataset-report'>): Promise<void> {
  notReady('The dataset report');
}
export async function clean(_host: SessionHost, _cmd: Cmd<'dataset-clean'>): Promise<void> {
  notReady('Dataset cleaning');
}
export async function remove(_host: SessionHost, _cmd: Cmd<'dataset-delete'>): Promise<void> {
  notReady('Dataset storage');
}
