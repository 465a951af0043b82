// README.md for an exported model folder: the YAML front matter the Hugging Face Hub reads (library, pipeline, base
// model, datasets, metrics, model-index with the test results), then the base model, data, hyperparameters, metrics,
// training time and hardware, intended use and limitations, and for USE-Lite the folder's format. Plain data in.
import { hfArchitectureName } from '../models/heads';
import type { Architecture, Task } from '../models/types';
import type { EvaluationReport } from '../protocol';
import { contrastiveRoundsOf, headFirstEpochsOf, type RunConfig } from '../run/config';
import { cardMetrics, evaluatedCount, fmt, hyperparameters, type CardMetric } from './card-tables';
import { topConfusions } from '../train/metrics';
import { mdCell, mdTable, toYaml, type Yaml } from './card-text';

export interface ModelCardInput {
  /** the model's name: its Hub repo id when it will be pushed, else the run's name */
  name: string;
  arch: Architecture;
  task: Task;
  /** id2label in id order (empty for regression) */
  labels: string[];
  base: {
    /** shown in the text, e.g. "google-bert/bert-base-uncased" or "USE-Lite (bundled)" */
    name: string;
    /** a Hub model id, when the base came from the Hub: becomes `base_model` */
    hubId?: string;
    /** the languages the base model was pre-trained on (ISO 639-1), where known */
    languages?: string[];
    /** the most tokens the base model reads (its positions) */
    maxTokens?: number;
  };
  data: {
    name: string;
    /** a Hub dataset id, when the data is one: becomes `datasets` */
    hubId?: string;
    splits: { train: number; validation: number; test: number };
    /** training rows per label, in label order (multilabel: rows carrying the label) */
    labelCounts?: { label: string; count: number }[];
  };
  /** the run's settings (its task field is ignored: `task` above also covers token classification); absent for a model
   *  whose training was not recorded here (an imported folder) */
  config?: RunConfig;
  /** the final evaluation (test split where there is one) */
  evaluation?: EvaluationReport;
  trainingSeconds: number;
  /** TF.js backend the run trained on, e.g. "wasm", "webgpu", "cpu" */
  backend: string;
  threads: number;
  /** the ONNX graph's path in the folder, when the export has one (e.g. "onnx/model.onnx") */
  onnxFile?: string;
  /** a Hub license id, e.g. "apache-2.0" */
  license?: string;
}

const FAMILY: Record<Architecture, string> = { bert: 'BERT', distilbert: 'DistilBERT', roberta: 'RoBERTa', 'use-lite': 'USE-Lite' };
const TASK_NAME: Record<Task, string> = {
  classification: 'Text Classification',
  multilabel: 'Multi-label Text Classification',
  regression: 'Text Regression',
  'token-classification': 'Token Classification',
};

function frontMatter(x: ModelCardInput, metrics: CardMetric[]): Record<string, Yaml> {
  const hub = metrics.filter((m) => !m.textOnly);
  const bertFamily = x.arch !== 'use-lite';
  const e = x.evaluation;
  return {
    // USE-Lite has no transformers class and no library in the Hub's list: a library_name would give wrong snippets
    // an ONNX folder is what transformers.js loads (the Hub's name for that library); the safetensors folder is transformers'
    library_name: bertFamily ? (x.onnxFile ? 'transformers.js' : 'transformers') : undefined,
    pipeline_tag: x.task === 'token-classification' ? 'token-classification' : 'text-classification',
    base_model: x.base.hubId,
    language: x.base.languages?.length ? x.base.languages : undefined,
    license: x.license,
    datasets: x.data.hubId ? [x.data.hubId] : undefined,
    metrics: hub.length ? [...new Set(hub.map((m) => m.type))] : undefined,
    tags: [
      'finetune-studio',
      x.arch,
      ...(x.task === 'multilabel' ? ['multi-label'] : []),
      ...(x.task === 'regression' ? ['regression'] : []),
    ],
    'model-index':
      e && hub.length
        ? [
            {
              name: x.name,
              results: [
                {
                  task: {
                    type: x.task === 'token-classification' ? 'token-classification' : 'text-classification',
                    name: TASK_NAME[x.task],
                  },
                  dataset: { name: x.data.name, type: x.data.hubId ?? x.data.name, split: e.split },
                  metrics: hub.map((m) => ({ type: m.type, value: m.value, name: m.name })),
                },
              ],
            },
          ]
        : undefined,
  };
}

function duration(sec: number): string {
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [h ? `${h} h` : '', h || m ? `${m} min` : '', `${s % 60} s`].filter(Boolean).join(' ');
}

function dataSection(x: ModelCardInput): string[] {
  const s = x.data.splits;
  const out = [
    '## Training data',
    '',
    `${mdCell(x.data.name)}${x.data.hubId ? ` ([${mdCell(x.data.hubId)}](https://huggingface.co/datasets/${x.data.hubId}))` : ''}: ` +
      `${s.train + s.validation + s.test} rows.`,
    '',
    mdTable(
      ['Split', 'Rows'],
      [
        ['train', String(s.train)],
        ['validation', String(s.validation)],
        ['test', String(s.test)],
      ],
    ),
  ];
  const counts = x.data.labelCounts ?? [];
  if (counts.length) {
    const total = x.task === 'multilabel' ? s.train : counts.reduce((a, c) => a + c.count, 0);
    out.push('', `Labels in the training split${x.task === 'multilabel' ? ' (a row may carry several)' : ''}:`, '');
    const rows = counts.map((c) => [mdCell(c.label), String(c.count), total ? `${((100 * c.count) / total).toFixed(1)} %` : '–']);
    out.push(mdTable(['Label', 'Rows', 'Share'], rows));
  }
  return out;
}

function metricsSection(x: ModelCardInput, metrics: CardMetric[]): string[] {
  const e = x.evaluation;
  if (!e) return ['## Evaluation', '', 'The model was not evaluated on a held-out split.'];
  const out = ['## Evaluation', '', `On the ${e.split} split (${evaluatedCount(e)} examples):`, ''];
  out.push(
    mdTable(
      ['Metric', 'Value'],
      metrics.map((m) => [mdCell(m.name), fmt(m.value)]),
    ),
  );
  if (e.task === 'multilabel') out.push('', `A label is predicted where its probability reaches ${e.threshold}.`);
  if (e.baseline) {
    const b = Object.entries(e.baseline).map(([k, v]) => `${k} ${fmt(v as number)}`);
    out.push('', `For comparison, a classifier trained on the frozen base model scores ${b.join(', ')}.`);
  }
  if (e.task === 'classification' && e.wordBaseline)
    out.push(
      '',
      "Without any encoder, TF-IDF + logistic regression at scikit-learn's defaults, fitted on the same training rows, scores " +
        `accuracy ${fmt(e.wordBaseline.accuracy)}, macroF1 ${fmt(e.wordBaseline.macroF1)} on the same split.`,
    );
  const perClass = e.task === 'classification' ? e.perClass : e.task === 'multilabel' ? e.perLabel : [];
  if (perClass.length) {
    out.push('', `Per ${e.task === 'multilabel' ? 'label' : 'class'}:`, '');
    const rows = perClass.map((p) => [mdCell(p.label), fmt(p.precision), fmt(p.recall), fmt(p.f1), String(p.support)]);
    out.push(mdTable(['Label', 'Precision', 'Recall', 'F1', 'Support'], rows));
  }
  // the largest off-diagonal cells of the confusion matrix, as the studio's Evaluate screen lists them
  const mistakes = e.task === 'classification' && e.labels.length > 2 ? topConfusions(e.labels, e.confusion, 10) : [];
  if (mistakes.length) {
    out.push('', 'Commonest mistakes:', '');
    const rows = mistakes.map((c) => [mdCell(c.trueLabel), mdCell(c.predicted), String(c.count), fmt(c.share)]);
    out.push(mdTable(['True label', 'Predicted as', 'Examples', "Share of the true label's examples"], rows));
  }
  return out;
}

/** "en" → "English" where the runtime knows the code; the code itself otherwise. */
function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

function limitations(x: ModelCardInput): string[] {
  const c = x.config;
  const maxLength = c?.maxLength ?? x.base.maxTokens;
  const s = x.data.splits;
  const items: string[] = [];
  const what =
    x.task === 'regression'
      ? 'predicts one score per text; its predictions are not bounded to the range of the training scores'
      : x.task === 'token-classification'
        ? `tags each word with one of ${x.labels.length} labels`
        : `assigns ${x.task === 'multilabel' ? 'any number' : 'one'} of ${x.labels.length} labels to each text, whatever the text is about`;
  items.push(
    `The model ${what}. It is meant for texts like those of ${mdCell(x.data.name)}; ` +
      'on other kinds of text expect lower scores than those above.',
  );
  const cap = x.base.maxTokens ? ` (the base model reads at most ${x.base.maxTokens})` : '';
  const windows = x.task === 'token-classification' ? 1 : (c?.textWindows ?? 1);
  if (maxLength && windows > 1)
    items.push(
      `Texts longer than ${maxLength} tokens${cap} were read in up to ${windows} windows of ${maxLength} tokens spread ` +
        "from their start to their end: each window trained with its text's label, and the scores above average the " +
        "logits of a text's windows. A pipeline that loads this model elsewhere truncates at the max length instead; " +
        'to match these scores on long texts, split them the same way and average the logits.',
    );
  else if (maxLength)
    items.push(
      `Texts are truncated to ${maxLength} tokens${cap}: the model does not see the rest of a longer text` +
        `${maxLength < 512 ? ', so decisions that depend on the end of long texts may be wrong' : ''}.`,
    );
  const langs = (x.base.languages ?? []).map(languageName);
  items.push(
    langs.length
      ? `The base model was pre-trained on ${langs.join(', ')} text; other languages are likely to work poorly.`
      : "The base model's pre-training languages are not recorded here; see its own model card.",
  );
  if (s.train < 1000) items.push(`It was fine-tuned on only ${s.train} training rows: results can vary a lot with the seed and the split.`);
  const rare = (x.data.labelCounts ?? []).filter((l) => l.count < 20);
  if (rare.length) {
    const names = rare.slice(0, 10).map((l) => `${mdCell(l.label)} (${l.count})`);
    items.push(
      `Some labels have fewer than 20 training rows: ${names.join(', ')}${rare.length > 10 ? ', …' : ''}; expect them to be unreliable.`,
    );
  }
  const e = x.evaluation;
  const n = e ? evaluatedCount(e) : 0;
  if (e?.task === 'classification' && n > 0 && n < 500) {
    const half = 1.96 * Math.sqrt((e.accuracy * (1 - e.accuracy)) / n);
    items.push(`The ${e.split} split has ${n} rows: the accuracy above is uncertain by about ±${(100 * half).toFixed(1)} points (95 %).`);
  }
  items.push(
    "It carries the biases of the base model's pre-training data and of the fine-tuning labels, including their labelling " +
      'errors. Check its errors on your own data before relying on it, and keep a person in the loop for decisions about people.',
  );
  return ['## Intended use and limitations', '', ...items.map((i) => `- ${i}`)];
}

function useLiteFormat(x: ModelCardInput): string[] {
  return [
    '## Format',
    '',
    'This folder is a Finetune Studio USE-Lite checkpoint (Universal Sentence Encoder Lite with a task head), not a ' +
      'transformers model: no transformers class reads it, so the card names no `library_name`.',
    '',
    '- `config.json`: `model_type` "use-lite", the encoder settings, and `id2label` / `label2id` / `problem_type` ' +
      'as transformers writes them.',
    "- `model.safetensors`: float32 weights under the original TensorFlow graph's variable names (e.g. " +
      '`module/Embeddings_en`, `module/Encoder_en/...`), and the head as `classifier.weight` [labels, 512] and `classifier.bias`.',
    '- `tokenizer.json`: the SentencePiece unigram vocabulary as a Hugging Face tokenizers Unigram model; `tokenizer_config.json` ' +
      "keeps USE-Lite's segmentation rules.",
    ...(x.onnxFile
      ? [
          `- \`${x.onnxFile}\`: the whole model as an ONNX graph (opset 14, float32): inputs \`input_ids\` and \`attention_mask\` ` +
            '(int64, [batch, sequence]), outputs `logits` and `last_hidden_state`.',
        ]
      : []),
    '',
    'Load it with Finetune Studio (`npx finetune predict --model <folder> --text "..."`, or import the folder in the studio)' +
      `${x.onnxFile ? ', or run the ONNX graph with onnxruntime' : ''}.`,
  ];
}

function usage(x: ModelCardInput): string[] {
  const id = x.name.replace(/[\\"']/g, '');
  const pipe = x.task === 'token-classification' ? 'token-classification' : 'text-classification';
  const extra = x.task === 'multilabel' ? ', top_k=None' : x.task === 'regression' ? ', function_to_apply="none"' : '';
  if (x.onnxFile)
    return [
      '## How to use',
      '',
      `The weights are in \`${x.onnxFile}\` (no model.safetensors): load the folder with transformers.js, or run the graph with ` +
        'onnxruntime (inputs `input_ids`, `attention_mask`' +
        `${x.arch === 'bert' ? ', `token_type_ids`' : ''}; output \`logits\`).`,
      '',
      '```js',
      "import { pipeline } from '@huggingface/transformers';",
      '',
      `const clf = await pipeline('${pipe}', '${id}', { dtype: 'fp32' });`,
      `await clf('Your text here'${x.task === 'multilabel' ? ', { top_k: null }' : ''});`,
      '```',
    ];
  return [
    '## How to use',
    '',
    '```python',
    'from transformers import pipeline',
    '',
    `clf = pipeline("${pipe}", model="${id}"${extra})`,
    'clf("Your text here")',
    '```',
  ];
}

/** The README.md (front matter + sections) of an exported model folder. */
export function modelCard(x: ModelCardInput): string {
  const metrics = cardMetrics(x.evaluation);
  const cls = hfArchitectureName(x.arch, x.task);
  const head = cls ? `exported as \`${cls}\`` : 'with a linear classifier on its 512-d sentence embedding';
  const mode = {
    full: 'the whole model',
    freeze: `all but the bottom ${x.config?.freezeLayers} layers`,
    head: 'the head only',
    lora: 'LoRA adapters',
  };
  const base = x.base.hubId ? `[${mdCell(x.base.hubId)}](https://huggingface.co/${x.base.hubId})` : mdCell(x.base.name);
  const sections = [
    `# ${mdCell(x.name)}`,
    '',
    `${FAMILY[x.arch]} fine-tuned for ${TASK_NAME[x.task].toLowerCase()} on ${mdCell(x.data.name)} with Finetune Studio.`,
    '',
    '## Base model',
    '',
    `${base}${x.base.name.includes(FAMILY[x.arch]) ? '' : ` (${FAMILY[x.arch]})`}, ${head}` +
      (x.config
        ? `; trained: ${mode[x.config.mode]}${x.config.mode === 'lora' ? ' (merged into the weights on export)' : ''}` +
          (headFirstEpochsOf(x.config) > 0
            ? `, after ${x.config.headFirstEpochs} epochs of the head alone on the frozen encoder (LP-FT).`
            : contrastiveRoundsOf(x.config) > 0
              ? `, on the encoder first tuned on ${x.config.contrastiveRounds} rounds of pairs of training rows (SetFit).`
              : '.')
        : '.'),
    ...(x.labels.length ? ['', `Labels: ${x.labels.map((l) => `\`${l.replace(/`/g, "'")}\``).join(', ')}.`] : []),
    '',
    ...dataSection(x),
    '',
    '## Training procedure',
    '',
    '### Hyperparameters',
    '',
    x.config ? mdTable(['Setting', 'Value'], hyperparameters(x.config)) : 'Not recorded: this folder was imported, not trained here.',
    '',
    '### Training time and hardware',
    '',
    x.config
      ? `Trained in ${duration(x.trainingSeconds)} with TensorFlow.js on the ${mdCell(x.backend)} backend, ${x.threads} ` +
        `thread${x.threads === 1 ? '' : 's'}.`
      : 'Not recorded.',
    '',
    ...metricsSection(x, metrics),
    '',
    ...limitations(x),
    '',
    ...(x.arch === 'use-lite' ? useLiteFormat(x) : usage(x)),
  ];
  return `---\n${toYaml(frontMatter(x, metrics))}---\n\n${sections.join('\n')}\n`;
}
