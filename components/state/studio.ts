// UI state (zustand): what the engine reported. Components render this; only engine events change it.
import { create } from 'zustand';
import type { BackendInfo } from '@/lib/backend/init';
import type { BackendPreference } from '@/lib/backend/select';
import type { ErrorInfo } from '@/lib/errors';

export interface StudioState {
  backend: BackendInfo | null;
  backendPreference: BackendPreference;
  engineError: ErrorInfo | null;
  setBackend(info: BackendInfo): void;
  setBackendPreference(p: BackendPreference): void;
  setEngineError(e: ErrorInfo | null): void;
}

export const useStudio = create<StudioState>((set) => ({
  backend: null,
  backendPreference: 'auto',
  engineError: null,
  setBackend: (backend) => set({ backend, engineError: null }),
  setBackendPreference: (backendPreference) => set({ backendPreference }),
  setEngineError: (engineError) => set({ engineError }),
}));
