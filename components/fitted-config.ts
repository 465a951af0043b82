'use client';
// What a preset is fitted to (the loaded model, and the training split as the run will see it, measured by the
// engine) and the config a run starts with: Train, Cross-validate, Tune and Sweep all start from it, so an untouched
// preset never runs with its unfitted values, however soon after opening a screen the click comes.
import { useEffect, useRef, useState } from 'react';
import { engine } from './engine-client';
import { useStudio } from './state/studio';
import { presetConfig, type PresetName, type RecipeFacts, type RunConfig } from '@/lib/run/config';
import type { RecipeMode } from '@/lib/train/recipe-table';

/** The last facts per dataset and model: a screen starts from them (the form stays fitted while the engine measures
 *  the data again, which waits behind a training run). */
const factsCache = new Map<string, { facts: RecipeFacts; folds: number }>();
/** One request per dataset and model at a time (the Runs screen's Tune and Sweep both ask on opening). */
const inflight = new Map<string, Promise<{ facts: RecipeFacts; folds: number }>>();

function requestFacts(key: string, datasetId: string): Promise<{ facts: RecipeFacts; folds: number }> {
  let p = inflight.get(key);
  if (!p) {
    const e = engine();
    p = e
      .request({ type: 'recipe-facts', requestId: e.nextId('facts'), datasetId }, 'recipe-facts-result')
      .then((ev) => {
        factsCache.set(key, { facts: ev.facts, folds: ev.folds });
        return { facts: ev.facts, folds: ev.folds };
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p;
}

export function useRecipeFacts() {
  const config = useStudio((s) => s.config);
  const datasetId = useStudio((s) => s.datasetId);
  const model = useStudio((s) => s.model);
  const replaceConfig = useStudio((s) => s.replaceConfig);
  const dsId = config.datasetId || datasetId || '';
  const factsFor = `${dsId}|${JSON.stringify(model?.spec ?? null)}`;
  const [dataFacts, setDataFacts] = useState<RecipeFacts>(() => factsCache.get(factsFor)?.facts ?? {});
  const [folds, setFolds] = useState(() => factsCache.get(factsFor)?.folds ?? 0);
  const [fresh, setFresh] = useState('');
  // the request in flight: a start before it answers waits for it
  const factsRequest = useRef<Promise<RecipeFacts | null>>(Promise.resolve(null));
  useEffect(() => {
    let live = true;
    if (!dsId) return;
    const known = factsCache.get(factsFor);
    setDataFacts(known?.facts ?? {});
    setFolds(known?.folds ?? 0);
    factsRequest.current = requestFacts(factsFor, dsId)
      .then((ev) => {
        if (live) {
          setDataFacts(ev.facts);
          setFolds(ev.folds);
          setFresh(factsFor);
        }
        return ev.facts;
      })
      .catch(() => {
        if (live && !known) setDataFacts({});
        return known?.facts ?? null;
      });
    return () => {
      live = false;
    };
  }, [dsId, factsFor]);

  // the Model screen's figures of the loaded model (lib/run/facts.ts's modelFacts reads the same from an encoder)
  const modelFacts: RecipeFacts = model
    ? { arch: model.arch, hiddenSize: model.hiddenSize, numLayers: model.layers, modelMaxLength: model.maxLength }
    : {};
  const facts: RecipeFacts = { ...modelFacts, ...(dsId ? dataFacts : {}) };
  /** A preset (in a mode) fitted to these facts, keeping the form's run name and thread count. */
  const fitPreset = (p: PresetName, f: RecipeFacts = facts, mode?: RecipeMode): RunConfig => ({
    ...presetConfig(p, dsId, model?.spec ?? config.model, f, mode),
    name: config.name,
    threads: config.threads,
  });

  /** The config to run (`run`, the dataset and model filled in) and the form's (`form`): an untouched preset is
   *  fitted to the data's measured facts first, waiting for them if the engine has not answered yet (the form then
   *  shows the same values). */
  const runConfig = async (): Promise<{ run: RunConfig; form: RunConfig }> => {
    let c = config;
    if (c.preset && dsId && fresh !== factsFor) {
      const measured = await factsRequest.current;
      if (measured) {
        c = fitPreset(c.preset, { ...modelFacts, ...measured });
        replaceConfig(c);
      }
    }
    return { run: { ...c, datasetId: dsId, model: model?.spec ?? c.model }, form: c };
  };

  return { dsId, facts, dataFacts, folds, fitPreset, runConfig };
}
