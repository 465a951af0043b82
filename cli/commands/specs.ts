// Every command's declaration (options, help): kept apart from the implementations so `--help` and bad options
// are answered without loading TF.js and the engine.
import { MAX_TEXT_WINDOWS } from '../../lib/train/text-windows';
import type { CommandSpec } from '../args';
import { DATA_COLUMN_OPTIONS, HEADER_OPTION, MODEL_HELP, TASK_CHOICES, TRAIN_OPTIONS } from '../options';

export const TRAIN: CommandSpec = {
  name: 'train',
  summary: 'fine-tune a model on a labeled file and write it in Hugging Face layout',
  usage:
    'finetune train --data train.csv [--eval eval.csv] [--test test.csv] --text-column C --label-column L ' +
    '[--model use-lite|DIR|HUB_ID] --out DIR [options]\n       finetune train --resume DIR [--threads N]',
  options: [
    {
      name: 'data',
      type: 'string',
      meta: 'FILE',
      help: 'training data: CSV, TSV, JSONL, or CoNLL for NER (detected from the content)',
    },
    {
      name: 'resume',
      type: 'string',
      meta: 'DIR',
      help:
        'continue an interrupted run (Ctrl-C, kill) from the last checkpoint in its --out folder, ' +
        'with the data and settings of its run.json',
    },
    {
      name: 'eval',
      type: 'string',
      meta: 'FILE',
      help: 'validation data (same columns); without it a stratified share of --data is held out',
    },
    {
      name: 'val-split',
      type: 'number',
      min: 0,
      meta: 'RATIO',
      help: 'share of --data held out for validation when there is no --eval',
      defaultText: '0.1, at most 5,000 rows (20 a label where more)',
    },
    { name: 'test', type: 'string', meta: 'FILE', help: 'test data, evaluated once with the final weights (reported as "test")' },
    ...DATA_COLUMN_OPTIONS,
    {
      name: 'task',
      type: 'string',
      choices: TASK_CHOICES,
      help: 'task; ner (named entities, token classification) for CoNLL or token JSONL files',
      defaultText: 'guessed from the label column; ner for CoNLL and token JSONL',
    },
    { name: 'model', type: 'string', meta: 'MODEL', help: MODEL_HELP, defaultText: 'use-lite' },
    {
      name: 'hub-endpoint',
      type: 'string',
      meta: 'URL',
      help: 'Hugging Face Hub mirror to download a Hub id --model from',
      defaultText: 'https://huggingface.co',
    },
    { name: 'revision', type: 'string', meta: 'REV', help: 'branch, tag or commit hash of a Hub id --model', defaultText: 'main' },
    { name: 'mode', type: 'string', meta: 'MODE', help: 'full | head | freeze:N | lora:R', defaultText: 'full' },
    ...TRAIN_OPTIONS,
    {
      name: 'folds',
      type: 'int',
      min: 2,
      meta: 'K',
      help:
        'stratified k-fold cross-validation over --data (and its held-out share): K models, each validated on one fold; ' +
        'prints per-fold and mean ± std metrics, keeps no model',
    },
    {
      name: 'dry-run',
      type: 'boolean',
      help: 'load the data and model, time a few training steps and print the estimated training time (JSON on stdout), without training',
    },
    {
      name: 'out',
      type: 'string',
      meta: 'DIR',
      help: 'output folder: model files, metrics.jsonl, run.json; checkpoints in DIR/run/checkpoints while the run trains',
    },
  ],
  oneOf: [['data', 'resume']],
  notes: [
    'The last line on stdout is one JSON object: the final validation metrics (and test metrics with --test).',
    'Example: finetune train --data sst2-train.csv --eval sst2-dev.csv --text-column text --label-column label ' +
      '--model use-lite --mode head --epochs 3 --out runs/sst2',
    'NER: finetune train --task ner --data train.conll --eval dev.conll --model DIR --out runs/ner ' +
      '(the last line has entityF1, entityPrecision, entityRecall, entityMacroF1, tokenAccuracy and perType)',
  ],
};

export const EVAL: CommandSpec = {
  name: 'eval',
  summary: 'evaluate a trained model folder on a labeled file: one JSON line of metrics',
  usage: 'finetune eval --model DIR --data test.csv [--text-column C] [--label-column L]',
  options: [
    { name: 'model', type: 'string', required: true, meta: 'DIR', help: 'a folder written by finetune train' },
    { name: 'data', type: 'string', required: true, meta: 'FILE', help: 'labeled CSV, TSV or JSONL; CoNLL for a NER model' },
    ...DATA_COLUMN_OPTIONS,
    {
      name: 'max-length',
      type: 'int',
      min: 2,
      help: 'tokens a model input holds: longer texts are cut or read in --windows windows of this many (NER: windows)',
      defaultText: 'as trained, else 128',
    },
    {
      name: 'windows',
      type: 'int',
      min: 1,
      max: MAX_TEXT_WINDOWS,
      help: 'a text longer than the max length: read in up to N windows, their outputs averaged (1 = truncate)',
      defaultText: 'as trained, else 1',
    },
    { name: 'batch-size', type: 'int', min: 1, help: 'examples per forward pass', defaultText: '64' },
    {
      name: 'threads',
      type: 'int',
      min: 1,
      help: "threads that compute the encoder's features (each with a copy of the model; the head runs once); 1 to 4 per core",
      defaultText: 'every core',
    },
    {
      name: 'report',
      type: 'boolean',
      help:
        'print the full report (per-class precision/recall/F1, confusion matrix; NER: per entity type, and the ' +
        'entity-type confusion with missed/spurious), not just the scalars',
    },
  ],
};

export const PREDICT: CommandSpec = {
  name: 'predict',
  summary: 'predict with a trained model folder, for a file (--data, --out) or one text (--text)',
  usage: 'finetune predict --model DIR (--data FILE --out preds.csv | --text "...") [--text-column C]',
  options: [
    { name: 'model', type: 'string', required: true, meta: 'DIR', help: 'a folder written by finetune train' },
    { name: 'data', type: 'string', meta: 'FILE', help: 'CSV, TSV or JSONL with a text column; NER: also CoNLL or token JSONL' },
    {
      name: 'out',
      type: 'string',
      meta: 'FILE',
      help:
        'CSV to write: the input columns plus prediction and score columns; NER: .conll/.txt (word<TAB>tag) or .jsonl ' +
        '({text, tokens, tags, entities})',
    },
    { name: 'text', type: 'string', meta: 'TEXT', help: 'one text to predict (printed as JSON)' },
    { name: 'text-pair', type: 'string', meta: 'TEXT', help: 'the second text of a pair, with --text' },
    { name: 'text-column', type: 'string', meta: 'C', help: 'column with the text', defaultText: 'guessed' },
    { name: 'text-pair-column', type: 'string', meta: 'C2', help: 'column with the second text of a pair' },
    HEADER_OPTION,
    {
      name: 'max-length',
      type: 'int',
      min: 2,
      help: 'tokens a model input holds: longer texts are cut or read in --windows windows of this many (NER: windows)',
      defaultText: 'as trained, else 128',
    },
    {
      name: 'windows',
      type: 'int',
      min: 1,
      max: MAX_TEXT_WINDOWS,
      help: 'a text longer than the max length: read in up to N windows, their outputs averaged (1 = truncate)',
      defaultText: 'as trained, else 1',
    },
    { name: 'batch-size', type: 'int', min: 1, help: 'examples per forward pass', defaultText: '64' },
    {
      name: 'threads',
      type: 'int',
      min: 1,
      help: "--data: threads that compute the encoder's features (each with a copy of the model); 1 to 4 per core",
      defaultText: 'every core',
    },
    { name: 'threshold', type: 'number', help: 'multilabel: probability above which a label is predicted', defaultText: '0.5' },
    {
      name: 'task',
      type: 'string',
      choices: TASK_CHOICES,
      help: "the model's task, checked against its config.json",
      defaultText: "the model's",
    },
  ],
  oneOf: [['data', 'text']],
  notes: ['NER: --text prints {text, entities: [{text, type, start, end, score}]}, start/end character offsets into the text.'],
};

export const FORWARD: CommandSpec = {
  name: 'forward',
  summary: 'run a model on token ids and write every hidden state, the pooler output and logits as JSON',
  usage: 'finetune forward --model DIR --inputs inputs.json --out outputs.json',
  options: [
    {
      name: 'model',
      type: 'string',
      required: true,
      meta: 'DIR',
      help: 'a Hugging Face folder (config.json + model.safetensors; tokenizer files optional) or a finetune train output',
    },
    {
      name: 'inputs',
      type: 'string',
      required: true,
      meta: 'FILE',
      help: 'JSON with input_ids, attention_mask (or input_mask), token_type_ids: [[...]] rows or {dims, data}, optionally under "inputs"',
    },
    {
      name: 'out',
      type: 'string',
      required: true,
      meta: 'FILE',
      help: 'JSON to write: outputs.hidden_state_0..L, last_hidden_state, pooler_output, logits',
    },
  ],
};

export const INSPECT: CommandSpec = {
  name: 'inspect',
  summary: 'report what a data file contains (format, columns, labels, problems) as JSON',
  usage: 'finetune inspect --data FILE [--text-column C] [--label-column L] [--task T]',
  options: [
    {
      name: 'data',
      type: 'string',
      required: true,
      meta: 'FILE',
      help: 'CSV, TSV, JSONL or CoNLL file (detected from its content)',
    },
    { name: 'text-column', type: 'string', meta: 'C', help: 'column with the text', defaultText: 'guessed' },
    { name: 'text-pair-column', type: 'string', meta: 'C2', help: 'column with the second text of a pair' },
    { name: 'label-column', type: 'string', meta: 'L', help: 'column with the label', defaultText: 'guessed' },
    { name: 'label-separator', type: 'string', meta: 'S', help: 'multilabel: separator inside the label cell', defaultText: '|' },
    DATA_COLUMN_OPTIONS.find((o) => o.name === 'ignore-label-case')!,
    DATA_COLUMN_OPTIONS.find((o) => o.name === 'tags-column')!,
    HEADER_OPTION,
    {
      name: 'task',
      type: 'string',
      choices: TASK_CHOICES,
      meta: 'T',
      help: 'task (ner: named entities)',
      defaultText: 'guessed; ner for CoNLL and token JSONL',
    },
  ],
  notes: ['Exit code 2 with one line naming the file, row and column when the file cannot be used.'],
};

export const EXPORT: CommandSpec = {
  name: 'export',
  summary: 'write a trained model as a Hugging Face folder, ONNX, a project bundle or a Python training recipe',
  usage: 'finetune export --model DIR --format hf|onnx|bundle|recipe --out PATH [--force]',
  options: [
    {
      name: 'model',
      type: 'string',
      required: true,
      meta: 'DIR',
      help: 'a folder written by finetune train, or a Hugging Face folder with a classification head',
    },
    {
      name: 'format',
      type: 'string',
      required: true,
      choices: ['hf', 'onnx', 'bundle', 'recipe'],
      help:
        'hf: Hugging Face folder with a model card; onnx: onnx/model.onnx with config and tokenizer (transformers.js, onnxruntime); ' +
        'bundle: one .zip the studio imports (model, metrics, data); recipe: split CSVs + train.py for Hugging Face Trainer',
    },
    { name: 'out', type: 'string', required: true, meta: 'PATH', help: 'folder to write (bundle: a .zip file)' },
    { name: 'force', type: 'boolean', help: 'replace an existing --out' },
  ],
  notes: [
    'The last line on stdout is one JSON object: the format, the path and the files written.',
    'Example: finetune export --model out/sst2 --format onnx --out out/sst2-onnx',
  ],
};
