// finetune tune's declaration (options, help), apart from its implementation so help and bad options need no TF.js.
import type { CommandSpec } from '../args';
import { DATA_COLUMN_OPTIONS, MODEL_HELP, TRAIN_OPTIONS } from '../options';

export const TUNE: CommandSpec = {
  name: 'tune',
  summary: 'search learning rate, head multiplier, epochs and weight average within a time budget, then train the winner',
  usage:
    'finetune tune --data train.csv [--eval eval.csv] [--test test.csv] --text-column C --label-column L ' +
    '[--model use-lite|DIR|HUB_ID] --budget MINUTES --out DIR [options]',
  options: [
    { name: 'data', type: 'string', required: true, meta: 'FILE', help: 'training data: CSV, TSV or JSONL' },
    { name: 'eval', type: 'string', meta: 'FILE', help: 'validation data the trials are scored on; without it a share of --data' },
    { name: 'val-split', type: 'number', min: 0, meta: 'RATIO', help: 'share of --data held out for validation', defaultText: '0.1' },
    { name: 'test', type: 'string', meta: 'FILE', help: 'test data, evaluated once with the final model (never used to choose)' },
    ...DATA_COLUMN_OPTIONS,
    { name: 'task', type: 'string', choices: ['classification', 'multilabel', 'regression'], help: 'task', defaultText: 'guessed' },
    { name: 'model', type: 'string', meta: 'MODEL', help: MODEL_HELP, defaultText: 'use-lite' },
    { name: 'mode', type: 'string', meta: 'MODE', help: 'full | head | freeze:N | lora:R', defaultText: "the recipe's" },
    { name: 'budget', type: 'number', min: 1, meta: 'MINUTES', help: 'time for the whole search and the final run', defaultText: '30' },
    ...TRAIN_OPTIONS.filter((o) =>
      ['preset', 'epochs', 'batch-size', 'max-length', 'windows', 'seed', 'threads', 'dropout', 'contrastive-rounds'].includes(o.name),
    ),
    { name: 'out', type: 'string', required: true, meta: 'DIR', help: 'output folder: the final model, run.json, tune.json' },
  ],
  notes: [
    'Each candidate is one run, continued from its checkpoint (kept in DIR/trials/ until the tune ends) on each round it reaches.',
    'The recipe itself is always a candidate and runs the full length beside the winner where the budget allows, so the gain is ' +
      'measured there; otherwise the gain is measured after the first round, where every candidate ran the same length.',
    'The last line on stdout is one JSON object: the winner, its settings, the gain over the recipe, and test metrics with --test.',
  ],
};
