'use client';
// The working context survives a reload: the dataset, its column mapping, the Train form, the loaded model and the
// current run are kept in localStorage (the screen is in the URL hash), and the model is loaded again from where it
// came from (bundled, or the Hub through the IndexedDB cache; a picked folder must be picked again).
import { useEffect } from 'react';
import { completeConfig, type ModelSpec, type RunConfig } from '@/lib/run/config';
import type { ColumnMapping } from '@/lib/session/types';
import { engine } from '../engine-client';
import { useStudio } from './studio';

const KEY = 'studio-context';

interface Saved {
  datasetId: string | null;
  mapping: ColumnMapping | null;
  config: RunConfig;
  model: ModelSpec | null;
  currentRunId: string | null;
}

function read(): Saved | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Saved) : null;
  } catch {
    return null;
  }
}

export function useWorkingContext(): void {
  const backendReady = useStudio((s) => !!s.backend);

  // restore once, then keep saving
  useEffect(() => {
    const saved = read();
    const s = useStudio.getState();
    if (saved) {
      if (saved.datasetId) s.setDataset(saved.datasetId);
      if (saved.mapping) s.setMapping(saved.mapping);
      if (saved.config) s.replaceConfig(completeConfig({ ...saved.config, datasetId: saved.datasetId ?? '' }));
      if (saved.currentRunId) s.setCurrentRun(saved.currentRunId);
    }
    return useStudio.subscribe((st, prev) => {
      if (
        st.datasetId === prev.datasetId &&
        st.mapping === prev.mapping &&
        st.config === prev.config &&
        st.model === prev.model &&
        st.currentRunId === prev.currentRunId
      )
        return;
      const next: Saved = {
        datasetId: st.datasetId,
        mapping: st.mapping,
        config: st.config,
        model: st.model?.spec ?? read()?.model ?? null,
        currentRunId: st.currentRunId,
      };
      try {
        localStorage.setItem(KEY, JSON.stringify(next));
      } catch {
        // storage full or blocked: the context is simply not kept
      }
    });
  }, []);

  // the model again, once the engine runs
  useEffect(() => {
    if (!backendReady || useStudio.getState().model) return;
    const spec = read()?.model;
    if (!spec || spec.kind === 'folder') return;
    let live = true;
    const e = engine();
    e.request({ type: 'model-load', requestId: e.nextId('model'), spec }, 'model-loaded')
      .then((ev) => live && !useStudio.getState().model && useStudio.getState().setModel(ev.info))
      .catch(() => undefined); // the Model screen offers loading it again
    return () => {
      live = false;
    };
  }, [backendReady]);
}
