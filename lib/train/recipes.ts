// Defaults as data: one training recipe per model family and budget, and the rules that fit it to a dataset (epochs
// from its size, max length from its token lengths, class weights on imbalance, the weight average's horizon). The
// studio's presets, the CLI's defaults and the benchmarks read this one table, so a setting found in a benchmark
// reaches every user. Every derived value comes with a sentence saying why. The table: lib/train/recipe-table.ts.
import { fewRowsWhy, MIN_SELECTION_ROWS, selectsOnValidation } from './config';
import { TEXT_WINDOWS, windowShare } from './text-windows';
import {
  BUDGET_CHANGES,
  FAMILY_TITLE,
  familyOf,
  FULL,
  HEAD,
  LORA,
  MANY_LABELS,
  NER_FULL,
  NER_HEAD,
  NER_LORA,
  type Budget,
  type Entry,
  type RecipeFacts,
  type RecipeFamily,
  type RecipeMode,
  type RecipeValues,
} from './recipe-table';

export interface Recipe {
  family: RecipeFamily;
  budget: Budget;
  /** "USE-Lite · Balanced", for the Train screen and the CLI */
  title: string;
  source: string;
  /** the values to train with, data-derived ones included */
  values: RecipeValues & {
    epochs: number;
    maxLength: number;
    emaDecay: number;
    classWeights: boolean;
    evalEverySteps: number;
    /** big data: the run stops after this many steps, part of its one epoch (BIG_DATA) */
    maxSteps?: number;
    /** big data, head only: the encoder's features for a sample of this many training rows (BIG_DATA) */
    maxTrainRows?: number;
  };
  /** one sentence per derived value */
  why: string[];
}

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * Big data. A run that trains the encoder takes about its recipe's steps whatever the data's size, down to part of one
 * epoch: where one epoch is `fractionOver` times the wanted steps or more, it stops after them, having seen that many
 * batches of rows once, in a shuffled order (120,000 rows at 32 a step were 3,375 steps, 81 minutes estimated on 2
 * threads, for a recipe chosen at about 1,100), evaluating at the half and at the end. A head-only run spends its time
 * on the encoder's features, one pass over every row, so it computes them for a sample of at most `headRows` training
 * rows (or `headRowsPerLabel` a label where that is more), each label in its share: a linear head over fixed features
 * (Banking77: 87.9 % test from 9,000 rows, 84.9 % from 4,400) is the fast baseline; Balanced fine-tunes on more rows.
 */
const BIG_DATA = { fractionOver: 1.5, headRows: 20_000, headRowsPerLabel: 250 };

/** Full fine-tuning needs at least this share of its recipe's steps within its epoch cap (see tooFewRowsToFineTune). */
const FULL_STEP_SHARE = 0.5;

/**
 * Small data: when the training rows cannot give full fine-tuning half the steps its recipe wants within its epoch cap,
 * it underfits — a pre-trained encoder and a new head need those steps together — and a head on the frozen encoder
 * does better (bench:small, SST-2 samples of 32, 128 and 512 rows, 3 seeds, 3–29 % of the steps: head only ahead on
 * dev at each size, on test by 1.3 and 2.7 points at 32 and 128 rows, equal at 512). From half the steps full
 * fine-tuning wins (Banking77 held-out rows: 32 per label, 50 % of the steps, 89.1 against 83.7 %; 64 per label, 99 %,
 * 91.5 / 90.0 / 88.8 against 85.9 / 82.1 / 87.5 %, seeds 1–3). Below it the Balanced and Best budgets train the head
 * only, and say why; an explicit mode still fine-tunes. Returns the reason, or null.
 */
function tooFewRowsToFineTune(facts: RecipeFacts, full: Entry, many: boolean, scaleSteps: number): string | null {
  if (!facts.trainRows || facts.trainRows <= 0) return null;
  const f = { ...full.few, ...(many ? full.many : {}) };
  const perEpoch = Math.ceil(facts.trainRows / f.batchSize);
  const reachable = perEpoch * f.maxEpochs;
  const wanted = Math.round(f.targetSteps * scaleSteps);
  if (reachable >= wanted * FULL_STEP_SHARE) return null;
  return (
    `head only: ${facts.trainRows.toLocaleString('en')} training rows give full fine-tuning at most ` +
    `${reachable.toLocaleString('en')} of the ${wanted.toLocaleString('en')} steps its recipe wants (${f.maxEpochs} epochs of ` +
    `${perEpoch}), under half, too few for the encoder and a new head together; on such small data a head on the frozen ` +
    'encoder scores higher (measured on SST-2 samples of 32–512 rows). Choose the Full mode (--mode full) to fine-tune the ' +
    'encoder anyway.'
  );
}

/** Small data, at most 8 labels and 128 training rows per label: where the Balanced and Best budgets train the head
 *  only (tooFewRowsToFineTune), the encoder is first tuned on pairs of the training rows (SetFit). Quick, and a
 *  head-only mode picked by hand, stay the head alone. bench:small (SST-2, 3 seeds, README), dev accuracy over the head
 *  alone: +2.5 points at 16 rows per label, +0.7 at 64, +0.1 at 256 — so up to 128 per label, where it pays for its
 *  minute or two. With 77 labels (Banking77, 16 per label) it scored 1.2 points under the head alone on held-out rows. */
const SMALL_DATA_PAIRS = {
  rounds: 20,
  maxRowsPerLabel: 128,
  why:
    'contrastive rounds 20: before the head trains, the encoder is tuned on pairs of training rows (same label or not, ' +
    'SetFit) so texts of one label embed closer; on SST-2 samples this scored 2.5 points above the head alone at 16 ' +
    'rows per label and 0.7 at 64 (dev accuracy, 3 seeds), so it is used up to 128 rows per label.',
};

/** WNUT-17 dev entity micro-F1 (%), bench/ner.ts and bench:quality (bench/RESULTS.md): USE-Lite per mode at its best
 *  rates, on all 3,394 training sentences and on 500 of them. */
const WNUT_DEV = { full: '38.9–39.6', head: '32.7–33.3', freeze: '40.9–41.0', full500: 35.3, head500: 18.3 };

/** The NER recipe's reasons: the mode (USE-Lite), the rates, no label smoothing, no class weights. */
function nerWhy(family: RecipeFamily, v: RecipeValues, defaultMode: boolean): string[] {
  const out: string[] = [];
  const d = WNUT_DEV;
  if (family === 'use-lite' && defaultMode && v.mode === 'freeze')
    out.push(
      `freeze:${v.freezeLayers ?? 1}: the embeddings and the bottom layer stay as pre-trained, the rest fine-tunes at any ` +
        'data size. USE-Lite was pre-trained as a sentence encoder (mean-pooled), so its per-token states are weak ' +
        `features on their own; WNUT-17 dev entity-F1: ${d.freeze} so, ${d.full} with every weight fine-tuned, ${d.head} ` +
        `head only (on 500 sentences: ${d.full500} fine-tuned, ${d.head500} head only); an epoch takes about a third ` +
        'less time (no gradients for the embedding table).',
    );
  if (v.mode === 'head')
    out.push(`learning rate ${v.learningRate} for the per-token head: the better of 3e-3 and 1e-2 on WNUT-17 dev (USE-Lite).`);
  else if (family === 'use-lite' && v.mode !== 'lora')
    out.push(
      `learning rate ${v.learningRate}, head × ${v.headLrMultiplier}: the encoder moves slowly while the new head learns at ` +
        'about the head-only rate; on WNUT-17 dev 5e-4 with head × 10 peaked after one epoch (37.2) and fell.',
    );
  else
    out.push(
      `learning rate ${v.learningRate}, head × ${v.headLrMultiplier}: from the NER fine-tuning literature for this ` +
        'size, the head faster as it starts from nothing (not measured here).',
    );
  out.push(
    'no label smoothing: entity F1 wants sharp B-/I- decisions among mostly O words ' +
      '(WNUT-17 dev, head only: 31.3 with 0.1, 32.7 without).',
  );
  out.push(
    'no class weights: weighting the tags by rarity (O is ~90 % of words) floods the output with spurious entities ' +
      '(WNUT-17 dev, head only: 7.4 entity-F1 with, 29.6 without).',
  );
  return out;
}

/** NER's max length: 95 % of training sentences in one window (a multiple of 32 sub-word tokens); longer ones become
 *  overlapping windows (lib/train/ner-windows.ts), so no word is cut. Best keeps the longest whole where the cap
 *  allows. */
function nerMaxLength(facts: RecipeFacts, cap: number, keepLongest: boolean): { maxLength: number; why?: string } {
  if (!facts.tokenLengths || facts.tokenLengths.max <= 0) return { maxLength: Math.min(128, cap) };
  const { p95, max } = facts.tokenLengths;
  const whole = Math.max(32, roundUp(max, 32));
  if (whole <= cap && (keepLongest || whole === Math.max(32, roundUp(p95, 32))))
    return {
      maxLength: whole,
      why: `max length ${whole}: the longest training sentence has ${max} sub-word tokens, so every sentence is one window.`,
    };
  const maxLength = Math.min(cap, Math.max(32, roundUp(p95, 32)));
  return {
    maxLength,
    why:
      `max length ${maxLength}: 95 % of training sentences have at most ${p95} sub-word tokens (the longest ${max}); ` +
      'longer ones are tagged in overlapping windows, each word scored once, so nothing is cut ' +
      '(WNUT-17 dev, head only: 32.7 entity-F1 at 64 and 33.3 at 96, within noise).',
  };
}

/** The recipe for a model at a budget, fitted to the data. `mode` picks another mode's recipe (e.g. LoRA) at that
 *  budget; quick is always head-only unless a mode is given. Token classification (NER) has recipes of its own. */
export function recipeFor(facts: RecipeFacts, budget: Budget, mode?: RecipeMode): Recipe {
  const family = familyOf(facts);
  const ner = facts.task === 'token-classification';
  const labels = facts.labelCounts?.length ?? 0;
  const many = !ner && facts.task !== 'regression' && labels > MANY_LABELS;
  const b = BUDGET_CHANGES[budget];
  const why: string[] = [];
  // measured for USE-Lite, whose pooled output is a sentence embedding trained to be used frozen; a BERT's [CLS] state
  // is not, so BERT-family models fine-tune whatever the size
  // NER has no such rule: USE-Lite's per-token states are weak features at any data size (nerWhy)
  const small =
    mode === undefined && budget !== 'quick' && family === 'use-lite' && !ner
      ? tooFewRowsToFineTune(facts, FULL[family], many, b.scaleSteps)
      : null;
  if (small) why.push(small);
  // USE-Lite tags entities best with its embeddings and bottom layer fixed (nerWhy)
  const m: RecipeMode = mode ?? (budget === 'quick' || small ? 'head' : ner && family === 'use-lite' ? 'freeze' : 'full');
  const entry = ner
    ? m === 'head'
      ? NER_HEAD
      : m === 'lora'
        ? NER_LORA
        : NER_FULL[family]
    : m === 'head'
      ? HEAD
      : m === 'lora'
        ? LORA
        : FULL[family];
  const v: RecipeValues = { ...entry.few, ...(many ? entry.many : {}), mode: m };
  const perLabel = facts.trainRows && labels ? facts.trainRows / labels : Infinity;
  if (small && !many && (facts.task ?? 'classification') === 'classification' && perLabel <= SMALL_DATA_PAIRS.maxRowsPerLabel) {
    v.contrastiveRounds = SMALL_DATA_PAIRS.rounds;
    why.push(SMALL_DATA_PAIRS.why);
  }
  if (many && entry.many)
    why.push(
      `${labels} labels (more than ${MANY_LABELS}): the many-label settings ` +
        `(learning rate ${v.learningRate}${m !== 'head' ? `, head × ${v.headLrMultiplier}` : ''}), ` +
        'since a new head over many classes needs a larger rate.',
    );
  if (ner) why.push(...nerWhy(family, v, mode === undefined && !small && budget !== 'quick'));

  // too few validation rows to select on: the run trains its whole length (lib/run/engine-config.ts), and says so here
  const held = facts.validationRows;
  const fewHeldOut = held !== undefined && held > 0 && !selectsOnValidation(held);
  if (fewHeldOut) {
    v.earlyStoppingPatience = 0;
    why.push(
      `no early stopping: ${held} validation row${held === 1 ? ' is' : 's are'} too few to select on ${fewRowsWhy(held)}, ` +
        'so the run trains its whole length and keeps its last weights.',
    );
  }

  // max length (said after the epochs): every training text whole where that stays cheap, else 95 % of them (the rest
  // read in windows)
  const cap = Math.min(b.maxLengthCap ?? v.maxLengthCap, facts.modelMaxLength ?? Infinity);
  let maxLength = Math.min(128, cap);
  const lengthWhy: string[] = [];
  if (ner) {
    const fit = nerMaxLength(facts, cap, budget === 'best');
    maxLength = fit.maxLength;
    if (fit.why) lengthWhy.push(fit.why);
  } else if (facts.tokenLengths && facts.tokenLengths.max > 0) {
    const { p95, max } = facts.tokenLengths;
    if (facts.modelMaxLength && max >= facts.modelMaxLength && cap >= facts.modelMaxLength && p95 >= facts.modelMaxLength) {
      maxLength = cap;
      lengthWhy.push(`max length ${maxLength}: most training texts reach the model's limit of ${facts.modelMaxLength} tokens.`);
    } else if (roundUp(max, 32) <= cap && max < (facts.modelMaxLength ?? Infinity)) {
      maxLength = Math.max(32, roundUp(max, 32));
      lengthWhy.push(`max length ${maxLength}: the longest training text has ${max} tokens, so none is truncated.`);
    } else {
      maxLength = Math.min(cap, Math.max(32, roundUp(p95, 32), Math.min(cap, 128)));
      lengthWhy.push(
        `max length ${maxLength}: 95 % of training texts have at most ${p95} tokens (the longest ${max}); ` +
          `longer ones are read in windows of that many, the cap is ${cap} at this budget.`,
      );
    }
  }

  // epochs: about targetSteps optimizer steps, whatever the dataset's size
  const targetSteps = Math.round(v.targetSteps * b.scaleSteps);
  let epochs = 3;
  let stepsPerEpoch = 0;
  let maxSteps: number | undefined;
  let maxTrainRows: number | undefined;
  const rowWord = ner ? 'sentences' : 'rows';
  const fmt = (n: number) => n.toLocaleString('en');
  if (facts.trainRows && facts.trainRows > 0) {
    let trainRows = facts.trainRows;
    // long texts: each window is a training example (lib/train/text-windows.ts), so an epoch has more of them, and
    // head only computes features for each window: its sample holds as many windows as short texts' would rows
    const long = ner || !facts.textLengths ? null : windowShare(facts.textLengths, maxLength);
    const perText = long ? Math.max(1, long.meanWindows) : 1;
    const headCap = Math.round(Math.max(BIG_DATA.headRows, BIG_DATA.headRowsPerLabel * labels) / perText);
    if (m === 'head' && trainRows > headCap) {
      maxTrainRows = headCap;
      why.push(
        `features for ${fmt(headCap)} of the ${fmt(trainRows)} training ${rowWord}` +
          `${long ? ` (about ${fmt(Math.round(headCap * perText))} windows)` : ''}, a sample with each label in its share: ` +
          "computing the encoder's features is what a head-only run spends its time on, and a head over fixed features " +
          'gains little from more rows (the Balanced budget fine-tunes the encoder on more of them).',
      );
      trainRows = headCap;
    }
    const examples = Math.round(trainRows * perText);
    if (long)
      why.push(
        `long texts: ${Math.round(100 * long.share)} % of training texts have more than ${maxLength} tokens; each is read ` +
          `in up to ${TEXT_WINDOWS} windows spread over it (${long.meanWindows.toFixed(1)} a text on average; Windows per text), every ` +
          "window trains with its text's label and a prediction averages them (1 window per text cuts long texts).",
      );
    stepsPerEpoch = Math.ceil(examples / v.batchSize);
    epochs = Math.min(v.maxEpochs, Math.max(v.minEpochs, Math.round(targetSteps / stepsPerEpoch)));
    const perEpoch = `${fmt(stepsPerEpoch)} step${stepsPerEpoch === 1 ? '' : 's'}`;
    const rows = long
      ? `${fmt(examples)} windows of ${fmt(trainRows)} training ${rowWord} make ${perEpoch} of ${v.batchSize}`
      : `${fmt(trainRows)} training ${rowWord} make ${perEpoch} of ${v.batchSize}`;
    // (a recipe with a floor above one epoch keeps it: the NER recipes' two)
    if (m !== 'head' && v.minEpochs <= 1 && stepsPerEpoch >= BIG_DATA.fractionOver * targetSteps) {
      epochs = 1;
      maxSteps = targetSteps;
      why.push(
        `${fmt(targetSteps)} steps, ${Math.round((100 * targetSteps) / stepsPerEpoch)} % of one epoch: about ` +
          `${fmt(targetSteps)} steps are wanted and ${rows}, so the run sees ${fmt(targetSteps * v.batchSize)} ` +
          `${rowWord} once, in a shuffled order, and evaluates at the half and at the end (more epochs or steps: set Epochs).`,
      );
    } else if (v.minSteps && epochs * stepsPerEpoch < v.minSteps) {
      epochs = Math.ceil(v.minSteps / stepsPerEpoch);
      why.push(
        `${epochs} epochs: ${rows}, and the head takes at least ${v.minSteps} steps (on 90 SMS rows its validation ` +
          'loss still fell at 90 steps and at 510; a step on cached features takes milliseconds)' +
          (fewHeldOut
            ? '.'
            : `; ${held === undefined ? `where ${MIN_SELECTION_ROWS} or more rows are held out, ` : ''}early stopping ends it ` +
              'sooner once they stop improving.'),
      );
    } else
      why.push(
        `${epochs} epochs: about ${targetSteps.toLocaleString('en')} steps are wanted and ${rows} (kept within ` +
          `${v.minEpochs}–${v.maxEpochs} epochs).`,
      );
  } else {
    epochs = Math.min(v.maxEpochs, Math.max(v.minEpochs, Math.round(3 * b.scaleSteps)));
  }

  why.push(...lengthWhy);

  // weight average: a horizon of about one epoch, when the run is long enough for one to form
  let emaDecay = 0;
  const totalSteps = maxSteps ?? stepsPerEpoch * epochs;
  if (v.ema) {
    if (!stepsPerEpoch || totalSteps >= 300) {
      emaDecay = stepsPerEpoch ? Math.min(0.995, Math.max(0.99, 1 - 1 / stepsPerEpoch)) : 0.995;
      emaDecay = Math.round(emaDecay * 1000) / 1000;
      if (stepsPerEpoch)
        why.push(`weight average ${emaDecay}: averages over about ${Math.round(1 / (1 - emaDecay))} steps, near one epoch.`);
    } else why.push(`no weight average: ${totalSteps} steps in all are too few for one to settle.`);
  }

  // class weights when the rarest label is under a tenth of the commonest (NER: never, see nerWhy)
  let classWeights = false;
  const counts = facts.labelCounts?.filter((c) => c > 0) ?? [];
  if (!ner && facts.task !== 'regression' && counts.length >= 2) {
    const ratio = Math.max(...counts) / Math.min(...counts);
    if (ratio >= 10) {
      classWeights = true;
      why.push(`class weights on: the commonest label has ${ratio.toFixed(1)}× the examples of the rarest.`);
    }
  }

  const evalEverySteps = maxSteps
    ? Math.ceil(maxSteps / 2)
    : v.evalsPerEpoch > 1 && stepsPerEpoch
      ? Math.max(1, Math.floor(stepsPerEpoch / v.evalsPerEpoch))
      : 0;
  return {
    family,
    budget,
    title: `${FAMILY_TITLE[family]}${ner ? ' NER' : ''} · ${b.title}`,
    source: entry.source,
    values: {
      ...v,
      epochs,
      maxLength,
      emaDecay,
      classWeights,
      evalEverySteps,
      targetSteps,
      ...(maxSteps ? { maxSteps } : {}),
      ...(maxTrainRows ? { maxTrainRows } : {}),
    },
    why,
  };
}
