// Export a run's checkpoint as a Hugging Face layout zip, and import such a zip back as a run.
import type { Command } from '../protocol';
import type { SessionHost } from './context';
import { notReady } from './pending';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export async function exportZip(_host: SessionHost, _cmd: Cmd<'export-zip'>): Promise<void> {
  notReady('Export');
}
export async function importZip(_host: SessionHost, _cmd: Cmd<'import-zip'>): Promise<void> {
  notReady('Import');
}
