// The run configuration's numeric fields as the Train screen and the CLI show them: one sentence of help each with
// its default and a sensible range (and the picked model's recipe value), their bounds, their CLI options, and the
// check of a whole config (one loaded from JSON, or a form's) against them.
import { UserError } from '../errors';
import { PAIR_CAP } from '../train/pair-plan';
import { MAX_TEXT_WINDOWS } from '../train/text-windows';
import { recipeFor, type Recipe } from '../train/recipes';
import { type RecipeFacts } from '../train/recipe-table';
import { completeConfig, type ModeName, type RunConfig } from './config';

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
    help:
      'Tokens a model input holds: a longer text is read in windows of this many (Windows per text) or cut here; ' +
      "the presets fit it to the training texts' lengths.",
    min: 8,
    max: 512,
    step: 8,
    cli: '--max-length',
    integer: true,
  },
  {
    key: 'textWindows',
    label: 'Windows per text',
    help:
      'A text longer than Max tokens is read in up to this many windows of Max tokens, spread from its start to its end: ' +
      "each window trains with the text's label and a prediction averages them; 1 cuts long texts (default 8).",
    min: 1,
    max: MAX_TEXT_WINDOWS,
    step: 1,
    cli: '--windows',
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
