// Model loading for the Model screen: bundled USE-Lite, Hub ids, picked folders; reports architecture and size.
import type { Command } from '../protocol';
import type { SessionHost } from './context';
import { notReady } from './pending';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export async function load(_host: SessionHost, _cmd: Cmd<'model-load'>): Promise<void> {
  notReady('Model loading');
}
