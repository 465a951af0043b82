// NER on WNUT-17 (../shared/datasets/wnut17) with the engine called directly, as `finetune train` calls it
// (lib/run/train-run.ts prepareRun/trainRun): the measurements behind the NER recipes of lib/train/recipes.ts.
//   node --import tsx bench/ner.ts baseline          most-frequent-tag baseline on dev and test, sentence lengths
//   node --import tsx bench/ner.ts CANDIDATE...      trains each candidate (names below) on wnut17train.conll, picks
//                                                    the best checkpoint on emerging.dev.conll, then scores the test
//                                                    file once; one JSON line per candidate
// Settings are chosen on the dev split only; the test figure is reported, never used to choose. `npm run bench:quality`
// runs the defaults through the real CLI (bench/quality.ts, runs wnut17-*).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../lib/backend/init';
import { toExample, usableRecords } from '../lib/data/labeled';
import { applyMapping, suggestMapping } from '../lib/data/mapping';
import { parseFile } from '../lib/data/parse';
import type { Example } from '../lib/data/types';
import { mulberry32, shuffleInPlace } from '../lib/rng';
import { presetConfig, type RunConfig } from '../lib/run/config';
import { dataFacts, modelFacts } from '../lib/run/facts';
import { prepareRun, trainRun } from '../lib/run/train-run';
import { encodeExamples } from '../lib/train/encode';
import { evaluateModel } from '../lib/train/evaluate';
import { nerReport } from '../lib/train/ner-metrics';
import type { RecipeMode } from '../lib/train/recipe-table';
import { loadBundledUseLite } from '../cli/models';
import { threadsPort } from '../cli/threads';
import { sharedPath } from '../tests/helpers/shared';

export const WNUT_FILES = { train: 'wnut17train.conll', dev: 'emerging.dev.conll', test: 'emerging.test.annotated' } as const;

/** A CoNLL file as the engine's examples (words and BIO tags), read through lib/data as the CLI reads it. */
export function loadConll(path: string): { examples: Example[]; labels: string[] } {
  const table = parseFile(new Uint8Array(readFileSync(path)), { fileName: path.replace(/\.annotated$/, '.conll') });
  const mapped = applyMapping(table, suggestMapping(table));
  return { examples: usableRecords(mapped.records).map(toExample), labels: mapped.labels };
}

/** The baseline: each word gets the tag it carries most often in the training file (exact word form;
 *  ties: the tag seen first), unseen words O. Returns entity micro-F1 (seqeval's reading) per evaluation set. */
export function mostFrequentTag(train: Example[], sets: Record<string, Example[]>): Record<string, number> {
  const counts = new Map<string, Map<string, number>>();
  for (const ex of train)
    ex.words!.forEach((w, i) => {
      const m = counts.get(w) ?? new Map<string, number>();
      m.set(ex.tags![i], (m.get(ex.tags![i]) ?? 0) + 1);
      counts.set(w, m);
    });
  const best = new Map<string, string>();
  for (const [w, m] of counts) best.set(w, [...m].reduce((a, b) => (b[1] > a[1] ? b : a))[0]);
  const out: Record<string, number> = {};
  for (const [name, exs] of Object.entries(sets))
    out[name] = nerReport(
      exs.map((e) => e.tags!),
      exs.map((e) => e.words!.map((w) => best.get(w) ?? 'O')),
    ).microF1;
  return out;
}

/** Candidates: a mode (its Balanced recipe fitted to the data) and settings over it. */
export const CANDIDATES: Record<string, { mode?: RecipeMode | 'freeze'; set?: Partial<RunConfig>; rows?: number }> = {
  defaults: {},
  // head only: per-token states of the frozen encoder into a linear tagger
  'head-3e-3': { mode: 'head', set: { learningRate: 3e-3, epochs: 30, earlyStoppingPatience: 5 } },
  'head-1e-2': { mode: 'head', set: { learningRate: 1e-2, epochs: 30, earlyStoppingPatience: 5 } },
  'head-3e-3-len64': { mode: 'head', set: { learningRate: 3e-3, epochs: 30, earlyStoppingPatience: 5, maxLength: 64 } },
  'head-3e-3-ls': { mode: 'head', set: { learningRate: 3e-3, epochs: 30, earlyStoppingPatience: 5, labelSmoothing: 0.1 } },
  // small data: a seeded sample of 500 training sentences, head only and full fine-tuning with their recipes
  'head-500': { mode: 'head', rows: 500 },
  'full-500': { mode: 'full', rows: 500 },
  'head-1e-2-len64': { mode: 'head', set: { learningRate: 1e-2, epochs: 30, earlyStoppingPatience: 5, maxLength: 64 } },
  'head-1e-2-cw': { mode: 'head', set: { learningRate: 1e-2, epochs: 30, earlyStoppingPatience: 5, classWeights: true } },
  // full fine-tuning
  'full-3e-4-h10': { mode: 'full', set: { learningRate: 3e-4, headLrMultiplier: 10, epochs: 10, labelSmoothing: 0 } },
  'full-5e-4-h10': { mode: 'full', set: { learningRate: 5e-4, headLrMultiplier: 10, epochs: 10, labelSmoothing: 0 } },
  'full-1e-4-h30': { mode: 'full', set: { learningRate: 1e-4, headLrMultiplier: 30, epochs: 10, labelSmoothing: 0 } },
  'full-2e-4-h30': { mode: 'full', set: { learningRate: 2e-4, headLrMultiplier: 30, epochs: 10, labelSmoothing: 0 } },
  'full-5e-4-h10-3ep': { mode: 'full', set: { learningRate: 5e-4, headLrMultiplier: 10, epochs: 3, labelSmoothing: 0 } },
  'full-1e-3-h10': { mode: 'full', set: { learningRate: 1e-3, headLrMultiplier: 10, epochs: 10, labelSmoothing: 0 } },
  'full-5e-4-h10-cw': {
    mode: 'full',
    set: { learningRate: 5e-4, headLrMultiplier: 10, epochs: 10, labelSmoothing: 0, classWeights: true },
  },
  // USE-Lite has 2 layers: the embeddings and layer 0 fixed, layer 1 and the head train
  'freeze1-s7': { mode: 'freeze', set: { freezeLayers: 1, learningRate: 2e-4, headLrMultiplier: 30, seed: 7 } },
  'full-s7': { mode: 'full', set: { seed: 7 } },
  'freeze1-2e-4-h30': { mode: 'freeze', set: { freezeLayers: 1, learningRate: 2e-4, headLrMultiplier: 30, epochs: 10 } },
};

function wnut(): string {
  const d = sharedPath('datasets', 'wnut17');
  if (!d) throw new Error('../shared/datasets/wnut17 not found (set FINETUNE_SHARED)');
  return d;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

async function baseline(): Promise<void> {
  const d = wnut();
  const [train, dev, test] = [WNUT_FILES.train, WNUT_FILES.dev, WNUT_FILES.test].map((f) => loadConll(join(d, f)));
  const f1 = mostFrequentTag(train.examples, { dev: dev.examples, test: test.examples });
  const { encoder, tokenizer } = await loadBundledUseLite();
  const lens = train.examples.map((e) => tokenizer.encodeWords!(e.words!, { maxLength: 100_000 }).ids.length).sort((a, b) => a - b);
  const pct = (p: number) => lens[Math.min(lens.length - 1, Math.floor(p * lens.length))];
  const tagCounts: Record<string, number> = {};
  for (const e of train.examples) for (const t of e.tags!) tagCounts[t] = (tagCounts[t] ?? 0) + 1;
  encoder.dispose();
  console.log(
    JSON.stringify({
      bench: 'ner',
      run: 'most-frequent-tag',
      devEntityF1: round(f1.dev),
      testEntityF1: round(f1.test),
      sentences: { train: train.examples.length, dev: dev.examples.length, test: test.examples.length },
      labels: train.labels,
      tagCounts,
      useLiteSubwords: { p50: pct(0.5), p90: pct(0.9), p95: pct(0.95), p99: pct(0.99), max: lens[lens.length - 1] },
    }),
  );
}

async function candidate(name: string): Promise<void> {
  const cand = CANDIDATES[name];
  if (!cand) throw new Error(`unknown candidate ${name}: one of ${Object.keys(CANDIDATES).join(', ')}`);
  const d = wnut();
  const [train, dev, test] = [WNUT_FILES.train, WNUT_FILES.dev, WNUT_FILES.test].map((f) => loadConll(join(d, f)));
  if (cand.rows) {
    const all = [...train.examples];
    shuffleInPlace(all, mulberry32(1));
    train.examples = all.slice(0, cand.rows);
  }
  const { encoder, tokenizer } = await loadBundledUseLite(cand.set?.dropout);
  const facts = { ...modelFacts(encoder, tokenizer), ...dataFacts(train.examples, train.labels, 'token-classification', tokenizer) };
  const recipeMode = cand.mode === 'freeze' ? 'full' : cand.mode;
  const c: RunConfig = {
    ...presetConfig('balanced', '', { kind: 'bundled' }, facts, recipeMode),
    name,
    ...(cand.mode ? { mode: cand.mode } : {}),
  };
  Object.assign(c, cand.set ?? {});
  c.preset = undefined;
  const p = prepareRun(
    c,
    { train: train.examples, validation: dev.examples, labels: train.labels, task: 'token-classification' },
    { encoder, tokenizer },
  );
  const t0 = performance.now();
  const history: number[] = [];
  let done: { best?: { value: number; step: number } | null; step: number; epoch: number } | null = null;
  let lastLog = 0;
  for await (const ev of trainRun(c, p, { threads: threadsPort(undefined) })) {
    if (ev.type === 'eval') {
      history.push(round(ev.result.scalars.entityF1, 3));
      console.error(
        `${name}: epoch ${ev.epoch + 1} step ${ev.step} dev entityF1 ${ev.result.scalars.entityF1.toFixed(4)} ` +
          `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    } else if (ev.type === 'step' && performance.now() - lastLog > 60_000) {
      lastLog = performance.now();
      console.error(`${name}: step ${ev.step} loss ${ev.loss.toFixed(4)} ${ev.samplesPerSec.toFixed(1)} samples/s`);
    } else if (ev.type === 'status') console.error(`${name}: ${ev.message}`);
    else if (ev.type === 'error') throw new Error(ev.error.message);
    else if (ev.type === 'done') done = ev;
  }
  const trainSec = (performance.now() - t0) / 1000;
  const encTest = encodeExamples(tokenizer, test.examples, p.labels, p.maxLength, 'token-classification');
  const { result } = await evaluateModel(p.model, encTest);
  p.model.dispose();
  console.log(
    JSON.stringify({
      bench: 'ner',
      run: name,
      mode: c.mode,
      trainSentences: train.examples.length,
      settings: {
        lr: c.learningRate,
        headLrMultiplier: c.headLrMultiplier,
        epochs: c.epochs,
        batchSize: c.batchSize,
        warmup: c.warmupRatio,
        ema: c.emaDecay,
        labelSmoothing: c.labelSmoothing,
        maxLength: p.maxLength,
        classWeights: c.classWeights,
        dropout: c.dropout,
        patience: c.earlyStoppingPatience,
      },
      devEntityF1: done?.best ? round(done.best.value) : null,
      bestStep: done?.best?.step,
      devHistory: history,
      testEntityF1: round(result.scalars.entityF1),
      testPrecision: round(result.scalars.entityPrecision),
      testRecall: round(result.scalars.entityRecall),
      steps: done?.step,
      trainSeconds: Math.round(trainSec),
    }),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await initBackend({ preference: 'wasm' });
  const args = process.argv.slice(2);
  for (const a of args.length ? args : ['baseline']) await (a === 'baseline' ? baseline() : candidate(a));
}
