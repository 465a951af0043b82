// Every `finetune` command, in the order `finetune --help` lists them. Implementations load on demand, so help and
// option errors come back without loading TF.js.
import type { CommandModule } from '../context';
import { EVAL, EXPORT, FORWARD, INSPECT, PREDICT, TRAIN } from './specs';
import { TUNE } from './tune-spec';

export const COMMANDS: CommandModule[] = [
  { spec: TRAIN, tensors: true, run: async (o, c) => (await import('./train')).run(o, c) },
  { spec: EVAL, tensors: true, run: async (o, c) => (await import('./eval')).run(o, c) },
  { spec: PREDICT, tensors: true, run: async (o, c) => (await import('./predict')).run(o, c) },
  { spec: EXPORT, tensors: true, run: async (o, c) => (await import('./export')).run(o, c) },
  { spec: TUNE, tensors: true, run: async (o, c) => (await import('./tune')).run(o, c) },
  { spec: FORWARD, tensors: true, run: async (o, c) => (await import('./forward')).run(o, c) },
  { spec: INSPECT, run: async (o, c) => (await import('./inspect')).run(o, c) },
];
