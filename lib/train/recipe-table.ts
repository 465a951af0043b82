// The recipe table: per model family, mode and task, the settings a run starts from before lib/train/recipes.ts fits
// them to the data, with where each came from (a benchmark here, or the literature where nothing could be measured).
import type { Architecture } from '../models/types';

export type Budget = 'quick' | 'balanced' | 'best';
export const BUDGETS: Budget[] = ['quick', 'balanced', 'best'];
export type RecipeMode = 'head' | 'full' | 'freeze' | 'lora';

/** Size classes of a model: USE-Lite on its own, the BERT family by hidden size (Turc et al.'s tiny/mini/small/base). */
export type RecipeFamily = 'use-lite' | 'bert-tiny' | 'bert-mini' | 'bert-small' | 'bert-base' | 'bert-large';

/** What a recipe needs to know about the model and the data; everything but the model is optional (no dataset yet). */
export interface RecipeFacts {
  arch?: Architecture | string;
  hiddenSize?: number;
  numLayers?: number;
  /** the model's own limit on tokens */
  modelMaxLength?: number;
  task?: 'classification' | 'multilabel' | 'regression' | 'token-classification';
  /** examples in the training split */
  trainRows?: number;
  /** examples in the validation split (under MIN_SELECTION_ROWS a run does not select on them) */
  validationRows?: number;
  /** examples per label in the training split (classification), for imbalance */
  labelCounts?: number[];
  /** token lengths of the training texts under this model's tokenizer */
  tokenLengths?: { p95: number; max: number };
  /** sequence tasks (single texts): the training texts' token counts before any cut, sorted, at most 500 evenly
   *  spaced of them: what the recipe counts windows on at the max length it picks (lib/train/text-windows.ts) */
  textLengths?: number[];
  /** the share of the training texts' letters in words the model's tokenizer cannot spell (they become its unknown
   *  token), and the text with the largest share: high where the texts are in a script the model was not trained on
   *  (lib/run/facts.ts) */
  unknownLetters?: { share: number; example?: string };
}

/** The settings a recipe fixes for one mode (the rest of a run's settings keep the engine's defaults). */
export interface RecipeValues {
  mode: RecipeMode;
  learningRate: number;
  headLrMultiplier: number;
  batchSize: number;
  schedule: 'constant' | 'linear' | 'cosine';
  warmupRatio: number;
  weightDecay: number;
  labelSmoothing: number;
  dropout: number;
  /** optimizer steps the run aims at: epochs = this ÷ steps per epoch, within [minEpochs, maxEpochs] */
  targetSteps: number;
  minEpochs: number;
  maxEpochs: number;
  /** at least this many steps, above maxEpochs where the data is small (head only: a step on cached features costs
   *  milliseconds) */
  minSteps?: number;
  /** the largest max length the data may ask for (long texts are truncated there) */
  maxLengthCap: number;
  /** weight average: on when the run is long enough (decay from its steps per epoch) */
  ema: boolean;
  earlyStoppingPatience: number;
  /** validation passes per epoch (1 = at each epoch's end) */
  evalsPerEpoch: number;
  loraRank?: number;
  loraAlpha?: number;
  /** freeze mode: the embeddings and this many bottom layers stay fixed (1 when not given) */
  freezeLayers?: number;
  /** head-only mode: rounds of contrastive pairs the encoder is tuned on first (SetFit; lib/train/contrastive.ts) */
  contrastiveRounds?: number;
}

export interface Entry {
  /** where the values come from, in a few words */
  source: string;
  few: RecipeValues;
  /** overrides when the task has many labels (> MANY_LABELS): a new head over many classes wants a larger rate */
  many?: Partial<RecipeValues>;
}

export const MANY_LABELS = 8;

export const HEAD: Entry = {
  source: 'close to the head-only bench:quality recipes (SST-2 80.1 %, Banking77 87.9 % test); not re-measured as a default',
  few: {
    mode: 'head',
    learningRate: 3e-3,
    headLrMultiplier: 1,
    batchSize: 32,
    schedule: 'constant',
    warmupRatio: 0,
    weightDecay: 0,
    labelSmoothing: 0,
    dropout: 0.1,
    targetSteps: 6000,
    minEpochs: 10,
    maxEpochs: 30,
    minSteps: 500,
    maxLengthCap: 128,
    ema: false,
    earlyStoppingPatience: 5,
    evalsPerEpoch: 1,
  },
  many: { learningRate: 1e-2, maxEpochs: 60 },
};

/** USE-Lite: measured with `npm run bench:quality` (bench/RESULTS.md), settings chosen on dev / held-out data. */
const USE_LITE_FULL: Entry = {
  source: 'measured with these defaults in bench:quality: SST-2 85.3 %, Banking77 92.5 % test',
  few: {
    mode: 'full',
    learningRate: 3e-4,
    headLrMultiplier: 10,
    batchSize: 32,
    schedule: 'linear',
    warmupRatio: 0.06,
    weightDecay: 0.01,
    labelSmoothing: 0.1,
    dropout: 0.1,
    targetSteps: 1100,
    minEpochs: 1,
    maxEpochs: 20,
    maxLengthCap: 128,
    ema: true,
    earlyStoppingPatience: 3,
    evalsPerEpoch: 1,
  },
  many: { learningRate: 4e-4, headLrMultiplier: 25, targetSteps: 2800 },
};

/** BERT-family sizes: learning rates from the literature on fine-tuning compact BERTs (smaller models take larger
 *  rates: Turc et al. 2019, Devlin et al. 2019's 2e-5–5e-5 for base), not measured here (no pre-trained weights
 *  offline); the head multiplier follows what USE-Lite showed for many labels. */
function bertFull(lr: number, targetSteps: number): Entry {
  return {
    source: 'BERT fine-tuning literature (not yet measured here)',
    few: {
      mode: 'full',
      learningRate: lr,
      headLrMultiplier: 1,
      batchSize: 32,
      schedule: 'linear',
      warmupRatio: 0.06,
      weightDecay: 0.01,
      labelSmoothing: 0.1,
      dropout: 0.1,
      targetSteps,
      minEpochs: 1,
      maxEpochs: 10,
      maxLengthCap: 128,
      ema: true,
      earlyStoppingPatience: 3,
      evalsPerEpoch: 1,
    },
    many: { headLrMultiplier: 10 },
  };
}

export const FULL: Record<RecipeFamily, Entry> = {
  'use-lite': USE_LITE_FULL,
  'bert-tiny': bertFull(3e-4, 1500),
  'bert-mini': bertFull(1e-4, 1500),
  'bert-small': bertFull(5e-5, 1200),
  'bert-base': bertFull(3e-5, 1000),
  'bert-large': bertFull(2e-5, 1000),
};

/** LoRA: adapters start at zero and want a rate ~10× full fine-tuning's (Hu et al. 2021 use 2e-4–5e-4 on RoBERTa). */
export const LORA: Entry = {
  source: 'LoRA literature (rank 8, alpha 16; not yet measured here)',
  few: {
    mode: 'lora',
    learningRate: 5e-4,
    headLrMultiplier: 4,
    batchSize: 32,
    schedule: 'linear',
    warmupRatio: 0.06,
    weightDecay: 0.01,
    labelSmoothing: 0.1,
    dropout: 0.1,
    targetSteps: 1500,
    minEpochs: 1,
    maxEpochs: 20,
    maxLengthCap: 128,
    ema: true,
    earlyStoppingPatience: 3,
    evalsPerEpoch: 1,
    loraRank: 8,
    loraAlpha: 16,
  },
  many: { headLrMultiplier: 10, targetSteps: 2800 },
};

// ---- NER (token classification): one tag per word, entity micro-F1 picks the checkpoint ----
// Chosen on WNUT-17's dev split (emerging.dev.conll; `node --import tsx bench/ner.ts`, bench/RESULTS.md), never on its
// test file. What differs from the sentence recipes: no label smoothing, no class weights (balanced weights over O and
// the rare I- tags wreck precision), rates of their own for the per-token head, no small-data fallback to the head only,
// and max length from the sentence lengths' 95th percentile (longer sentences become overlapping windows, nothing is cut).

/** Head only on the frozen encoder's per-token states (WNUT-17 dev: lr 3e-3 32.7–33.3 entity-F1, 1e-2 29.2–29.6). */
export const NER_HEAD: Entry = {
  source: 'measured on WNUT-17 dev (bench/ner.ts): per-token head, lr 3e-3',
  few: { ...HEAD.few, learningRate: 3e-3, labelSmoothing: 0 },
};

/** USE-Lite: pre-trained as a sentence encoder (mean-pooled), so its per-token states are weak features on their own;
 *  fine-tuning the encoder is what makes them tag entities. WNUT-17 dev, entity micro-F1: head only 33.3; full at lr
 *  5e-4, head × 10: 37.2 after one epoch, then falling; lr 2e-4, head × 30 (about the head-only rate for the head):
 *  39.6 at epoch 5 of 10 (38.9 and 39.3 in two more runs); the same with the embeddings and the bottom layer fixed
 *  (freeze:1, the default mode): 41.0 and 40.9 (two seeds), a third less time an epoch. */
const USE_LITE_NER: Entry = {
  source: 'measured on WNUT-17 (bench/ner.ts, chosen on dev): bottom layer fixed 40.9–41.0 dev, all fine-tuned 38.9–39.6',
  few: {
    ...USE_LITE_FULL.few,
    learningRate: 2e-4,
    headLrMultiplier: 30,
    labelSmoothing: 0,
    targetSteps: 1000,
    minEpochs: 2,
    maxEpochs: 20,
    freezeLayers: 1,
  },
};

/** BERT-family NER: the rates of the Hugging Face token-classification scripts and Devlin et al. 2019 (5e-5 for base,
 *  2e-5–5e-5 on CoNLL-2003), larger for compact models (Turc et al. 2019); not measured here (no pre-trained weights
 *  offline). The new per-token head starts from nothing: × 10 its rate, between the scripts' × 1 and the × 30 USE-Lite
 *  wanted on WNUT-17 (a guess, not measured for BERT). */
function bertNer(lr: number, targetSteps: number): Entry {
  return {
    source: 'BERT NER fine-tuning literature (not measured here: no pre-trained BERT offline)',
    few: { ...bertFull(lr, targetSteps).few, headLrMultiplier: 10, labelSmoothing: 0, minEpochs: 2, maxEpochs: 10 },
  };
}

export const NER_FULL: Record<RecipeFamily, Entry> = {
  'use-lite': USE_LITE_NER,
  'bert-tiny': bertNer(3e-4, 1200),
  'bert-mini': bertNer(1e-4, 1200),
  'bert-small': bertNer(8e-5, 1000),
  'bert-base': bertNer(5e-5, 1000),
  'bert-large': bertNer(3e-5, 1000),
};

/** LoRA for NER: the sentence LoRA recipe (rank 8, alpha 16, lr 5e-4) with the NER changes: no label smoothing, the
 *  head × 10 of the BERT NER recipes, about as many steps as they take (not measured here). */
export const NER_LORA: Entry = {
  source: 'LoRA literature (rank 8, alpha 16) with the NER settings of full fine-tuning (not measured here)',
  few: { ...LORA.few, headLrMultiplier: 10, labelSmoothing: 0, targetSteps: 1200, minEpochs: 2 },
};

/** What each budget changes on the model's recipe. Quick: head only. Best: ~20 % more steps, longer texts kept. */
export const BUDGET_CHANGES: Record<Budget, { title: string; scaleSteps: number; maxLengthCap?: number }> = {
  quick: { title: 'Quick', scaleSteps: 1 },
  balanced: { title: 'Balanced', scaleSteps: 1 },
  best: { title: 'Best quality', scaleSteps: 1.2, maxLengthCap: 256 },
};

export function familyOf(f: Pick<RecipeFacts, 'arch' | 'hiddenSize'>): RecipeFamily {
  if (!f.arch || f.arch === 'use-lite') return 'use-lite';
  const h = f.hiddenSize ?? 768;
  if (h <= 128) return 'bert-tiny';
  if (h <= 256) return 'bert-mini';
  if (h <= 512) return 'bert-small';
  if (h <= 768) return 'bert-base';
  return 'bert-large';
}

export const FAMILY_TITLE: Record<RecipeFamily, string> = {
  'use-lite': 'USE-Lite',
  'bert-tiny': 'BERT tiny',
  'bert-mini': 'BERT mini',
  'bert-small': 'BERT small',
  'bert-base': 'BERT base',
  'bert-large': 'BERT large',
};
