// What a run is, for the studio and the CLI alike: one plain, JSON-serialisable run configuration, its presets (the
// picked model's recipe at three budgets, lib/train/recipes.ts), a one-sentence explanation per field, validation, the
// equivalent `npx finetune train` command, and a diff between two configs.
import { UserError } from '../errors';
import type { LoraTarget } from '../models/types';
import { PAIR_CAP } from '../train/pair-plan';
import { BUDGETS, recipeFor, type Budget, type Recipe, type RecipeFacts, type RecipeMode } from '../train/recipes';

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

const MODE_WORD: Record<ModeName, string> = { head: 'head only', full: 'full', freeze: 'frozen layers', lora: 'LoRA' };

function modelWord(m: ModelSpec): string {
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

/** Which preset a config equals for these facts, if any (so the form can show it). */
export function matchPreset(c: RunConfig, facts: RecipeFacts = {}): PresetName | null {
  for (const p of PRESET_NAMES) {
    const ref = presetConfig(p, c.datasetId, c.model, facts);
    if (
      FIELDS.every((f) => c[f.key] === ref[f.key]) &&
      c.mode === ref.mode &&
      c.schedule === ref.schedule &&
      c.classWeights === ref.classWeights
    )
      return p;
  }
  return null;
}

type NumericKey = { [K in keyof RunConfig]-?: RunConfig[K] extends number ? K : never }[keyof RunConfig];

export interface FieldDoc {
  key: NumericKey;
  label: string;
  help: string; // one sentence with the default and a sensible range
  min: number;
  max: number;
  step: number;
  cli: string;
  integer?: boolean;
  /** only shown for these modes */
  modes?: ModeName[];
}

export const FIELDS: FieldDoc[] = [
  {
    key: 'epochs',
    label: 'Epochs',
    help:
      'Passes over the training split; the presets fit it to the data size (about the same number of steps for any size; ' +
      'head only: at least 500 steps, hundreds of epochs of a few rows); more risks over-fitting, which early stopping ' +
      'catches where 50 or more rows are held out.',
    min: 1,
    max: 1000,
    step: 1,
    cli: '--epochs',
    integer: true,
  },
  {
    key: 'batchSize',
    label: 'Batch size',
    help: 'Examples per step; larger is faster per example but needs more memory, 8–64 (the recipes use 32).',
    min: 1,
    max: 512,
    step: 1,
    cli: '--batch-size',
    integer: true,
  },
  {
    key: 'learningRate',
    label: 'Learning rate',
    help:
      'Step size of AdamW; it depends on the model and mode (small models and new weights take larger steps): ' +
      "from half to twice the recipe's value is the useful range.",
    min: 1e-7,
    max: 1,
    step: 1e-6,
    cli: '--lr',
  },
  {
    key: 'headLrMultiplier',
    label: 'Head LR multiplier',
    help: "The new classifier head's learning rate as a multiple of the encoder's; 1–30, larger helps with many labels.",
    min: 0.01,
    max: 1000,
    step: 0.5,
    cli: '--head-lr-multiplier',
    modes: ['full', 'freeze', 'lora'],
  },
  {
    key: 'headFirstEpochs',
    label: 'Head first (epochs)',
    help:
      "Epochs the new head trains alone on the frozen encoder's features (fast, cached) at its own rate before the " +
      'encoder trains too, so fine-tuning starts from a trained head (LP-FT, Kumar et al. 2022); 0 = off, as in the recipes.',
    min: 0,
    max: 100,
    step: 1,
    cli: '--head-first-epochs',
    integer: true,
    modes: ['full', 'freeze'],
  },
  {
    key: 'contrastiveRounds',
    label: 'Contrastive rounds',
    help:
      'Before the head trains, the encoder is tuned on pairs of training rows so texts of one label embed closer ' +
      '(SetFit, Tunstall et al. 2022): each round pairs every row with one of its label and one of another, ' +
      `at most ${PAIR_CAP.toLocaleString('en')} pairs in all; single-label classification only. 0 = off; the Balanced ` +
      'and Best recipes use 20 on small data (up to 128 rows per label), where it scored higher than the head alone.',
    min: 0,
    max: 100,
    step: 1,
    cli: '--contrastive-rounds',
    integer: true,
    modes: ['head'],
  },
  {
    key: 'emaDecay',
    label: 'Weight average (EMA)',
    help:
      'Evaluates and keeps a moving average of the weights, smoother than the last step; ' +
      '0 = off, 0.99–0.999 (the recipes average over about one epoch).',
    min: 0,
    max: 0.9999,
    step: 0.001,
    cli: '--ema-decay',
  },
  {
    key: 'weightDecay',
    label: 'Weight decay',
    help: 'Decoupled L2 shrinkage on weights (not biases or LayerNorm); 0–0.1 (default 0.01).',
    min: 0,
    max: 1,
    step: 0.001,
    cli: '--weight-decay',
  },
  {
    key: 'warmupRatio',
    label: 'Warm-up ratio',
    help: 'Share of steps over which the learning rate ramps up from 0; 0–0.1 (default 0.06).',
    min: 0,
    max: 0.5,
    step: 0.01,
    cli: '--warmup',
  },
  {
    key: 'maxLength',
    label: 'Max tokens',
    help: "Longer texts are truncated to this many tokens; the presets fit it to the training texts' lengths.",
    min: 8,
    max: 512,
    step: 8,
    cli: '--max-length',
    integer: true,
  },
  {
    key: 'dropout',
    label: 'Dropout',
    help: 'Share of activations zeroed during training to regularise; 0–0.3 (default 0.1).',
    min: 0,
    max: 0.9,
    step: 0.05,
    cli: '--dropout',
  },
  {
    key: 'labelSmoothing',
    label: 'Label smoothing',
    help: 'Softens one-hot targets so the model is less over-confident; 0–0.1.',
    min: 0,
    max: 0.5,
    step: 0.01,
    cli: '--label-smoothing',
  },
  {
    key: 'gradClip',
    label: 'Gradient clip',
    help: 'Caps the global gradient norm to keep steps stable; 0.5–5, 0 turns it off (default 1).',
    min: 0,
    max: 100,
    step: 0.1,
    cli: '--grad-clip',
  },
  {
    key: 'gradAccumulation',
    label: 'Accumulation steps',
    help: 'Sums gradients over this many batches before a step, for a larger effective batch; 1–8 (default 1).',
    min: 1,
    max: 64,
    step: 1,
    cli: '--grad-accumulation',
    integer: true,
  },
  {
    key: 'evalEverySteps',
    label: 'Evaluate every N steps',
    help: 'Runs validation every N steps as well as after each epoch; 0 = per epoch only (default 0).',
    min: 0,
    max: 100000,
    step: 1,
    cli: '--eval-every',
    integer: true,
  },
  {
    key: 'earlyStoppingPatience',
    label: 'Early-stopping patience',
    help:
      'Stops after this many evaluations without a better validation macro-F1 (a tie with a lower loss counts as better); ' +
      '0 = off, 2–3 is typical. Under 50 validation rows a run neither stops early nor keeps its best evaluation.',
    min: 0,
    max: 50,
    step: 1,
    cli: '--early-stopping',
    integer: true,
  },
  {
    key: 'seed',
    label: 'Seed',
    help: 'Fixes shuffling, dropout and initialisation so a run can be repeated exactly (default 42).',
    min: 0,
    max: 2 ** 31 - 1,
    step: 1,
    cli: '--seed',
    integer: true,
  },
  {
    key: 'freezeLayers',
    label: 'Frozen layers',
    help: 'Embeddings plus this many bottom layers stay fixed; 1 to (layers − 1).',
    min: 0,
    max: 48,
    step: 1,
    cli: '',
    integer: true,
    modes: ['freeze'],
  },
  {
    key: 'loraRank',
    label: 'LoRA rank',
    help: 'Size of the low-rank adapters; 4–16 is typical (default 8).',
    min: 1,
    max: 256,
    step: 1,
    cli: '',
    integer: true,
    modes: ['lora'],
  },
  {
    key: 'loraAlpha',
    label: 'LoRA alpha',
    help: 'Scale of the adapters (alpha / rank multiplies them); usually twice the rank (default 16).',
    min: 1,
    max: 1024,
    step: 1,
    cli: '--lora-alpha',
    modes: ['lora'],
  },
  {
    key: 'loraDropout',
    label: 'LoRA dropout',
    help: 'Dropout on the adapter input; 0–0.1 (default 0.05).',
    min: 0,
    max: 0.9,
    step: 0.01,
    cli: '--lora-dropout',
    modes: ['lora'],
  },
];

const RECIPE_KEYS: Partial<Record<NumericKey, (r: Recipe) => string>> = {
  learningRate: (r) => String(r.values.learningRate),
  headLrMultiplier: (r) => `× ${r.values.headLrMultiplier}`,
  epochs: (r) => String(r.values.epochs),
  emaDecay: (r) => String(r.values.emaDecay),
  maxLength: (r) => String(r.values.maxLength),
  labelSmoothing: (r) => String(r.values.labelSmoothing),
};

/** A field's help with the value the picked model's recipe uses for this mode (so the suggested range fits it). */
export function fieldHelp(f: FieldDoc, c: RunConfig, facts: RecipeFacts): string {
  const value = RECIPE_KEYS[f.key];
  if (!value || (c.mode !== 'full' && c.mode !== 'head' && c.mode !== 'lora')) return f.help;
  const r = recipeFor(facts, c.preset ?? (c.mode === 'head' ? 'quick' : 'balanced'), c.mode);
  return `${f.help} Recipe ${r.title}${c.mode === 'lora' ? ' (LoRA)' : ''}: ${value(r)}.`;
}

export const MODE_HELP: Record<ModeName, string> = {
  head: 'Head only: the encoder stays frozen and its features are computed once, so epochs take seconds.',
  freeze: 'Freeze N layers: the embeddings and the bottom N layers stay fixed; the rest and the head train.',
  full: 'Full fine-tuning: every weight trains; the best quality, the slowest and the most memory.',
  lora: 'LoRA: small low-rank adapters on attention and feed-forward layers train with the head; merged for export.',
};

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

/** Checks a config, e.g. one loaded from JSON; throws a UserError naming the option. */
export function validateConfig(raw: unknown, file = 'config'): RunConfig {
  if (!raw || typeof raw !== 'object')
    throw new UserError('The configuration is not a JSON object.', { file }, 'Load a file saved with "Save config".');
  const c = completeConfig(raw as Partial<RunConfig>);
  for (const f of FIELDS) {
    const v = c[f.key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new UserError(`${f.label} must be a number.`, { file, option: f.key }, `Use a value from ${f.min} to ${f.max}.`);
    if (v < f.min || v > f.max) throw new UserError(`${f.label} is ${v}, outside ${f.min}–${f.max}.`, { file, option: f.key }, f.help);
    if (f.integer && !Number.isInteger(v))
      throw new UserError(`${f.label} must be a whole number, got ${v}.`, { file, option: f.key }, f.help);
  }
  if (!['full', 'freeze', 'head', 'lora'].includes(c.mode))
    throw new UserError(`Unknown mode "${c.mode}".`, { file, option: 'mode' }, 'Use full, freeze, head or lora.');
  if (!['constant', 'linear', 'cosine'].includes(c.schedule))
    throw new UserError(`Unknown schedule "${c.schedule}".`, { file, option: 'schedule' }, 'Use constant, linear or cosine.');
  if (c.threads !== undefined && !(Number.isInteger(c.threads) && c.threads >= 0 && c.threads <= 1024))
    throw new UserError(
      `Threads must be a whole number from 0 (every core) up, got ${c.threads}.`,
      { file, option: 'threads' },
      'Use 0 for every core, or the number of threads to train on.',
    );
  for (const [key, label] of [
    ['maxSteps', 'Max steps'],
    ['maxTrainRows', 'Max training rows'],
  ] as const) {
    const v = c[key];
    if (v !== undefined && v !== null && !(Number.isInteger(v) && v >= 1))
      throw new UserError(`${label} must be a whole number ≥ 1, got ${v}.`, { file, option: key }, 'Leave it out for no limit.');
  }
  if (c.mode === 'freeze' && c.freezeLayers < 1)
    throw new UserError(
      'Freeze mode needs at least one frozen layer.',
      { file, option: 'freezeLayers' },
      'Set Frozen layers to 1 or more, or pick Full.',
    );
  return c;
}

function modelArg(m: ModelSpec): string {
  switch (m.kind) {
    case 'bundled':
      return 'use-lite';
    case 'hub':
      return m.id;
    case 'folder':
      return `./${m.name}`;
    case 'run':
      return `./runs/${m.runId}`;
  }
}

function modeArg(c: RunConfig): string {
  switch (c.mode) {
    case 'freeze':
      return `freeze:${c.freezeLayers}`;
    case 'lora':
      return `lora:${c.loraRank}`;
    default:
      return c.mode;
  }
}

const sh = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The same run from the command line (the dataset exported as CSV with the mapped columns). */
export function cliCommand(
  c: RunConfig,
  data: { file: string; textColumn: string; pairColumn?: string; labelColumn: string; ner?: boolean },
): string {
  const parts = ['npx finetune train', `--data ${sh(data.file)}`, `--text-column ${sh(data.textColumn)}`];
  if (data.pairColumn) parts.push(`--text-pair-column ${sh(data.pairColumn)}`);
  // named entities: the data's tags column; the config's task field has no NER value (the data decides it)
  if (data.ner) parts.push(`--tags-column ${sh(data.labelColumn)}`, '--task ner');
  else parts.push(`--label-column ${sh(data.labelColumn)}`);
  if (!data.ner && c.task !== 'classification') parts.push(`--task ${c.task}`);
  parts.push(`--model ${sh(modelArg(c.model))}`);
  if (c.model.kind === 'hub' && c.model.endpoint) parts.push(`--hub-endpoint ${sh(c.model.endpoint)}`);
  if (c.model.kind === 'hub' && c.model.revision && c.model.revision !== 'main') parts.push(`--revision ${sh(c.model.revision)}`);
  parts.push(`--mode ${modeArg(c)}`);
  // every setting written out: the CLI's defaults are fitted to the data it reads, so only explicit values are exact
  for (const f of FIELDS) {
    if (!f.cli) continue;
    if (f.modes && !f.modes.includes(c.mode)) continue;
    parts.push(`${f.cli} ${c[f.key]}`);
  }
  parts.push(`--schedule ${c.schedule}`);
  parts.push(c.classWeights ? '--class-weights' : '--class-weights=false');
  if (c.multilabelThreshold !== undefined) parts.push(`--threshold ${c.multilabelThreshold}`);
  if (c.maxSteps) parts.push(`--max-steps ${c.maxSteps}`);
  if (c.maxTrainRows) parts.push(`--max-train-rows ${c.maxTrainRows}`);
  if (c.threads) parts.push(`--threads ${c.threads}`);
  if (data.ner && c.labelAllSubwords) parts.push('--label-all-subwords');
  parts.push('--out ./runs/' + sh(c.name.replace(/[^\w.-]+/g, '-').toLowerCase() || 'run'));
  return parts.join(' \\\n  ');
}

export interface DiffRow {
  key: string;
  /** the setting's name as the Train screen shows it */
  label: string;
  values: string[];
  differs: boolean;
}

const OTHER_LABELS: Record<string, string> = {
  preset: 'Preset',
  model: 'Model',
  mode: 'Mode',
  schedule: 'Schedule',
  classWeights: 'Class weights',
  threads: 'Threads',
};
const DIFF_HIDDEN = new Set(['name', 'datasetId', 'recipe', 'fold']);
const LORA_KEYS = new Set(['loraRank', 'loraAlpha', 'loraDropout', 'loraTargets']);

function readable(key: string, v: unknown): string {
  if (v === undefined) return '—';
  if (key === 'model') return modelWord(v as ModelSpec) + ((v as ModelSpec).kind === 'bundled' ? ' (bundled)' : '');
  if (key === 'preset') return PRESETS[v as PresetName]?.title ?? String(v);
  if (key === 'mode') return MODE_WORD[v as ModeName] ?? String(v);
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (Array.isArray(v)) return v.join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Config diff table: readable values, only the settings that apply to these runs' modes, differing rows first. */
export function diffConfigs(configs: RunConfig[]): DiffRow[] {
  const keys = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c)) keys.add(k);
  const modes = new Set(configs.map((c) => c.mode));
  const labels = new Map<string, string>(FIELDS.map((f) => [f.key, f.label]));
  const rows = [...keys]
    .filter((k) => !DIFF_HIDDEN.has(k))
    .filter((k) =>
      LORA_KEYS.has(k)
        ? modes.has('lora')
        : k === 'freezeLayers'
          ? modes.has('freeze')
          : k === 'headLrMultiplier'
            ? [...modes].some((m) => m !== 'head')
            : k === 'headFirstEpochs'
              ? modes.has('full') || modes.has('freeze')
              : k === 'contrastiveRounds'
                ? modes.has('head')
                : true,
    )
    .map((k) => {
      const values = configs.map((c) => readable(k, (c as unknown as Record<string, unknown>)[k]));
      return { key: k, label: labels.get(k) ?? OTHER_LABELS[k] ?? k, values, differs: new Set(values).size > 1 };
    });
  return [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)];
}
