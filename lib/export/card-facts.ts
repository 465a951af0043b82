// Facts the model card takes from a run that both adapters compute the same way: rows per label of the training
// split, and what is known about the base model (its Hub id, languages) from how the run named it.
import type { Architecture, Task } from '../models/types';
import type { ModelSpec } from '../run/config';
import type { ModelCardInput } from './model-card';

/** Training rows per label, in label order (multi-label: rows carrying the label), from encoded examples (label ids)
 *  or mapped ones (label names). Empty for regression. */
export function labelCounts(
  task: Task,
  labels: string[],
  train: { label: number | number[] | string | string[] }[],
): { label: string; count: number }[] {
  if (task === 'regression' || task === 'token-classification') return [];
  const counts = new Array<number>(labels.length).fill(0);
  for (const e of train) {
    for (const l of Array.isArray(e.label) ? e.label : [e.label]) {
      const id = typeof l === 'number' ? l : labels.indexOf(l);
      if (id >= 0 && id < counts.length) counts[id]++;
    }
  }
  return labels.map((label, i) => ({ label, count: counts[i] }));
}

/** The card's base-model facts from the run's model: a Hub id becomes `base_model`; the bundled USE-Lite is English. */
export function baseOf(spec: ModelSpec, arch: Architecture, label: string, maxTokens?: number): ModelCardInput['base'] {
  const hubId = spec.kind === 'hub' ? spec.id : undefined;
  return {
    name: hubId ?? label,
    ...(hubId ? { hubId } : {}),
    ...(arch === 'use-lite' ? { languages: ['en'] } : {}),
    ...(maxTokens ? { maxTokens } : {}),
  };
}
