// The Trainer recipe folder (lib/export/recipe.ts): train.py compiles and prints a CONFIG equal to the run's settings
// (full, LoRA, multi-label, USE-Lite, a hand-made regression run), the CSVs read back exactly with the project's
// parser and with train.py's own reader, and peft is required only for LoRA.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFile } from '@/lib/data/parse';
import {
  USE_LITE_SUBSTITUTE,
  csvField,
  recipeConfig,
  recipeFiles,
  recipeRows,
  type RecipeInput,
  type RecipeRow,
} from '@/lib/export/recipe';
import { completeConfig, presetConfig, type RunConfig } from '@/lib/run/config';
import { validateConfig } from '@/lib/run/fields';
import { balancedClassWeights } from '@/lib/train/losses';

const python = spawnSync('python3', ['--version']).status === 0;
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function writeFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-'));
  temps.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

function py(dir: string, ...args: string[]): string {
  const r = spawnSync('python3', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const HARD_TEXTS = [
  'plain text',
  'a comma, inside',
  'a "quoted" word',
  '"starts with a quote',
  'two\nlines\n\nand a blank one',
  'naïve café, 日本語 and 😀',
  '=SUM(A1) is not a formula here',
  '-1 stars',
  ' leading and trailing spaces ',
  'tab\there',
];

const facts = { arch: 'bert', hiddenSize: 768, trainRows: 2000, labelCounts: [100, 1900], tokenLengths: { p95: 40, max: 90 } };
const bert = { kind: 'hub' as const, id: 'bert-base-uncased' };

function rows(labelOf: (i: number) => RecipeRow['label'], n: number, offset = 0, pair = false): RecipeRow[] {
  return Array.from({ length: n }, (_, i) => {
    const text = `${HARD_TEXTS[(i + offset) % HARD_TEXTS.length]} #${i + offset}`;
    return pair ? { text, pair: i % 3 === 0 ? '' : `pair, "${i}"\nline`, label: labelOf(i) } : { text, label: labelOf(i) };
  });
}

function classification(config: RunConfig): RecipeInput {
  const label = (i: number) => (i % 4 === 0 ? 'négatif, "rare"' : 'positive');
  return {
    config,
    labels: ['négatif, "rare"', 'positive'],
    rows: { train: rows(label, 20), validation: rows(label, 6, 20), test: rows(label, 5, 26) },
  };
}

const multilabelLabels = ['a|b', 'sports', 'politics, world'];
function multilabel(config: RunConfig): RecipeInput {
  const label = (i: number) => multilabelLabels.filter((_, j) => (i >> j) & 1);
  return {
    config,
    labels: multilabelLabels,
    rows: { train: rows(label, 16, 0, true), validation: rows(label, 8, 16, true) },
    columns: { text: 'headline', pair: 'body', label: 'topics' },
  };
}

function printedConfig(files: Record<string, string>): Record<string, unknown> {
  const dir = writeFolder(files);
  py(dir, '-m', 'py_compile', 'train.py');
  return JSON.parse(py(dir, 'train.py', '--print-config')) as Record<string, unknown>;
}

/** The settings every run shares, compared with the run's own fields. */
function expectCommon(p: Record<string, unknown>, c: RunConfig, validationRows: number) {
  expect(p.epochs).toBe(c.epochs);
  expect(p.batch_size).toBe(c.batchSize);
  expect(p.gradient_accumulation).toBe(c.gradAccumulation);
  expect(p.learning_rate).toBe(c.learningRate);
  expect(p.head_lr_multiplier).toBe(c.headLrMultiplier);
  expect(p.weight_decay).toBe(c.weightDecay);
  expect(p.schedule).toBe(c.schedule);
  expect(p.max_grad_norm).toBe(c.gradClip);
  expect(p.dropout).toBe(c.dropout);
  expect(p.max_length).toBe(c.maxLength);
  expect(p.seed).toBe(c.seed);
  expect(p.ema_decay).toBe(c.emaDecay);
  // under 50 validation rows the engine neither stops early nor restores the best evaluation: train.py neither
  const selects = validationRows >= 50;
  expect(p.early_stopping_patience).toBe(selects ? c.earlyStoppingPatience : 0);
  expect(p.load_best_model).toBe(selects);
  expect(p.eval_every_steps).toBe(c.evalEverySteps);
  expect(p.mode).toBe(c.mode);
  expect(p.task).toBe(c.task);
}

describe.skipIf(!python)('recipe train.py (python3)', () => {
  it('a full run: compiles, and --print-config prints the run settings', () => {
    const c = { ...presetConfig('balanced', 'ds', bert, facts), name: 'Balanced · "full", BERT' };
    expect(c.mode).toBe('full');
    expect(c.emaDecay).toBeGreaterThan(0);
    expect(c.classWeights).toBe(true);
    const input = classification(c);
    const files = recipeFiles(input);
    const p = printedConfig(files);
    expect(p).toEqual(JSON.parse(JSON.stringify(recipeConfig(input))));
    expectCommon(p, c, input.rows.validation.length);
    expect(p.run_name).toBe(c.name);
    expect(p.model).toBe('bert-base-uncased');
    expect(p.labels).toEqual(input.labels);
    expect(p.label_smoothing).toBe(c.labelSmoothing);
    expect(p.warmup_ratio).toBe(c.warmupRatio);
    expect(p.warmup_steps).toBeNull();
    expect(p.lr_scheduler_type).toBe('linear');
    expect(p.class_weights).toBe('balanced');
    expect(p.metric).toBe('macroF1');
    expect(p.greater_is_better).toBe(true);
    expect(p.optimizer).toBe('adamw');
    expect(p.lora_r).toBeNull();
    expect(p.head_first_epochs).toBe(0);
    expect(p.substitute_for).toBeNull();
    expect(files['requirements.txt']).not.toMatch(/peft/);
    expect(files['train.py']).toMatch(/AutoModelForSequenceClassification/);
    expect(files['README.md']).toMatch(/pip install -r requirements.txt/);
    expect(files['README.md']).toMatch(/accelerate launch train.py/);
    expect(Object.keys(files).sort()).toEqual(
      ['README.md', 'data/test.csv', 'data/train.csv', 'data/validation.csv', 'requirements.txt', 'train.py'].sort(),
    );
  });

  it('a LoRA run: the LoRA fields, and peft in requirements.txt', () => {
    const c = { ...presetConfig('balanced', 'ds', bert, facts, 'lora'), name: 'LoRA' };
    expect(c.mode).toBe('lora');
    const input = classification(c);
    const files = recipeFiles(input);
    const p = printedConfig(files);
    expect(p).toEqual(JSON.parse(JSON.stringify(recipeConfig(input))));
    expectCommon(p, c, input.rows.validation.length);
    expect(p.lora_r).toBe(c.loraRank);
    expect(p.lora_alpha).toBe(c.loraAlpha);
    expect(p.lora_dropout).toBe(c.loraDropout);
    expect(p.lora_targets).toEqual(['query', 'value']);
    expect(files['requirements.txt']).toMatch(/^peft>=\d+\.\d+\.\d+$/m);
    expect(files['README.md']).toMatch(/LoraConfig/);
  });

  it('a multi-label run: problem type settings, no label smoothing (the engine applies none), pair column', () => {
    const c = { ...presetConfig('best', 'ds', bert, { ...facts, task: 'multilabel' as const }), task: 'multilabel' as const, name: 'ML' };
    const input = multilabel(c);
    const files = recipeFiles(input);
    const p = printedConfig(files);
    expect(p).toEqual(JSON.parse(JSON.stringify(recipeConfig(input))));
    expectCommon(p, c, input.rows.validation.length);
    expect(c.labelSmoothing).toBeGreaterThan(0);
    expect(p.label_smoothing).toBe(0);
    expect(p.labels).toEqual(multilabelLabels);
    expect(p.label_separator).toBe(';'); // "|" occurs in a label name
    expect([p.text_column, p.pair_column, p.label_column]).toEqual(['headline', 'body', 'topics']);
    expect(p.multilabel_threshold).toBe(0.5);
    expect(files['requirements.txt']).not.toMatch(/peft/);
  });

  it('a USE-Lite run says so and stands a transformers model in for it', () => {
    const c = { ...presetConfig('balanced', 'ds', { kind: 'bundled' }, { ...facts, arch: 'use-lite' }), name: 'USE' };
    const files = recipeFiles(classification(c));
    const p = printedConfig(files);
    expect(p.model).toBe(USE_LITE_SUBSTITUTE);
    expect(p.substitute_for).toBe('USE-Lite');
    expect(files['train.py'].split('\n').slice(0, 12).join('\n')).toMatch(/USE-Lite.*stand-in/s);
    expect(files['README.md'].split('\n').slice(0, 5).join('\n')).toMatch(/Stand-in model[\s\S]*USE-Lite/);
  });

  it("a small-data USE-Lite run: contrastive pairs first, with the engine's settings and the same pairing rule", () => {
    const small = { arch: 'use-lite', trainRows: 20, labelCounts: [5, 15], tokenLengths: { p95: 10, max: 12 } };
    const c = { ...presetConfig('balanced', 'ds', { kind: 'bundled' }, small), name: 'few' };
    expect(c.contrastiveRounds).toBe(20);
    const files = recipeFiles(classification(c));
    const p = printedConfig(files);
    expect(p).toMatchObject({ mode: 'head', contrastive_rounds: 20, pair_learning_rate: 5e-5, pair_batch_size: 16, pair_cap: 1280 });
    expect(files['README.md']).toMatch(/\| Contrastive rounds \| `20` \| `contrastive_rounds` \|/);
    expect(files['train.py']).toMatch(/if mode == "head" and CONFIG\["contrastive_rounds"\] > 0:\n\s+# contrastive pairs first/);
    const script =
      'import importlib.util, json\n' +
      'spec = importlib.util.spec_from_file_location("train", "train.py")\n' +
      'm = importlib.util.module_from_spec(spec)\n' +
      'spec.loader.exec_module(m)\n' +
      'labels = m.read_split("train")["labels"]\n' +
      'print(json.dumps({"labels": labels, "pairs": m.make_pairs(labels, 3, 7, 1000), "capped": len(m.make_pairs(labels, 50, 7, 100))}))\n';
    const out = JSON.parse(py(writeFolder(files), '-c', script)) as { labels: number[]; pairs: [number, number, number][]; capped: number };
    expect(out.pairs).toHaveLength(3 * 2 * out.labels.length);
    for (const [a, b, t] of out.pairs) {
      expect(a).not.toBe(b);
      expect(t).toBe(out.labels[a] === out.labels[b] ? 1 : 0);
    }
    expect(out.capped).toBe(100);
  });

  it('a hand-made regression run: steps warm-up, Adam, max steps, freeze, metric', () => {
    const c = validateConfig({
      ...completeConfig({ name: 'reg', model: bert, task: 'regression', mode: 'freeze', freezeLayers: 4, headFirstEpochs: 3 }),
      warmupSteps: 30,
      optimizer: 'adam',
      maxSteps: 500,
      metric: 'mae',
      schedule: 'constant',
      classWeights: true,
      earlyStoppingPatience: 2,
      minDelta: 0.01,
      evalEverySteps: 50,
    });
    const input: RecipeInput = {
      config: c,
      labels: [],
      rows: { train: rows((i) => i * 0.25 - 1e-7, 12), validation: rows((i) => -i / 3, 50, 12) },
    };
    const files = recipeFiles(input);
    const p = printedConfig(files);
    expectCommon(p, c, input.rows.validation.length);
    // head first: a Trainer run over the head's parameters alone, then everything
    expect(files['train.py']).toMatch(/if CONFIG\["head_first_epochs"\] > 0 and mode in \("full", "freeze"\):/);
    expect(files['README.md']).toMatch(/\| Head first \(epochs\) \| `3` \| `head_first_epochs` \|/);
    // max steps end the run and bound its schedule, as the engine's (not a callback over a schedule of every epoch);
    // the head-first phase is not bound by them
    expect(files['train.py']).toMatch(/max_steps=CONFIG\["max_steps"\] or -1,/);
    expect(files['train.py']).toMatch(/num_train_epochs=CONFIG\["head_first_epochs"\], max_steps=-1,/);
    expect(files['train.py']).not.toMatch(/StopAtMaxSteps/);
    expect(p).toMatchObject({
      head_first_epochs: 3,
      freeze_layers: 4,
      warmup_steps: 30,
      warmup_ratio: null,
      optimizer: 'adam',
      max_steps: 500,
      metric: 'mae',
      greater_is_better: false,
      lr_scheduler_type: 'constant_with_warmup',
      class_weights: null,
      early_stopping_min_delta: 0.01,
      labels: [],
    });
  });

  it("train.py's own CSV reader gets the rows back, and its balanced class weights are the engine's", () => {
    const c = { ...presetConfig('balanced', 'ds', bert, facts), name: 'r' };
    const input = classification(c);
    input.rows.train.push({ text: 'carriage\r\nreturn', label: 'positive' });
    const ml = multilabel({ ...c, task: 'multilabel' });
    for (const inp of [input, ml]) {
      const dir = writeFolder(recipeFiles(inp));
      const script =
        'import importlib.util, json\n' +
        'spec = importlib.util.spec_from_file_location("train", "train.py")\n' +
        'm = importlib.util.module_from_spec(spec)\n' +
        'spec.loader.exec_module(m)\n' +
        'out = {s: m.read_split(s) for s in ("train", "validation", "test")}\n' +
        'out["weights"] = m.class_weights(out["train"])\n' +
        'print(json.dumps(out))\n';
      const out = JSON.parse(py(dir, '-c', script)) as Record<string, { text: string[]; pair?: string[]; labels: unknown[] } | null>;
      const multi = inp.config.task === 'multilabel';
      const encode = (l: RecipeRow['label']) =>
        multi ? inp.labels.map((n) => ((l as string[]).includes(n) ? 1 : 0)) : inp.labels.indexOf(l as string);
      for (const split of ['train', 'validation', 'test'] as const) {
        const want = inp.rows[split];
        if (!want) {
          expect(out[split]).toBeNull();
          continue;
        }
        expect(out[split]!.text).toEqual(want.map((r) => r.text));
        if (multi) expect(out[split]!.pair).toEqual(want.map((r) => r.pair));
        expect(out[split]!.labels).toEqual(want.map((r) => encode(r.label)));
      }
      const counts = inp.labels.map((_, k) => encodedTrain(inp).filter((l) => (multi ? (l as number[])[k] === 1 : l === k)).length);
      expect(out.weights).toEqual(balancedClassWeights(counts));
    }
    function encodedTrain(inp: RecipeInput) {
      const multi = inp.config.task === 'multilabel';
      return inp.rows.train.map((r) =>
        multi ? inp.labels.map((n) => ((r.label as string[]).includes(n) ? 1 : 0)) : inp.labels.indexOf(r.label as string),
      );
    }
  });
});

describe('recipe CSVs and requirements', () => {
  const readBack = (csv: string) => parseFile(new TextEncoder().encode(csv), { format: 'csv', delimiter: ',', hasHeader: true });

  it('the project parser reads every split back to exactly its rows (commas, quotes, newlines, non-ASCII)', () => {
    const input = classification({ ...presetConfig('balanced', 'ds', bert, facts), name: 'csv' });
    const files = recipeFiles(input);
    for (const split of ['train', 'validation', 'test'] as const) {
      const t = readBack(files[`data/${split}.csv`]);
      expect(t.columns).toEqual(['text', 'label']);
      expect(t.rows).toEqual(input.rows[split]!.map((r) => [r.text, r.label]));
    }
  });

  it('multi-label names joined by a separator no label contains, pairs kept, regression numbers exact', () => {
    const input = multilabel({ ...presetConfig('balanced', 'ds', bert, facts), task: 'multilabel', name: 'ml' });
    const files = recipeFiles(input);
    expect(files['data/test.csv']).toBeUndefined();
    const t = readBack(files['data/train.csv']);
    expect(t.columns).toEqual(['headline', 'body', 'topics']);
    expect(t.rows.map((r) => [r[0], r[1], r[2] === '' ? [] : r[2].split(';')])).toEqual(
      input.rows.train.map((r) => [r.text, r.pair, r.label]),
    );

    const values = [0, -1e-7, 0.1 + 0.2, 123456789.123, 1e21, -3.5];
    const reg: RecipeInput = {
      config: completeConfig({ name: 'reg', model: bert, task: 'regression' }),
      labels: [],
      rows: { train: values.map((v, i) => ({ text: `t${i}`, label: v })), validation: [{ text: 'v', label: 2 }] },
    };
    expect(readBack(recipeFiles(reg)['data/train.csv']).rows.map((r) => Number(r[1]))).toEqual(values);
  });

  it('quotes a field only when it must, and refuses labels the run does not have', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('x\ny')).toBe('"x\ny"');
    expect(csvField('=1+1')).toBe('=1+1');
    const input = classification({ ...presetConfig('quick', 'ds', bert, facts), name: 'x' });
    input.rows.train.push({ text: 'odd', label: 'unknown' });
    expect(() => recipeFiles(input)).toThrow(/"unknown" is not among the run's labels/);
  });

  it('requires peft only for LoRA, with >= pins', () => {
    for (const mode of ['head', 'full', 'freeze', 'lora'] as const) {
      const c = completeConfig({ name: 'm', model: bert, mode, freezeLayers: 2 });
      const req = recipeFiles(classification(c))['requirements.txt'];
      expect(req.includes('peft')).toBe(mode === 'lora');
      for (const line of req.trim().split('\n')) expect(line).toMatch(/^[a-z-]+>=\d+\.\d+\.\d+$/);
      for (const pkg of ['transformers', 'datasets', 'accelerate', 'torch', 'scikit-learn']) expect(req).toContain(`${pkg}>=`);
    }
  });

  it('recipeRows turns the engine examples into rows', () => {
    expect(
      recipeRows([
        { text: 'a', label: 'x' },
        { text: 'b', textPair: 'c', label: ['y'] },
      ]),
    ).toEqual([
      { text: 'a', label: 'x' },
      { text: 'b', pair: 'c', label: ['y'] },
    ]);
  });
});
