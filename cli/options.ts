// Option declarations shared by several commands, and their translation into engine values (modes, TrainConfig).
import { UserError } from '../lib/errors';
import type { FineTuneMode, LoraTarget } from '../lib/models/types';
import { FIELDS } from '../lib/run/fields';
import { MAX_TEXT_WINDOWS } from '../lib/train/text-windows';
import {
  contrastiveRoundsOf,
  headFirstEpochsOf,
  PRESET_NAMES,
  presetConfig,
  type PresetName,
  type RecipeFacts,
  type RunConfig,
} from '../lib/run/config';
import { num, str, type OptionSpec, type ParsedOptions } from './args';

/** --header yes|no: whether a delimited file's first row names its columns (cli/data.ts headerHintFrom) */
export const HEADER_OPTION: OptionSpec = {
  name: 'header',
  type: 'string',
  meta: 'H',
  choices: ['yes', 'no'],
  help: 'whether the first row of a CSV/TSV file names the columns',
  defaultText: 'detected; yes when it holds every column the flags name',
};

export const DATA_COLUMN_OPTIONS: OptionSpec[] = [
  { name: 'text-column', type: 'string', meta: 'C', help: 'column with the text', defaultText: 'guessed from the header' },
  { name: 'text-pair-column', type: 'string', meta: 'C2', help: 'column with the second text of a pair' },
  { name: 'label-column', type: 'string', meta: 'L', help: 'column with the label', defaultText: 'guessed from the header' },
  { name: 'label-separator', type: 'string', meta: 'S', help: 'multilabel: separator inside one label cell', defaultText: '|' },
  HEADER_OPTION,
  {
    name: 'ignore-label-case',
    type: 'boolean',
    help: 'labels that differ only in case ("pos", "Pos") are one label, written in lower case',
  },
  {
    name: 'tags-column',
    type: 'string',
    meta: 'T',
    help: 'NER: JSON key of the tag list (with --text-column for the word list), or a column of space-separated tags',
    defaultText: 'tags; CoNLL: the last column',
  },
];

/** --task: the sequence tasks, and NER (ner is the engine's token-classification) */
export const TASK_CHOICES = ['classification', 'multilabel', 'regression', 'ner', 'token-classification'];

/** --hub-endpoint URL: an http(s) address of the Hub or a mirror, or undefined when not given. */
export function hubEndpointFrom(opts: ParsedOptions): string | undefined {
  const url = str(opts, 'hub-endpoint');
  if (url === undefined) return undefined;
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new UserError(
      `"${url}" is not an http(s) address`,
      { option: '--hub-endpoint' },
      'give the address of the Hub or a mirror, e.g. https://hf-mirror.example.org',
    );
  return url;
}

export const MODEL_HELP = 'use-lite (bundled), a Hugging Face folder (config.json, model.safetensors, tokenizer files) or a Hub id';

/** --mode full | head | freeze:N | lora:R */
export function parseMode(text: string, opts: ParsedOptions): FineTuneMode {
  const option = '--mode';
  const [kind, arg] = text.split(':');
  const int = (s: string | undefined, what: string): number => {
    const n = Number(s);
    if (s === undefined || s === '' || !Number.isInteger(n) || n < 0)
      throw new UserError(
        `"${text}" needs a whole number of ${what} after the colon`,
        { option },
        `e.g. --mode ${kind}:${kind === 'lora' ? 8 : 1}`,
      );
    return n;
  };
  switch (kind) {
    case 'full':
    case 'head':
      if (arg !== undefined) throw new UserError(`"${text}": mode ${kind} takes no number`, { option }, `write --mode ${kind}`);
      return { kind };
    case 'freeze':
      return { kind: 'freeze', layers: int(arg, 'layers to freeze') };
    case 'lora': {
      const rank = int(arg, 'rank');
      if (rank < 1) throw new UserError('LoRA rank must be at least 1', { option }, 'e.g. --mode lora:8');
      const targets = (str(opts, 'lora-targets') ?? 'query,value').split(',').map((t) => t.trim()) as LoraTarget[];
      return { kind: 'lora', rank, alpha: num(opts, 'lora-alpha') ?? 2 * rank, dropout: num(opts, 'lora-dropout') ?? 0.05, targets };
    }
    default:
      throw new UserError(
        `unknown mode "${text}"`,
        { option },
        'use full, head, freeze:N (freeze the bottom N layers) or lora:R (LoRA of rank R)',
      );
  }
}

/** engine TrainConfig option name -> command-line flag, so the engine's UserErrors name what the person typed */
export const TRAIN_FLAG_OF: Record<string, string> = {
  epochs: '--epochs',
  batchSize: '--batch-size',
  learningRate: '--lr',
  weightDecay: '--weight-decay',
  warmupRatio: '--warmup',
  warmupSteps: '--warmup',
  schedule: '--schedule',
  maxGradNorm: '--grad-clip',
  gradAccumSteps: '--grad-accumulation',
  labelSmoothing: '--label-smoothing',
  seed: '--seed',
  evalEverySteps: '--eval-every',
  'earlyStopping.patience': '--early-stopping',
  'earlyStopping.metric': '--metric',
  'earlyStopping.minDelta': '--min-delta',
  bestMetric: '--metric',
  maxSteps: '--max-steps',
  optimizer: '--optimizer',
  classWeights: '--class-weights',
  'freeze.layers': '--mode',
  mode: '--mode',
  classifierDropout: '--dropout',
  labels: '--label-column',
  maxLength: '--max-length',
  textWindows: '--windows',
  headLrMultiplier: '--head-lr-multiplier',
  headFirstEpochs: '--head-first-epochs',
  contrastiveRounds: '--contrastive-rounds',
  emaDecay: '--ema-decay',
};

export function relabelOption<E extends UserError>(e: E): E {
  const o = e.where.option;
  if (o && TRAIN_FLAG_OF[o]) (e.where as { option?: string }).option = TRAIN_FLAG_OF[o];
  return e;
}

/** The run's settings: the preset's recipe for this model and data (--preset, default balanced; --mode picks that mode's
 *  recipe), then every option given on the command line, one field each. --warmup below 1 is a ratio, else steps. */
export function runConfigFrom(opts: ParsedOptions, facts: RecipeFacts): RunConfig {
  const modeText = str(opts, 'mode');
  const mode = modeText !== undefined ? parseMode(modeText, opts) : undefined;
  const preset = (str(opts, 'preset') ?? 'balanced') as PresetName;
  if (str(opts, 'preset') && mode && (preset === 'quick') !== (mode.kind === 'head')) {
    throw new UserError(
      `--mode ${modeText} conflicts with --preset ${preset}: ` +
        `${preset === 'quick' ? 'Quick trains the head only' : `${preset} fine-tunes the encoder`}`,
      { option: '--mode' },
      preset === 'quick' ? 'leave out --mode, or use --preset balanced with it' : 'leave out --mode, or use --preset quick for head only',
    );
  }
  const task = facts.task === 'multilabel' || facts.task === 'regression' ? facts.task : 'classification';
  const c: RunConfig = { ...presetConfig(preset, '', { kind: 'bundled' }, facts, mode?.kind), name: 'run', task };
  if (mode?.kind === 'freeze') c.freezeLayers = mode.layers;
  if (mode?.kind === 'lora')
    Object.assign(c, { loraRank: mode.rank, loraAlpha: mode.alpha, loraDropout: mode.dropout, loraTargets: mode.targets });
  const overridden: string[] = [];
  for (const f of FIELDS) {
    if (!f.cli || f.cli === '--warmup') continue;
    const v = num(opts, f.cli.slice(2));
    if (v === undefined) continue;
    (c as unknown as Record<string, number>)[f.key] = v;
    overridden.push(f.cli);
  }
  const warmup = num(opts, 'warmup');
  if (warmup !== undefined) {
    if (warmup < 1) c.warmupRatio = warmup;
    else c.warmupSteps = warmup;
    overridden.push('--warmup');
  }
  if (c.headFirstEpochs > 0 && headFirstEpochsOf(c) === 0)
    throw new UserError(
      `--head-first-epochs trains the head alone before the encoder trains, which the ${c.mode === 'head' ? 'head-only' : 'LoRA'} mode ` +
        'does not do',
      { option: '--head-first-epochs' },
      'use it with --mode full or --mode freeze:N, or leave it out',
    );
  if (c.contrastiveRounds > 0 && contrastiveRoundsOf(c) === 0)
    throw new UserError(
      `--contrastive-rounds tunes the encoder on pairs before a head-only run's head trains, and the ${c.mode} mode trains ` +
        'the encoder with the head',
      { option: '--contrastive-rounds' },
      'use it with --mode head (or --preset quick), or leave it out',
    );
  const schedule = str(opts, 'schedule');
  if (schedule) c.schedule = schedule as RunConfig['schedule'];
  const cw = opts['class-weights'];
  if (typeof cw === 'boolean') c.classWeights = cw;
  if (opts['label-all-subwords'] === true) c.labelAllSubwords = true;
  const optimizer = str(opts, 'optimizer');
  if (optimizer) c.optimizer = optimizer as RunConfig['optimizer'];
  const metric = str(opts, 'metric');
  if (metric) c.metric = metric;
  const minDelta = num(opts, 'min-delta');
  if (minDelta !== undefined) c.minDelta = minDelta;
  const maxSteps = num(opts, 'max-steps');
  if (maxSteps !== undefined) c.maxSteps = maxSteps;
  // epochs given by hand are trained whole: the recipe's big-data stop part-way through one goes
  else if (overridden.includes('--epochs')) delete c.maxSteps;
  const maxTrainRows = num(opts, 'max-train-rows');
  if (maxTrainRows !== undefined) c.maxTrainRows = maxTrainRows;
  const threshold = num(opts, 'threshold');
  if (threshold !== undefined) {
    if (!(threshold > 0 && threshold < 1))
      throw new UserError(
        `--threshold ${threshold} is not a probability between 0 and 1`,
        { option: '--threshold' },
        'e.g. --threshold 0.5',
      );
    c.multilabelThreshold = threshold;
  }
  const threads = num(opts, 'threads');
  if (threads !== undefined) c.threads = threads; // a machine setting: the preset stays
  if (schedule || typeof cw === 'boolean' || optimizer || overridden.length) c.preset = undefined;
  return c;
}

export const TRAIN_OPTIONS: OptionSpec[] = [
  {
    name: 'preset',
    type: 'string',
    choices: PRESET_NAMES,
    help: "the model's recipe at a budget: quick (head only), balanced, best; every option below overrides one of its values",
    defaultText: 'balanced',
  },
  { name: 'epochs', type: 'int', min: 1, help: 'passes over the training data', defaultText: "the recipe's, fitted to the data size" },
  { name: 'batch-size', type: 'int', min: 1, help: 'examples per step', defaultText: "the recipe's (32)" },
  { name: 'lr', type: 'number', help: 'peak learning rate (AdamW)', defaultText: "the recipe's for the model and mode" },
  {
    name: 'head-lr-multiplier',
    type: 'number',
    min: 0,
    meta: 'X',
    help: "the classifier head's learning rate as a multiple of --lr, when the encoder trains too (full, freeze, lora)",
    defaultText: "the recipe's",
  },
  {
    name: 'head-first-epochs',
    type: 'int',
    min: 0,
    meta: 'N',
    help: "full / freeze: first train the new head alone for N epochs on the frozen encoder's features (LP-FT; 0 = off)",
    defaultText: '0 (off)',
  },
  {
    name: 'contrastive-rounds',
    type: 'int',
    min: 0,
    meta: 'R',
    help:
      'head only: first tune the encoder on R rounds of pairs of training rows, same label or not (SetFit), so the head ' +
      'trains on features where one label clusters; single-label classification',
    defaultText: "the recipe's: 20 at the balanced and best presets on small data (≤ 8 labels, ≤ 128 rows per label), else 0",
  },
  {
    name: 'ema-decay',
    type: 'number',
    min: 0,
    meta: 'D',
    help: 'evaluate, keep and export an exponential moving average of the weights with this decay, e.g. 0.999 (0 = off)',
    defaultText: "the recipe's: about one epoch",
  },
  { name: 'weight-decay', type: 'number', min: 0, help: 'decoupled weight decay (not on biases / LayerNorm)', defaultText: "the recipe's" },
  { name: 'warmup', type: 'number', min: 0, help: 'warm-up: a ratio of all steps if < 1, else a step count', defaultText: "the recipe's" },
  {
    name: 'schedule',
    type: 'string',
    choices: ['constant', 'linear', 'cosine'],
    help: 'learning-rate schedule after warm-up',
    defaultText: "the recipe's",
  },
  { name: 'optimizer', type: 'string', choices: ['adamw', 'adam'], help: 'optimizer', defaultText: 'adamw' },
  {
    name: 'max-length',
    type: 'int',
    min: 2,
    help: 'tokens a model input holds: longer texts are read in --windows windows of this many (NER: overlapping windows)',
    defaultText: "fitted to the training texts' token lengths",
  },
  {
    name: 'windows',
    type: 'int',
    min: 1,
    max: MAX_TEXT_WINDOWS,
    help:
      'a text longer than --max-length is read in up to N windows of that many tokens, spread over it: each trains with ' +
      "the text's label, a prediction averages them (1 = truncate; not for text pairs or NER)",
    defaultText: '8',
  },
  { name: 'seed', type: 'int', help: 'seed for shuffling, dropout, head init and the validation split', defaultText: '42' },
  {
    name: 'early-stopping',
    type: 'int',
    min: 0,
    meta: 'PATIENCE',
    help: 'stop after this many evaluations without improvement (0 = off)',
    defaultText: "the recipe's",
  },
  {
    name: 'metric',
    type: 'string',
    help: 'validation metric for early stopping / the best checkpoint (loss, accuracy, macroF1, mse, entityF1, ...)',
    defaultText: 'macroF1; loss for regression; entityF1 for NER',
  },
  { name: 'min-delta', type: 'number', min: 0, help: 'early stopping: smallest change that counts as better', defaultText: '0' },
  { name: 'eval-every', type: 'int', min: 0, meta: 'STEPS', help: 'also evaluate every N steps (0 = once per epoch)', defaultText: '0' },
  {
    name: 'max-steps',
    type: 'int',
    min: 1,
    help: 'stop after this many optimizer steps',
    defaultText: "none; on big data the recipe's steps, part of one epoch",
  },
  {
    name: 'max-train-rows',
    type: 'int',
    min: 1,
    meta: 'N',
    help: 'train on a sample of N training rows, each label in its share',
    defaultText: 'every row; head only on big data: 20,000 (250 a label where more)',
  },
  { name: 'grad-clip', type: 'number', min: 0, help: 'clip gradients to this global norm (0 = off)', defaultText: '1' },
  { name: 'grad-accumulation', type: 'int', min: 1, help: 'micro-batches per optimizer step', defaultText: '1' },
  { name: 'label-smoothing', type: 'number', min: 0, help: 'label smoothing for classification', defaultText: "the recipe's" },
  {
    name: 'threshold',
    type: 'number',
    help: 'multilabel: probability above which a label is predicted, in validation and --test',
    defaultText: '0.5',
  },
  {
    name: 'label-all-subwords',
    type: 'boolean',
    help: 'named entities: train every sub-word of a word on its tag (a B- as I-), not only the first (scores still read the first)',
  },
  {
    name: 'class-weights',
    type: 'boolean',
    help: 'weight the loss by inverse class frequency (--class-weights=false turns it off)',
    defaultText: 'on when the commonest label has 10× the rarest',
  },
  {
    name: 'dropout',
    type: 'number',
    min: 0,
    help: "dropout in training: the classifier's and the encoder's hidden dropout",
    defaultText: '0.1',
  },
  {
    name: 'threads',
    type: 'int',
    min: 1,
    help:
      'threads that train (full, freeze, LoRA: each batch split over them, each with a replica of the model) ' +
      "or compute the frozen encoder's features (head-only); 1 to 4 per core",
    defaultText: 'every core (fewer where memory says so)',
  },
  { name: 'lora-alpha', type: 'number', min: 0, help: 'LoRA scale numerator (scale = alpha / rank)', defaultText: '2 × rank' },
  { name: 'lora-dropout', type: 'number', min: 0, help: 'dropout on the LoRA input', defaultText: '0.05' },
  {
    name: 'lora-targets',
    type: 'string',
    meta: 'LIST',
    help: 'LoRA targets: comma list of query,key,value,output,ffn',
    defaultText: 'query,value',
  },
];
