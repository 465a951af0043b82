// The exported README.md: front matter that YAML readers parse to exactly the input (metric values, names with quotes
// and colons), every section, per-class tables whose label cells stay one cell, and USE-Lite's own format section.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cardMetrics } from '@/lib/export/card-tables';
import { mdCell, toYaml, yamlNumber, type Yaml } from '@/lib/export/card-text';
import { modelCard, type ModelCardInput } from '@/lib/export/model-card';
import type { EvaluationReport, MultilabelEvaluation, RegressionEvaluation } from '@/lib/protocol';
import { completeConfig } from '@/lib/run/config';

// js-yaml is in node_modules through eslint (no types of its own): a strict YAML 1.2 reader
const yaml = createRequire(import.meta.url)('js-yaml') as { load(s: string, o?: { schema?: unknown }): unknown; CORE_SCHEMA: unknown };
const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/** PyYAML (YAML 1.1, what huggingface_hub reads cards with): the documents as JSON. */
function pyYaml(text: string): unknown {
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], {
    input: text,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

function split(card: string): { meta: Record<string, unknown>; metaText: string; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(card);
  if (!m) throw new Error('no front matter');
  return { meta: yaml.load(m[1], { schema: yaml.CORE_SCHEMA }) as Record<string, unknown>, metaText: m[1], body: m[2] };
}

/** A Markdown table row's cells, splitting on unescaped pipes only. */
function cells(row: string): string[] {
  return row
    .slice(2, -2)
    .split(/(?<!\\) \| /)
    .map((c) => c.replace(/\\(.)/g, '$1'));
}

const LABELS = ['neg: "bad"', "it's | ok", 'pos#1 *great*'];
const EVAL: EvaluationReport = {
  task: 'classification',
  runId: 'r1',
  split: 'test',
  labels: LABELS,
  accuracy: 0.8484848484848485,
  macroF1: 0.8123,
  microF1: 0.8484848484848485,
  weightedF1: 0.84,
  loss: 3.2e-7,
  confusion: [
    [40, 3, 2],
    [5, 30, 4],
    [1, 0, 80],
  ],
  perClass: LABELS.map((label, i) => ({ label, precision: 0.8 + i / 100, recall: 0.7 + i / 100, f1: 0.75 + i / 100, support: 45 - i })),
  misclassified: [{ text: 'SECRET TEXT', trueLabel: LABELS[0], predicted: LABELS[1], confidence: 0.9 }],
  baseline: { accuracy: 0.7, macroF1: 0.6 },
};

function input(over: Partial<ModelCardInput> = {}): ModelCardInput {
  return {
    name: 'me/reviews: "v2"',
    arch: 'bert',
    task: 'classification',
    labels: LABELS,
    base: { name: 'google-bert/bert-base-uncased', hubId: 'google-bert/bert-base-uncased', languages: ['en'], maxTokens: 512 },
    data: {
      name: 'Reviews: the "2024" edition',
      hubId: 'me/reviews',
      splits: { train: 800, validation: 100, test: 165 },
      labelCounts: [
        { label: LABELS[0], count: 500 },
        { label: LABELS[1], count: 288 },
        { label: LABELS[2], count: 12 },
      ],
    },
    config: completeConfig({ name: 'r', mode: 'lora', loraTargets: ['query', 'value'], maxLength: 128, learningRate: 2e-5 }),
    evaluation: EVAL,
    trainingSeconds: 3725,
    backend: 'wasm',
    threads: 4,
    ...over,
  };
}

describe('model card front matter', () => {
  it('is YAML the Hub reads: library, pipeline, base model, datasets, metrics, model-index with the exact values', () => {
    const { meta } = split(modelCard(input()));
    expect(meta).toMatchObject({
      library_name: 'transformers',
      pipeline_tag: 'text-classification',
      base_model: 'google-bert/bert-base-uncased',
      language: ['en'],
      datasets: ['me/reviews'],
      metrics: ['accuracy', 'f1'],
    });
    const index = meta['model-index'] as { name: string; results: Record<string, unknown>[] }[];
    expect(index).toHaveLength(1);
    expect(index[0].name).toBe('me/reviews: "v2"');
    const r = index[0].results[0] as { task: unknown; dataset: unknown; metrics: { type: string; value: number; name: string }[] };
    expect(r.task).toEqual({ type: 'text-classification', name: 'Text Classification' });
    expect(r.dataset).toEqual({ name: 'Reviews: the "2024" edition', type: 'me/reviews', split: 'test' });
    expect(r.metrics).toEqual([
      { type: 'accuracy', name: 'Accuracy', value: EVAL.accuracy },
      { type: 'f1', name: 'Macro F1', value: EVAL.macroF1 },
      { type: 'f1', name: 'Micro F1', value: EVAL.microF1 },
      { type: 'f1', name: 'Weighted F1', value: EVAL.weightedF1 },
    ]); // the loss is no Hub metric id: in the text only
  });

  it.skipIf(!hasPyYaml)('PyYAML (YAML 1.1, huggingface_hub) reads the same values, small floats included', () => {
    const card = modelCard(input());
    const { meta, metaText } = split(card);
    expect(pyYaml(metaText)).toEqual(meta);
  });

  it('USE-Lite names no library (no transformers class reads it), token classification its own pipeline', () => {
    const { meta } = split(modelCard(input({ arch: 'use-lite', base: { name: 'USE-Lite (bundled)', languages: ['en'] } })));
    expect(meta.library_name).toBeUndefined();
    expect(meta.base_model).toBeUndefined();
    expect(meta.tags).toEqual(['finetune-studio', 'use-lite']);
    const token = split(modelCard(input({ task: 'token-classification', evaluation: undefined }))).meta;
    expect(token.pipeline_tag).toBe('token-classification');
    expect(token['model-index']).toBeUndefined();
  });

  it('multilabel and regression: their metrics under Hub ids; a NaN metric is left out', () => {
    const ml: MultilabelEvaluation = {
      ...{ task: 'multilabel', runId: 'r', split: 'validation', labels: ['a', 'b'], count: 10, threshold: 0.4, loss: 0.3 },
      ...{ microPrecision: 0.9, microRecall: 0.8, microF1: 0.85, macroF1: 0.7, subsetAccuracy: 0.5, hammingLoss: 0.1 },
      perLabel: [{ label: 'a', precision: 1, recall: 0.5, f1: 0.6667, support: 4 }],
      misclassified: [],
    };
    const meta = split(modelCard(input({ task: 'multilabel', labels: ['a', 'b'], evaluation: ml }))).meta;
    expect(meta.metrics).toEqual(['f1', 'precision', 'recall', 'accuracy']);
    const reg: RegressionEvaluation = {
      ...{ task: 'regression', runId: 'r', split: 'test', count: 50, loss: 3.2e-7, mse: 3.2e-7, rmse: 5.6e-4, mae: 0.3 },
      ...{ r2: 0.61, pearson: Number.NaN, largestErrors: [] },
    };
    const card = modelCard(input({ task: 'regression', labels: [], evaluation: reg, data: { ...input().data, labelCounts: [] } }));
    const metrics = (split(card).meta['model-index'] as { results: { metrics: { type: string; value: number }[] }[] }[])[0].results[0]
      .metrics;
    expect(metrics.map((m) => [m.type, m.value])).toEqual([
      ['mse', 3.2e-7],
      ['mae', 0.3],
      ['r_squared', 0.61],
    ]);
    if (hasPyYaml) expect(pyYaml(split(card).metaText)).toEqual(split(card).meta);
    expect(split(card).body).toContain('| RMSE | 5.60e-4 |');
    expect(cardMetrics(reg).map((m) => m.type)).not.toContain('pearsonr');
  });
});

describe('model card sections', () => {
  it('has every section, the run settings, time and hardware, and no training texts', () => {
    const { body } = split(modelCard(input()));
    for (const h of [
      '# me/reviews: "v2"',
      '## Base model',
      '## Training data',
      '## Training procedure',
      '### Hyperparameters',
      '### Training time and hardware',
      '## Evaluation',
      '## Intended use and limitations',
      '## How to use',
    ])
      expect(body.split('\n'), h).toContain(h);
    expect(body).toContain('| `learningRate` | 0.00002 |');
    expect(body).toContain('| Loss | 3.20e-7 |');
    expect(body).toContain('| `loraTargets` | query, value |');
    expect(body).not.toContain('`freezeLayers`');
    expect(body).toContain('1 h 2 min 5 s');
    expect(body).toContain('wasm backend, 4 threads');
    // long texts: read in windows by default, said with how to match the scores elsewhere; cut where windows are 1
    expect(body).toContain(
      'Texts longer than 128 tokens (the base model reads at most 512) were read in up to 8 windows of 128 tokens spread',
    );
    expect(body).toContain('split them the same way and average the logits');
    const cut = split(modelCard(input({ config: completeConfig({ name: 'r', mode: 'full', maxLength: 128, textWindows: 1 }) }))).body;
    expect(cut).toContain('truncated to 128 tokens (the base model reads at most 512)');
    expect(cut).not.toContain('windows');
    expect(body).toContain('pre-trained on English text');
    expect(body).toContain('only 800 training rows');
    expect(body).toContain('fewer than 20 training rows: pos\\#1 \\*great\\* (12)');
    expect(body).toContain('test split has 165 rows: the accuracy above is uncertain by about ±5.5 points'); // confusion total
    expect(body).not.toContain('SECRET TEXT');
    // a head-only run on the encoder tuned on contrastive pairs says so, with its setting
    const pairs = split(modelCard(input({ config: completeConfig({ name: 'p', mode: 'head', contrastiveRounds: 20 }) }))).body;
    expect(pairs).toMatch(/; trained: [^\n]*, on the encoder first tuned on 20 rounds of pairs of training rows \(SetFit\)\./);
    expect(pairs).toContain('| `contrastiveRounds` | 20 |');
    expect(body).not.toContain('contrastiveRounds');
  });

  it('label tables: one row per label, label cells escaped so they stay one cell and read back as the label', () => {
    const { body } = split(modelCard(input()));
    const lines = body.split('\n');
    const perClass = lines.slice(lines.indexOf('| Label | Precision | Recall | F1 | Support |') + 2).slice(0, 3);
    expect(perClass.map((r) => cells(r))).toEqual(
      EVAL.perClass.map((p) => [p.label, p.precision.toFixed(4), p.recall.toFixed(4), p.f1.toFixed(4), String(p.support)]),
    );
    const dist = lines.slice(lines.indexOf('| Label | Rows | Share |') + 2).slice(0, 3);
    expect(dist.map((r) => cells(r)[0])).toEqual(LABELS);
    expect(cells(dist[0])).toEqual([LABELS[0], '500', '62.5 %']);
    expect(mdCell('a|b\nc')).toBe('a\\|b c');
    // the commonest mistakes: the confusion matrix's off-diagonal cells, most examples first, labels escaped
    const mistakes = lines.slice(lines.indexOf("| True label | Predicted as | Examples | Share of the true label's examples |") + 2);
    expect(mistakes.slice(0, 6).map((r) => cells(r))).toEqual([
      [LABELS[1], LABELS[0], '5', (5 / 39).toFixed(4)],
      [LABELS[1], LABELS[2], '4', (4 / 39).toFixed(4)],
      [LABELS[0], LABELS[1], '3', (3 / 45).toFixed(4)],
      [LABELS[0], LABELS[2], '2', (2 / 45).toFixed(4)],
      [LABELS[2], LABELS[0], '1', (1 / 81).toFixed(4)],
      [''], // the table ends there: the zero cell [2][1] is no mistake
    ]);
  });

  it('USE-Lite: a Format section on config.json, the TF weight names, the SentencePiece tokenizer and the ONNX file', () => {
    const { body } = split(modelCard(input({ arch: 'use-lite', base: { name: 'USE-Lite (bundled)' }, onnxFile: 'onnx/model.onnx' })));
    expect(body).toContain('## Format');
    expect(body).not.toContain('## How to use');
    expect(body).toContain('`model_type` "use-lite"');
    expect(body).toContain('module/Encoder_en');
    expect(body).toContain('SentencePiece unigram');
    expect(body).toContain('`onnx/model.onnx`');
    expect(body).toContain('pre-training languages are not recorded here');
    const noOnnx = split(modelCard(input({ arch: 'use-lite', base: { name: 'USE-Lite' } }))).body;
    expect(noOnnx).not.toContain('ONNX');
  });
});

describe('YAML writer', () => {
  const tricky = ['yes', 'No', 'null', '~', '1.5', '0x1F', '', 'a: b', '- x', '#c', "it's", 'say "hi"', 'back\\slash', 'tab\there'];
  const more = [
    'new\nline',
    'é ✓',
    '@at',
    '`tick',
    '%pct',
    '&a',
    '*b',
    '!t',
    '>f',
    '|l',
    '{x}',
    '[y]',
    ' lead',
    'trail ',
    'a #b',
    '2024-01-01',
  ];
  it('strings, numbers, nesting and empty collections read back exactly (YAML 1.2 and, where present, PyYAML)', () => {
    const doc: Record<string, Yaml> = {
      strings: [...tricky, ...more],
      numbers: [0, -1, 0.1, 1e-7, 3.2e-7, 1e21, 123456789.125, -2.5e-12],
      'key: with colon': { nested: [{ a: 1, b: [true, false, null] }, { c: [] }, {}], empty: {} },
      skipped: undefined,
    };
    const text = toYaml(doc);
    const want = JSON.parse(JSON.stringify(doc)) as unknown;
    expect(yaml.load(text, { schema: yaml.CORE_SCHEMA })).toEqual(want);
    if (hasPyYaml) expect(pyYaml(text)).toEqual(want);
    expect(yamlNumber(1e-7)).toBe('1.0e-7');
    expect(yamlNumber(0.25)).toBe('0.25');
  });
});
