// Learning-rate schedules as pure functions of the optimizer step, following Hugging Face's get_*_schedule_with_warmup
// (warmup ramps from 0; linear decays to 0 at the last step; cosine follows half a cosine wave).

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface ScheduleSpec {
  kind: ScheduleKind;
  baseLr: number;
  totalSteps: number;
  warmupSteps: number;
}

/** Warmup as steps (>= 1, rounded) or as a ratio of the total (0 <= x < 1). */
export function resolveWarmup(warmup: { steps?: number; ratio?: number }, totalSteps: number): number {
  if (warmup.steps !== undefined) return Math.max(0, Math.round(warmup.steps));
  if (warmup.ratio !== undefined) return Math.ceil(Math.max(0, warmup.ratio) * totalSteps);
  return 0;
}

/** The learning rate used for optimizer step `step` (0-based). */
export function learningRateAt(spec: ScheduleSpec, step: number): number {
  const { kind, baseLr, totalSteps, warmupSteps } = spec;
  if (step < warmupSteps) return (baseLr * step) / Math.max(1, warmupSteps);
  if (kind === 'constant') return baseLr;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (kind === 'linear') return baseLr * Math.max(0, 1 - progress);
  return baseLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}
