// What a recipe needs to know about a run's model and data (lib/train/recipes.ts), computed the same way for the
// studio (the dataset report) and the CLI (the files it reads).
import type { Example } from '../data/types';
import type { Encoder, Task, TextTokenizer } from '../models/types';
import type { RecipeFacts } from '../train/recipe-table';

/** Token lengths are measured on at most this many training texts, evenly spaced. */
const LENGTH_SAMPLE = 5000;
/** Whole lengths kept for the recipe's window count (evenly spaced quantiles). */
const LENGTHS_KEPT = 500;

export function modelFacts(
  encoder: Pick<Encoder, 'arch' | 'hiddenSize' | 'numLayers'>,
  tokenizer?: Pick<TextTokenizer, 'modelMaxLength'>,
): RecipeFacts {
  return { arch: encoder.arch, hiddenSize: encoder.hiddenSize, numLayers: encoder.numLayers, modelMaxLength: tokenizer?.modelMaxLength };
}

/** Rows, examples per label and token lengths of a training split, and the validation split's rows where known. */
export function dataFacts(
  train: Pick<Example, 'text' | 'textPair' | 'label'>[],
  labels: string[],
  task: Task,
  tokenizer?: Pick<TextTokenizer, 'encode' | 'countTokens'> & Partial<Pick<TextTokenizer, 'modelMaxLength'>>,
  validationRows?: number,
): RecipeFacts {
  const facts: RecipeFacts = { task, trainRows: train.length, ...(validationRows !== undefined ? { validationRows } : {}) };
  if (task === 'classification' || task === 'multilabel') {
    const index = new Map(labels.map((l, i) => [l, i]));
    const counts = new Array<number>(labels.length).fill(0);
    for (const ex of train) {
      for (const l of Array.isArray(ex.label) ? ex.label : [ex.label]) {
        const i = index.get(String(l));
        if (i !== undefined) counts[i]++;
      }
    }
    facts.labelCounts = counts;
  }
  if (tokenizer && train.length) {
    const step = Math.max(1, Math.ceil(train.length / LENGTH_SAMPLE));
    const lens: number[] = [];
    const full: number[] = [];
    // single texts longer than the max length are read in windows: their whole lengths (pairs are cut)
    const windowed = task !== 'token-classification' && tokenizer.countTokens;
    for (let i = 0; i < train.length; i += step) {
      const { text, textPair } = train[i];
      if (windowed && textPair === undefined && tokenizer.modelMaxLength) {
        // one tokenization: the cut length is the whole length at most the model's limit
        const n = tokenizer.countTokens!(text);
        full.push(n);
        lens.push(Math.min(n, tokenizer.modelMaxLength));
      } else lens.push(tokenizer.encode(text, textPair).ids.length);
    }
    if (full.length) {
      full.sort((a, b) => a - b);
      const k = Math.min(full.length, LENGTHS_KEPT);
      facts.textLengths = Array.from({ length: k }, (_, j) => full[Math.floor((j * full.length) / k)]);
    }
    lens.sort((a, b) => a - b);
    facts.tokenLengths = { p95: lens[Math.min(lens.length - 1, Math.floor(0.95 * lens.length))], max: lens[lens.length - 1] };
  }
  return facts;
}
