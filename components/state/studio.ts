// UI state (zustand): what the engine reported and what the person chose. Components render this; engine events
// (through components/engine-bridge.ts) and user choices change it. Long series are mutated in place and a version
// counter bumps, so 100,000 points are never copied per update.
import { create } from 'zustand';
import type { BackendInfo } from '@/lib/backend/init';
import type { BackendPreference } from '@/lib/backend/select';
import type { ErrorInfo } from '@/lib/errors';
import { presetConfig, type RunConfig } from '@/lib/run/config';
import type {
  CheckpointInfo,
  ColumnMapping,
  DatasetPreview,
  EvalPoint,
  ModelInfo,
  RunProgress,
  RunRecord,
  RunStatus,
  SplitSettings,
  StepPoint,
  StoredDataset,
} from '@/lib/session/types';

export const SCREENS = [
  { id: 'data', title: 'Data', hint: 'Bring a labeled file or try the sample' },
  { id: 'model', title: 'Model', hint: 'Pick the encoder to fine-tune' },
  { id: 'train', title: 'Train', hint: 'Choose a preset and settings' },
  { id: 'run', title: 'Run', hint: 'Watch training live' },
  { id: 'runs', title: 'Runs', hint: 'Compare and sweep' },
  { id: 'evaluate', title: 'Evaluate', hint: 'Test-split metrics' },
  { id: 'playground', title: 'Playground', hint: 'Try the model' },
  { id: 'export', title: 'Export', hint: 'Model, ONNX, recipe or project bundle' },
] as const;
export type ScreenId = (typeof SCREENS)[number]['id'] | 'settings';

export interface LiveRun {
  runId: string;
  status: RunStatus;
  message?: string;
  error?: ErrorInfo;
  progress?: RunProgress;
  steps: StepPoint[];
  evals: EvalPoint[];
  checkpoints: CheckpointInfo[];
  version: number;
}

const ACTIVE: RunStatus[] = ['queued', 'preparing', 'running', 'paused', 'stopping'];

/** A run some worker is still working on (its status can change without a command from this page). */
export function isActive(status: RunStatus): boolean {
  return ACTIVE.includes(status);
}

export interface Task {
  label: string;
  done: number;
  total: number;
  etaSec?: number;
}

export interface StudioState {
  screen: ScreenId;
  /** the screens after Run that the person has opened (the sidebar marks them as visited) */
  visited: ScreenId[];
  theme: 'system' | 'light' | 'dark';
  backend: BackendInfo | null;
  backendPreference: BackendPreference;
  engineError: ErrorInfo | null;
  /** the engine worker stopped (crash, terminate): why, until the page reloads or the person dismisses it */
  engineStopped: { reason: string; at: number } | null;
  /** errors the engine reported that no request was waiting for, newest last */
  engineNotices: { id: number; error: ErrorInfo }[];

  datasetId: string | null;
  preview: DatasetPreview | null;
  previewFile: File | null;
  mapping: ColumnMapping | null;
  split: SplitSettings;

  model: ModelInfo | null;
  config: RunConfig;

  runs: Record<string, LiveRun>;
  currentRunId: string | null;
  /** the stored datasets and runs, newest first, as the engine worker last listed them (its 'lists' events) */
  stored: { datasets: StoredDataset[]; runs: RunRecord[] };

  setScreen(s: ScreenId): void;
  setTheme(t: StudioState['theme']): void;
  setBackend(info: BackendInfo): void;
  setBackendPreference(p: BackendPreference): void;
  setEngineError(e: ErrorInfo | null): void;
  setEngineStopped(s: { reason: string; at: number } | null): void;
  addEngineNotice(e: ErrorInfo): void;
  dismissEngineNotice(id: number): void;
  setDataset(id: string | null): void;
  setPreview(p: DatasetPreview | null, file: File | null): void;
  setMapping(m: ColumnMapping | null): void;
  setSplit(s: Partial<SplitSettings>): void;
  setModel(m: ModelInfo | null): void;
  setConfig(c: Partial<RunConfig>): void;
  replaceConfig(c: RunConfig): void;
  setCurrentRun(id: string | null): void;
  /** engine-bridge only */
  updateRun(runId: string, f: (r: LiveRun) => void): void;
  loadRun(run: LiveRun): void;
  setStored(stored: StudioState['stored']): void;
}

export function emptyRun(runId: string, status: RunStatus = 'queued'): LiveRun {
  return { runId, status, steps: [], evals: [], checkpoints: [], version: 0 };
}

let noticeSeq = 0;

export const useStudio = create<StudioState>((set) => ({
  screen: 'data',
  visited: [],
  theme: 'system',
  backend: null,
  backendPreference: 'auto',
  engineError: null,
  engineStopped: null,
  engineNotices: [],
  datasetId: null,
  preview: null,
  previewFile: null,
  mapping: null,
  split: { validation: 0.1, test: 0.1, seed: 42, useSplitColumn: false },
  model: null,
  config: presetConfig('quick'),
  runs: {},
  currentRunId: null,
  stored: { datasets: [], runs: [] },

  setScreen: (screen) => set((s) => ({ screen, visited: s.visited.includes(screen) ? s.visited : [...s.visited, screen] })),
  setTheme: (theme) => set({ theme }),
  setBackend: (backend) => set({ backend, engineError: null }),
  setBackendPreference: (backendPreference) => set({ backendPreference }),
  setEngineError: (engineError) => set({ engineError }),
  setEngineStopped: (engineStopped) => set({ engineStopped }),
  // at most the last 5 notices, so a failing loop cannot fill the page
  addEngineNotice: (error) => set((s) => ({ engineNotices: [...s.engineNotices, { id: ++noticeSeq, error }].slice(-5) })),
  dismissEngineNotice: (id) => set((s) => ({ engineNotices: s.engineNotices.filter((n) => n.id !== id) })),
  setDataset: (datasetId) => set((s) => ({ datasetId, config: { ...s.config, datasetId: datasetId ?? '' } })),
  setPreview: (preview, previewFile) => set({ preview, previewFile, mapping: preview?.suggested ?? null }),
  setMapping: (mapping) => set({ mapping }),
  setSplit: (split) => set((s) => ({ split: { ...s.split, ...split } })),
  setModel: (model) => set((s) => ({ model, config: model ? { ...s.config, model: model.spec } : s.config })),
  // a change to any training setting makes the config custom (the preset no longer describes it); the name and the
  // thread count are not training settings
  setConfig: (c) =>
    set((s) => ({
      config: {
        ...s.config,
        ...c,
        ...(Object.keys(c).some((k) => k !== 'name' && k !== 'threads') ? { preset: undefined, recipe: undefined } : {}),
        // epochs set by hand are trained whole: a big-data recipe's stop part-way through one goes
        ...('epochs' in c ? { maxSteps: undefined } : {}),
      },
    })),
  replaceConfig: (config) => set({ config }),
  setCurrentRun: (currentRunId) => set({ currentRunId }),
  updateRun: (runId, f) =>
    set((s) => {
      const r = s.runs[runId] ?? emptyRun(runId);
      f(r);
      return { runs: { ...s.runs, [runId]: { ...r, version: r.version + 1 } } };
    }),
  loadRun: (run) => set((s) => ({ runs: { ...s.runs, [run.runId]: run } })),
  setStored: (stored) => set({ stored }),
}));
