// README.md of a recipe folder (lib/export/recipe.ts): how to run it on one or several GPUs, what each file is, how
// each of the run's settings maps onto train.py and Trainer, and which settings Trainer has no equivalent for.
import type { RecipeConfig } from './recipe-config';

export interface ReadmeFacts {
  rows: { train: number; validation: number; test: number };
  /** where the model comes from: the run's ModelSpec kind, or 'given' (the caller named one) */
  modelKind: 'bundled' | 'hub' | 'folder' | 'run' | 'given';
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const code = (s: unknown) => `\`${typeof s === 'string' ? s : JSON.stringify(s)}\``;

function modelNote(cfg: RecipeConfig, kind: ReadmeFacts['modelKind']): string[] {
  if (cfg.substitute_for)
    return [
      `> **Stand-in model.** The run fine-tuned **${cfg.substitute_for}**, the studio's bundled encoder, which is not a`,
      '> transformers architecture. This recipe uses',
      `> [${cfg.model}](https://huggingface.co/${cfg.model}) instead, a small BERT-architecture sentence encoder.`,
      '> Change `CONFIG["model"]` in train.py to any encoder on the Hub (e.g. `bert-base-uncased`); everything else',
      "> (data, hyperparameters, losses, metrics) matches the run, but the scores will differ from the run's.",
      '',
    ];
  if (kind === 'folder')
    return [`> The run used the local model folder \`${cfg.model}\`: copy that folder next to train.py before running it.`, ''];
  if (kind === 'run')
    return [
      "> The run started from another run's trained model: export that model as a Hugging Face folder",
      `> (safetensors) into \`${cfg.model}/\` next to train.py, or set \`CONFIG["model"]\` to a Hub id.`,
      '',
    ];
  if (cfg.hub_endpoint) return [`> The model is read from the Hub mirror ${cfg.hub_endpoint} (HF_ENDPOINT), as the run was.`, ''];
  return [];
}

function modeText(cfg: RecipeConfig): string {
  switch (cfg.mode) {
    case 'head':
      return 'only the classifier head trains; the encoder is frozen and runs without dropout (the engine caches its features)';
    case 'freeze':
      return `the embeddings and the bottom ${cfg.freeze_layers} layers get \`requires_grad = False\``;
    case 'lora':
      return 'peft `get_peft_model` with a `LoraConfig`; the adapters are merged into the weights when the model is saved';
    case 'full':
      return 'every weight trains';
  }
}

/** The README for a recipe folder. */
export function recipeReadme(cfg: RecipeConfig, facts: ReadmeFacts): string {
  const cols = [cfg.text_column, ...(cfg.pair_column !== null ? [cfg.pair_column] : []), cfg.label_column].map(code).join(', ');
  const labelText =
    cfg.task === 'multilabel'
      ? `; a row's labels are joined by ${code(cfg.label_separator)} in ${code(cfg.label_column)}`
      : cfg.task === 'regression'
        ? `; ${code(cfg.label_column)} is a number`
        : '';
  const warmup = cfg.warmup_steps !== null ? `${cfg.warmup_steps} steps` : `ratio ${cfg.warmup_ratio}`;
  const rows: [string, unknown, string, string][] = [
    ['Model', cfg.model, 'model', '`AutoModelForSequenceClassification.from_pretrained`'],
    ['Task', cfg.task, 'task, labels', '`num_labels`, `id2label`/`label2id`, `problem_type`'],
    ['Mode', cfg.mode, 'mode', modeText(cfg)],
    ['Epochs', cfg.epochs, 'epochs', '`num_train_epochs`'],
    ['Batch size', cfg.batch_size, 'batch_size', '`per_device_train_batch_size` = batch size ÷ processes (the global batch stays)'],
    ['Accumulation steps', cfg.gradient_accumulation, 'gradient_accumulation', '`gradient_accumulation_steps`'],
    ['Learning rate', cfg.learning_rate, 'learning_rate', "`learning_rate` (the encoder's parameter groups)"],
    [
      'Optimizer',
      cfg.optimizer,
      'optimizer',
      '`torch.optim.AdamW` (adamw) or `torch.optim.Adam` with L2 (adam), passed as `optimizers=(opt, None)`',
    ],
    ['Weight decay', cfg.weight_decay, 'weight_decay', 'per parameter group; none on biases and LayerNorm weights, as the engine'],
    ['Schedule', cfg.schedule, 'lr_scheduler_type', `\`lr_scheduler_type=${cfg.lr_scheduler_type}\` (the engine's constant also warms up)`],
    ['Warm-up', warmup, 'warmup_ratio, warmup_steps', '`warmup_ratio` (transformers 4), `warmup_steps` as a fraction (5) or a count'],
    ['Gradient clip', cfg.max_grad_norm, 'max_grad_norm', '`max_grad_norm` (0: off)'],
    [
      'Label smoothing',
      cfg.label_smoothing,
      'label_smoothing',
      "in `compute_loss` (classification only, as the engine; not Trainer's own)",
    ],
    ['Dropout', cfg.dropout, 'dropout', "the classifier's: `classifier_dropout` (DistilBERT: `seq_classif_dropout`)"],
    ['Max tokens', cfg.max_length, 'max_length', "tokenizer `truncation=True, max_length` (capped at the model's limit)"],
    ['Seed', cfg.seed, 'seed', '`set_seed`, `seed`, `data_seed`'],
    ['Class weights', cfg.class_weights ?? 'off', 'class_weights', '`compute_loss` weights; "balanced" = n ÷ (classes × count) on train'],
    [
      'Evaluate every N steps',
      cfg.eval_every_steps || 'each epoch',
      'eval_every_steps',
      "`eval_strategy` steps (plus each epoch's end) or epoch",
    ],
    ['Metric', cfg.metric, 'metric, greater_is_better', '`metric_for_best_model`, `load_best_model_at_end=True`'],
    ['Early-stopping patience', cfg.early_stopping_patience || 'off', 'early_stopping_patience', '`EarlyStoppingCallback`'],
    ['Min delta', cfg.early_stopping_min_delta, 'early_stopping_min_delta', '`early_stopping_threshold`'],
    [
      'Weight average (EMA)',
      cfg.ema_decay || 'off',
      'ema_decay',
      "a callback keeps the engine's average (Trainer has none); evaluation, checkpoints and the saved model use it",
    ],
    [
      'Max steps',
      cfg.max_steps ?? 'off',
      'max_steps',
      '`TrainingArguments(max_steps=…)`: the run stops there and the schedule spans them, as in the engine',
    ],
  ];
  if (cfg.mode !== 'head')
    rows.splice(7, 0, [
      'Head LR multiplier',
      cfg.head_lr_multiplier,
      'head_lr_multiplier',
      'the classifier / pre_classifier parameters form their own group at learning rate × multiplier',
    ]);
  if (cfg.head_first_epochs > 0)
    rows.splice(7, 0, [
      'Head first (epochs)',
      cfg.head_first_epochs,
      'head_first_epochs',
      'a first Trainer run trains only the head at learning rate × multiplier (the engine runs the frozen encoder ' +
        'without dropout there; here its dropout stays on)',
    ]);
  if (cfg.contrastive_rounds > 0)
    rows.splice(7, 0, [
      'Contrastive rounds',
      cfg.contrastive_rounds,
      'contrastive_rounds',
      `before the head trains, the encoder is tuned on pairs of training rows (SetFit): each round pairs every row with ` +
        `one of its label (target cosine similarity 1) and one of another (0), at most ${cfg.pair_cap} pairs, ` +
        `${cfg.pair_batch_size} a step, AdamW at ${cfg.pair_learning_rate}, on the pooled output (here without ` +
        'dropout, which head-only mode turns off); the pairs are drawn with ' +
        "Python's random, not the engine's generator, so they differ",
    ]);
  if (cfg.mode === 'freeze') rows.splice(3, 0, ['Frozen layers', cfg.freeze_layers, 'freeze_layers', 'embeddings + layers 0 … N−1']);
  if (cfg.mode === 'lora')
    rows.splice(
      3,
      0,
      [
        'LoRA rank / alpha / dropout',
        `${cfg.lora_r} / ${cfg.lora_alpha} / ${cfg.lora_dropout}`,
        'lora_r, lora_alpha, lora_dropout',
        '`LoraConfig(r, lora_alpha, lora_dropout)`',
      ],
      [
        'LoRA targets',
        (cfg.lora_targets ?? []).join(', '),
        'lora_targets',
        '`target_modules`: query → `attention.self.query` (DistilBERT `q_lin`), key, value, output → `attention.output.dense`, ' +
          'ffn → `intermediate.dense` + `output.dense` (`ffn.lin1/2`)',
      ],
    );
  if (cfg.task === 'multilabel')
    rows.push(['Multi-label threshold', cfg.multilabel_threshold, 'multilabel_threshold', 'sigmoid ≥ threshold in `compute_metrics`']);

  const lines = [
    `# ${oneLine(cfg.run_name) || 'Run'}: reproduce with Hugging Face Trainer`,
    '',
    ...modelNote(cfg, facts.modelKind),
    'This folder retrains the run with [transformers](https://huggingface.co/docs/transformers) `Trainer` on any machine',
    'with Python: a GPU, several GPUs, or the CPU. Same rows, same hyperparameters, same losses and metrics.',
    '',
    '## Run it',
    '',
    '```bash',
    'pip install -r requirements.txt',
    'python train.py                 # one GPU (or the CPU)',
    'accelerate launch train.py      # several GPUs: run `accelerate config` once first, or',
    'accelerate launch --multi_gpu --num_processes 4 train.py',
    'python train.py --print-config  # the hyperparameters as JSON',
    '```',
    '',
    'The trained model and tokenizer land in `output/model/`' +
      (cfg.mode === 'lora' ? ' (LoRA adapters merged, as the studio exports)' : '') +
      ', the validation (`eval_*`) and test (`test_*`) metrics in `output/metrics.json`.',
    "Metrics keep the studio's names: `eval_macroF1` is the Train screen's macro-F1.",
    '',
    '## Files',
    '',
    '| file | what |',
    '| --- | --- |',
    `| \`data/train.csv\` | the ${facts.rows.train} training rows, exactly as the run used them |`,
    `| \`data/validation.csv\` | the ${facts.rows.validation} validation rows: best checkpoint and early stopping |`,
    ...(facts.rows.test > 0 ? [`| \`data/test.csv\` | the ${facts.rows.test} test rows, scored once at the end |`] : []),
    '| `train.py` | the training script; every hyperparameter is in `CONFIG` at its top |',
    '| `requirements.txt` | the Python packages' + (cfg.mode === 'lora' ? ' (peft for LoRA)' : '') + ' |',
    '',
    `The CSVs are UTF-8, RFC 4180 quoting, with the columns ${cols}${labelText}.`,
    '',
    '## How the settings map',
    '',
    '| setting | this run | `CONFIG` key | in train.py / Trainer |',
    '| --- | --- | --- | --- |',
    ...rows.map(([s, v, k, how]) => `| ${s} | ${code(v)} | ${k.split(', ').map(code).join(', ')} | ${how} |`),
    '',
    '## No Trainer equivalent',
    '',
    "- **Threads**: a machine setting of the studio and the CLI; here the GPUs (or the CPU's threads) do the work.",
    '- **Length bucketing and pad multiple**: the engine batches length-sorted windows of 50 batches; Trainer shuffles ' +
      "plainly and pads each batch to its longest row (`group_by_length=True` is Trainer's nearest option).",
    "- **Checkpoint cadence**: the engine's resume checkpoints have no counterpart; Trainer saves at each evaluation " +
      '(the best and the last are kept).',
    "- **Min delta for the best checkpoint**: the engine's best checkpoint must beat the best so far by min delta too; " +
      "Trainer's `metric_for_best_model` takes any improvement (`early_stopping_threshold` applies to early stopping only).",
    '- **Cross-validation**: a fold run is one fold here; its rows are in the CSVs.',
    '- **Exact numbers**: other kernels, random streams, head initialisation and data order: scores come close, not equal.',
    '',
  ];
  return lines.join('\n');
}
