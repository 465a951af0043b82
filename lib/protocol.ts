// Every message between the UI and the engine worker. Imported by both sides, so the compiler catches a mismatch.
import type { BackendInfo } from './backend/init';
import type { BackendPreference } from './backend/select';
import type { ErrorInfo } from './errors';

/** A long task's progress; every long command reports these before its result. */
export interface Progress {
  requestId: string;
  task: string; // what is happening, in words ("Tokenizing", "Downloading model.safetensors")
  done: number;
  total: number; // 0 when unknown
  etaSec?: number;
}

export type Command =
  | { type: 'init'; requestId: string; preference: BackendPreference; wasmPath: string }
  | { type: 'matmul'; requestId: string; a: number[]; b: number[]; m: number; k: number; n: number };

export type EngineEvent =
  | { type: 'ready'; requestId: string; info: BackendInfo }
  | { type: 'progress'; progress: Progress }
  | { type: 'matmul-result'; requestId: string; backend: string; values: number[] }
  | { type: 'error'; requestId?: string; error: ErrorInfo };

export type CommandType = Command['type'];
export type EventType = EngineEvent['type'];
