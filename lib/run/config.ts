// What a run is, for the studio and the CLI alike: one plain, JSON-serialisable run configuration, its presets (the
// picked model's recipe at three budgets, lib/train/recipes.ts) and its default name. Its fields' help and the check
// of a config: lib/run/fields.ts; the equivalent command line and a comparison of configs: lib/run/config-text.ts.
import type { LoraTarget } from '../models/types';
import type { StopAfter } from '../train/config';
import { recipeFor, type Recipe } from '../train/recipes';
import { BUDGETS, type Budget, type RecipeFacts, type RecipeMode } from '../train/recipe-table';
import { TEXT_WINDOWS } from '../train/text-windows';

export type { RecipeFacts };

export type ModelSpec =
  | { kind: 'bundled' } // USE-Lite served at /models/use-lite/
  | { kind: 'hub'; id: string; revision?: string; endpoint?: string } // endpoint: a Hub mirror; default https://huggingface.co
  | { kind: 'folder'; name: string } // files picked in the browser; held by the worker for this session
  | { kind: 'run'; runId: string }; // a studio run's checkpoint (trained or imported)

export type ModeName = 'full' | 'freeze' | 'head' | 'lora';
export type ScheduleName = 'constant' | 'linear' | 'cosine';

export interface RunConfig {
  name: string;
  datasetId: string;
  model: ModelSpec;
  task: 'classification' | 'multilabel' | 'regression';
  mode: ModeName;
  freezeLayers: number;
  loraRank: number;
  loraAlpha: number;
  loraDropout: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  headLrMultiplier: number;
  /** full and freeze: epochs the new head first trains alone on the frozen encoder's features (0 = off; LP-FT) */
  headFirstEpochs: number;
  /** head only: rounds of SetFit-style pairs the encoder is tuned on before the head trains (0 = off; the recipes turn
   *  it on for small data; lib/train/contrastive.ts) */
  contrastiveRounds: number;
  /** weight average's decay (0 = off) */
  emaDecay: number;
  weightDecay: number;
  schedule: ScheduleName;
  warmupRatio: number;
  maxLength: number;
  /** sequence tasks: a text longer than maxLength is read in up to this many windows of maxLength tokens (each a
   *  training example; predictions average them; lib/train/text-windows.ts); 1 cuts it at maxLength */
  textWindows: number;
  dropout: number;
  labelSmoothing: number;
  gradClip: number;
  gradAccumulation: number;
  classWeights: boolean;
  evalEverySteps: number; // 0: once per epoch
  earlyStoppingPatience: number; // 0: off
  seed: number;
  /** the preset this config was made from, while no field has been changed by hand */
  preset?: PresetName;
  /** the recipe the values come from ("USE-Lite · Balanced") and why each data-derived value is what it is */
  recipe?: { title: string; source: string; why: string[] };
  // settings the command line exposes beyond the studio's form (absent: the engine's default)
  optimizer?: 'adamw' | 'adam';
  /** named entities: train every sub-word of a word on its tag (a B- as I-) instead of the first one only */
  labelAllSubwords?: boolean;
  /** validation metric for early stopping and the best checkpoint (default: macroF1; loss for regression; entityF1 for NER) */
  metric?: string;
  minDelta?: number;
  /** stop after this many optimizer steps (the big-data recipes: part of one epoch) */
  maxSteps?: number;
  /** a tune's trial: end after this many epochs (or steps) of the run's planned length, on its schedule; the trial is
   *  continued from its final checkpoint if it goes on to the next rung */
  stopAfter?: StopAfter;
  /** train on a sample of at most this many training rows, each label in its share (the big-data head-only recipe) */
  maxTrainRows?: number;
  /** warm-up as a step count instead of warmupRatio */
  warmupSteps?: number;
  loraTargets?: LoraTarget[];
  /** multi-label: probability above which a label is predicted (validation, Evaluate; default 0.5) */
  multilabelThreshold?: number;
  /** threads the run trains on (data-parallel) or, head-only, encodes on; 0 or absent: every core, fewer where
   *  memory says so (lib/run/threads.ts). A machine setting: results match across thread counts to float rounding. */
  threads?: number;
  /** cross-validation: this run trains on every fold of the training rows but `index` and validates on it */
  fold?: { k: number; index: number };
}

export type PresetName = Budget;

const BASE: Omit<RunConfig, 'datasetId' | 'name'> = {
  model: { kind: 'bundled' },
  task: 'classification',
  mode: 'head',
  freezeLayers: 0,
  loraRank: 8,
  loraAlpha: 16,
  loraDropout: 0.05,
  epochs: 3,
  batchSize: 32,
  learningRate: 1e-3,
  headLrMultiplier: 1,
  headFirstEpochs: 0,
  contrastiveRounds: 0,
  emaDecay: 0,
  weightDecay: 0.01,
  schedule: 'linear',
  warmupRatio: 0.06,
  maxLength: 128,
  textWindows: TEXT_WINDOWS,
  dropout: 0.1,
  labelSmoothing: 0,
  gradClip: 1,
  gradAccumulation: 1,
  classWeights: false,
  evalEverySteps: 0,
  earlyStoppingPatience: 0,
  seed: 42,
};

export const PRESETS: Record<PresetName, { title: string; blurb: string }> = {
  quick: {
    title: 'Quick (head only)',
    blurb: "Trains only a small classifier on the frozen encoder's features: a minute or two, a solid baseline.",
  },
  balanced: {
    title: 'Balanced',
    blurb:
      "Fine-tunes the encoder with the model's recipe, epochs fitted to the data size: the best use of time (on " +
      'small data, a head on the encoder first tuned on pairs of rows, which scores higher there; for named entities ' +
      'with USE-Lite, all but its bottom layer).',
  },
  best: {
    title: 'Best quality',
    blurb: 'The same recipe with about 20 % more steps and longer texts kept whole; slowest, best scores.',
  },
};

export const PRESET_NAMES: PresetName[] = BUDGETS;

/** A recipe's values as run settings. */
export function recipeSettings(r: Recipe): Partial<RunConfig> {
  const v = r.values;
  return {
    mode: v.mode,
    epochs: v.epochs,
    batchSize: v.batchSize,
    learningRate: v.learningRate,
    headLrMultiplier: v.headLrMultiplier,
    emaDecay: v.emaDecay,
    weightDecay: v.weightDecay,
    schedule: v.schedule,
    warmupRatio: v.warmupRatio,
    maxLength: v.maxLength,
    dropout: v.dropout,
    labelSmoothing: v.labelSmoothing,
    classWeights: v.classWeights,
    evalEverySteps: v.evalEverySteps,
    earlyStoppingPatience: v.earlyStoppingPatience,
    ...(v.loraRank ? { loraRank: v.loraRank, loraAlpha: v.loraAlpha ?? 2 * v.loraRank } : {}),
    ...(v.mode === 'freeze' ? { freezeLayers: v.freezeLayers ?? 1 } : {}),
    contrastiveRounds: v.contrastiveRounds ?? 0,
    // absent unless the data is big (a preset fitted again drops an earlier fit's)
    maxSteps: v.maxSteps,
    maxTrainRows: v.maxTrainRows,
    recipe: { title: r.title, source: r.source, why: r.why },
  };
}

/** A preset: the model's recipe at that budget, fitted to the data the facts describe. `mode` picks that mode's
 *  recipe instead (e.g. LoRA at the Balanced budget). */
export function presetConfig(
  preset: PresetName,
  datasetId = '',
  model: ModelSpec = { kind: 'bundled' },
  facts: RecipeFacts = {},
  mode?: RecipeMode,
): RunConfig {
  const r = recipeFor(facts, preset, mode);
  // a blank name is filled when the run starts (autoRunName), from the settings it actually has
  return { ...BASE, name: '', datasetId, model, ...recipeSettings(r), preset };
}

export const MODE_WORD: Record<ModeName, string> = { head: 'head only', full: 'full', freeze: 'frozen layers', lora: 'LoRA' };

/** A model in a few words, as run names and comparisons show it. */
export function modelWord(m: ModelSpec): string {
  switch (m.kind) {
    case 'bundled':
      return 'USE-Lite';
    case 'hub':
      return m.id.split('/').pop() ?? m.id;
    case 'folder':
      return m.name;
    case 'run':
      return 'trained model';
  }
}

/** A run's default name from its settings ("Balanced · full · USE-Lite"), with " #n" when runs so named exist. */
export function autoRunName(c: RunConfig, existing: string[]): string {
  const base = `${c.preset ? PRESETS[c.preset].title.replace(/ \(.*\)$/, '') : 'Custom'} · ${MODE_WORD[c.mode]} · ${modelWord(c.model)}`;
  const taken = new Set(existing);
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base} #${n}`)) n++;
  return `${base} #${n}`;
}

/** The head-first epochs a run takes: its setting in full and freeze mode (where the encoder trains), else none. */
export function headFirstEpochsOf(c: Pick<RunConfig, 'mode' | 'headFirstEpochs'>): number {
  return c.mode === 'full' || c.mode === 'freeze' ? c.headFirstEpochs || 0 : 0;
}

/** The contrastive rounds a run takes: its setting in head-only mode (where the encoder is otherwise frozen), else none. */
export function contrastiveRoundsOf(c: Pick<RunConfig, 'mode' | 'contrastiveRounds'>): number {
  return c.mode === 'head' ? c.contrastiveRounds || 0 : 0;
}

/** A config saved by an older version, with the settings added since at their defaults. */
export function completeConfig(c: Partial<RunConfig>): RunConfig {
  return { ...BASE, name: 'run', datasetId: '', ...c } as RunConfig;
}

/** The settings a new run takes from a stored one (Clone & tweak): all but its name and, for a tune's trial, the
 *  stop the tune gave it (a run started from a trial trains its whole length). */
export function cloneConfig(c: Partial<RunConfig>, name: string): RunConfig {
  const { stopAfter: _stop, ...rest } = c;
  return completeConfig({ ...rest, name });
}
