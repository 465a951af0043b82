// Using a trained model: live prediction, batch CSV prediction, test-split evaluation.
import type { Command } from '../protocol';
import type { SessionHost } from './context';
import { notReady } from './pending';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export async function predict(_host: SessionHost, _cmd: Cmd<'predict'>): Promise<void> {
  notReady('Prediction');
}
export async function predictCsv(_host: SessionHost, _cmd: Cmd<'predict-csv'>): Promise<void> {
  notReady('Prediction');
}
export async function evaluate(_host: SessionHost, _cmd: Cmd<'evaluate'>): Promise<void> {
  notReady('Evaluation');
}
