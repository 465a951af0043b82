// The train.py of a recipe folder (lib/export/recipe.ts): one CONFIG dict literal at the top, `--print-config` that
// prints it as JSON before anything heavy is imported, then Hugging Face Trainer with the engine's semantics (losses,
// head learning rate, frozen layers, LoRA targets, weight average; data and metrics in recipe-py-helpers.ts).
import { PY_HELPERS } from './recipe-py-helpers';

/** train.py from CONFIG as a Python literal (`CONFIG = {...}`) and the notes for its opening comment. */
export function trainPy(configLiteral: string, notes: string[]): string {
  const head = [
    '#!/usr/bin/env python3',
    '# Reproduces a Finetune Studio run with Hugging Face Trainer (see README.md). Every hyperparameter is in CONFIG below.',
    '#   pip install -r requirements.txt',
    '#   python train.py                  one GPU (or the CPU)',
    '#   accelerate launch train.py       several GPUs: the batch size below stays the global batch',
    '#   python train.py --print-config   prints CONFIG as JSON (needs no torch or transformers)',
    ...notes.map((n) => `# ${n}`),
    'import argparse',
    'import csv',
    'import dataclasses',
    'import json',
    'import math',
    'import os',
    'import random',
    'import re',
    'import sys',
    '',
    `CONFIG = ${configLiteral}`,
  ];
  return head.join('\n') + '\n\n' + PY_HELPERS + '\n' + BODY;
}

const BODY = String.raw`
def make_pairs(labels, rounds, seed, cap):
    """Each round pairs every row with a random other row of its label (target 1) and a random row of another (0)."""
    rng = random.Random(seed)
    by_label = {}
    for i, y in enumerate(labels):
        by_label.setdefault(y, []).append(i)
    pairs = []
    for _ in range(rounds):
        if len(pairs) >= cap:
            break
        order = list(range(len(labels)))
        rng.shuffle(order)
        for i in order:
            mine = by_label[labels[i]]
            if len(mine) > 1:
                pairs.append((i, rng.choice([j for j in mine if j != i]), 1.0))
            others = [j for j in range(len(labels)) if labels[j] != labels[i]]
            if others:
                pairs.append((i, rng.choice(others), 0.0))
            if len(pairs) >= cap:
                break
    pairs = pairs[:cap]
    rng.shuffle(pairs)
    return pairs


def pair_tune(model, tokenizer, rows, max_length, torch):
    """The engine's contrastive phase (lib/train/contrastive.ts): the squared difference between the cosine similarity
    of two rows' pooled embeddings and 1 (same label) or 0, AdamW (weight decay 0.01, none on biases / LayerNorm)."""
    pairs = make_pairs(rows["labels"], CONFIG["contrastive_rounds"], CONFIG["seed"], CONFIG["pair_cap"])
    encoder = model.base_model
    named = [(n, p) for n, p in encoder.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in named if not NO_DECAY.search(n.lower())], "weight_decay": 0.01},
              {"params": [p for n, p in named if NO_DECAY.search(n.lower())], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=CONFIG["pair_learning_rate"])
    device = next(model.parameters()).device
    encoder.train()
    step_size = CONFIG["pair_batch_size"]
    for step in range(0, len(pairs), step_size):
        batch = pairs[step:step + step_size]
        texts = [rows["text"][a] for a, _, _ in batch] + [rows["text"][b] for _, b, _ in batch]
        enc = tokenizer(texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt").to(device)
        out = encoder(**enc)
        pooled = getattr(out, "pooler_output", None)
        emb = pooled if pooled is not None else out.last_hidden_state[:, 0]
        a, b = emb.chunk(2)
        target = torch.tensor([t for _, _, t in batch], device=device)
        loss = ((torch.nn.functional.cosine_similarity(a, b, dim=-1) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step // step_size) % 10 == 0:
            print(f"pairs: step {step // step_size + 1} of {-(-len(pairs) // step_size)}, loss {loss.item():.4f}")


def main():
    parser = argparse.ArgumentParser(description="Reproduces a Finetune Studio run with Hugging Face Trainer.")
    parser.add_argument("--print-config", action="store_true", help="print CONFIG as JSON and exit")
    if parser.parse_args().print_config:
        sys.stdout.reconfigure(encoding="utf-8")
        print(json.dumps(CONFIG, indent=2, ensure_ascii=False))
        return
    if CONFIG["hub_endpoint"]:
        os.environ.setdefault("HF_ENDPOINT", CONFIG["hub_endpoint"])

    import torch
    import torch.nn.functional as F
    from datasets import Dataset
    from transformers import (AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              EarlyStoppingCallback, Trainer, TrainerCallback, TrainingArguments, set_seed)
    from transformers import __version__ as transformers_version

    set_seed(CONFIG["seed"])
    mode = CONFIG["mode"]
    local = os.path.join(HERE, CONFIG["model"])
    name = local if os.path.isdir(local) else CONFIG["model"]
    rev = {"revision": CONFIG["model_revision"]} if CONFIG["model_revision"] else {}
    tokenizer = AutoTokenizer.from_pretrained(name, **rev)
    if TASK == "regression":
        cfg = AutoConfig.from_pretrained(name, num_labels=1, problem_type="regression", **rev)
    else:
        problem = "multi_label_classification" if TASK == "multilabel" else "single_label_classification"
        cfg = AutoConfig.from_pretrained(name, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=LABEL2ID,
                                         problem_type=problem, **rev)
    # the run's dropout is the classifier's; head only: the frozen encoder runs without dropout, as its cached features
    setattr(cfg, "seq_classif_dropout" if cfg.model_type == "distilbert" else "classifier_dropout", CONFIG["dropout"])
    if mode == "head":
        for key in ("hidden_dropout_prob", "attention_probs_dropout_prob", "dropout", "attention_dropout"):
            if hasattr(cfg, key):
                setattr(cfg, key, 0.0)
    model = AutoModelForSequenceClassification.from_pretrained(name, config=cfg, **rev)

    if mode == "head" and CONFIG["contrastive_rounds"] > 0:
        # contrastive pairs first (SetFit): the encoder learns to put texts of one label close together, then freezes
        pair_tune(model, tokenizer, read_split("train"), min(CONFIG["max_length"], tokenizer.model_max_length), torch)

    if mode == "head":
        for n, p in model.named_parameters():
            p.requires_grad = bool(HEAD.search(n))
    elif mode == "freeze":
        for n, p in model.named_parameters():
            layer = LAYER.search(n)
            if EMBEDDINGS.search(n) or (layer and int(layer.group(1)) < CONFIG["freeze_layers"]):
                p.requires_grad = False
    elif mode == "lora":
        from peft import LoraConfig, TaskType, get_peft_model

        targets = "(?:" + "|".join(p for t in CONFIG["lora_targets"] for p in LORA_PATTERNS[t]) + ")"
        heads = [m for m in ("pre_classifier", "classifier") if hasattr(model, m)]
        lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=CONFIG["lora_r"], lora_alpha=CONFIG["lora_alpha"],
                          lora_dropout=CONFIG["lora_dropout"], target_modules=targets, modules_to_save=heads)
        model = get_peft_model(model, lora)
        model.print_trainable_parameters()

    max_length = min(CONFIG["max_length"], tokenizer.model_max_length)

    def dataset(split):
        if split is None or not split["text"]:
            return None
        ds = Dataset.from_dict(split)
        cols = ["text", "pair"] if "pair" in split else ["text"]
        return ds.map(lambda b: tokenizer(*[b[c] for c in cols], truncation=True, max_length=max_length), batched=True,
                      remove_columns=cols)

    train_rows = read_split("train")
    train_ds, val_ds, test_ds = dataset(train_rows), dataset(read_split("validation")), dataset(read_split("test"))
    weights = class_weights(train_rows)
    weights = torch.tensor(weights, dtype=torch.float32) if weights is not None else None
    smoothing = CONFIG["label_smoothing"]

    def task_loss(logits, labels, training):
        """The engine's losses (lib/train/losses.ts); validation uses the plain loss (no smoothing, no weights)."""
        w = weights.to(logits.device) if training and weights is not None else None
        if TASK == "regression":
            return F.mse_loss(logits.view(-1), labels.to(logits.dtype).view(-1))
        if TASK == "multilabel":
            per = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype), reduction="none")
            return (per * w if w is not None else per).mean()
        k = logits.size(-1)
        target = F.one_hot(labels.long(), k).to(logits.dtype)
        if training and smoothing > 0:
            target = target * (1 - smoothing) + smoothing / k
        per = -(target * F.log_softmax(logits, dim=-1)).sum(-1)
        rw = w[labels.long()] if w is not None else torch.ones_like(per)
        return (per * rw).sum() / rw.sum().clamp_min(1e-12)

    class WeightAverage(TrainerCallback):
        """The engine's weight average (lib/train/ema.ts): after optimizer step t, avg = d * avg + (1 - d) * w with
        d = min(decay, (1 + t) / (10 + t)). Training goes on from the raw weights; evaluation, checkpoints (so the best
        model) and the saved model use the average."""

        def __init__(self, decay):
            self.decay, self.params, self.avg, self.active = decay, [], [], False

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            self.params = [p for p in model.parameters() if p.requires_grad]
            self.avg = [p.detach().clone() for p in self.params]
            self.active = True

        def on_step_end(self, args, state, control, **kwargs):
            d = min(self.decay, (1 + state.global_step) / (10 + state.global_step))
            with torch.no_grad():
                for a, p in zip(self.avg, self.params):
                    a.mul_(d).add_(p.detach(), alpha=1 - d)

        def swap(self):
            with torch.no_grad():
                for a, p in zip(self.avg, self.params):
                    raw = p.detach().clone()
                    p.copy_(a)
                    a.copy_(raw)

    ema = WeightAverage(CONFIG["ema_decay"]) if CONFIG["ema_decay"] > 0 else None

    def with_average(run):
        if ema is None or not ema.active:
            return run()
        ema.swap()
        try:
            return run()
        finally:
            ema.swap()

    class RecipeTrainer(Trainer):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.model_accepts_loss_kwargs = False  # the loss is a mean: Trainer divides it by the accumulation steps

        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
            loss = task_loss(outputs.logits, inputs["labels"], model.training)
            return (loss, outputs) if return_outputs else loss

        def evaluate(self, *a, **kw):
            return with_average(lambda: super(RecipeTrainer, self).evaluate(*a, **kw))

        def _save_checkpoint(self, *a, **kw):  # Trainer's checkpoint writer (so load_best_model_at_end gets the average)
            return with_average(lambda: super(RecipeTrainer, self)._save_checkpoint(*a, **kw))

    class EvalAtEpochEnd(TrainerCallback):
        """Evaluating every N steps, the engine also evaluates (and may keep the best) at each epoch's end."""

        def on_epoch_end(self, args, state, control, **kwargs):
            control.should_evaluate = True
            control.should_save = True

    # the head learns at head_lr_multiplier x the encoder's rate (not in head-only mode, where it is all that trains)
    mult = CONFIG["head_lr_multiplier"] if mode != "head" else 1.0
    groups = {}
    for n, p in model.named_parameters():
        if p.requires_grad:
            head, decay = bool(HEAD.search(n)), not NO_DECAY.search(n.lower())
            groups.setdefault((head, decay), []).append(p)
    params = [{"params": ps, "lr": CONFIG["learning_rate"] * (mult if head else 1.0),
               "weight_decay": CONFIG["weight_decay"] if decay else 0.0} for (head, decay), ps in groups.items()]
    betas = (CONFIG["adam_beta1"], CONFIG["adam_beta2"])
    adam = torch.optim.AdamW if CONFIG["optimizer"] == "adamw" else torch.optim.Adam  # adam: L2 added to the gradient
    optimizer = adam(params, lr=CONFIG["learning_rate"], betas=betas, eps=CONFIG["adam_epsilon"])

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if CONFIG["batch_size"] % world:
        print(f"batch size {CONFIG['batch_size']} does not divide over {world} processes: {CONFIG['batch_size'] // world or 1} each")
    every = CONFIG["eval_every_steps"]
    strategy = ("steps" if every else "epoch") if val_ds is not None else "no"
    if CONFIG["warmup_steps"] is not None:
        warmup = {"warmup_steps": int(CONFIG["warmup_steps"])}
    elif int(transformers_version.split(".")[0]) >= 5:
        warmup = {"warmup_steps": float(CONFIG["warmup_ratio"])}  # v5: a float below 1 is a ratio
    else:
        warmup = {"warmup_ratio": CONFIG["warmup_ratio"]}
    args = TrainingArguments(
        output_dir=os.path.join(HERE, CONFIG["output_dir"]),
        num_train_epochs=CONFIG["epochs"],
        # max steps: the run stops there and the schedule (warm-up ratio included) spans them, as in the engine
        max_steps=CONFIG["max_steps"] or -1,
        per_device_train_batch_size=max(1, CONFIG["batch_size"] // world),
        per_device_eval_batch_size=CONFIG["eval_batch_size"],
        gradient_accumulation_steps=CONFIG["gradient_accumulation"],
        learning_rate=CONFIG["learning_rate"],
        weight_decay=CONFIG["weight_decay"],
        adam_beta1=CONFIG["adam_beta1"],
        adam_beta2=CONFIG["adam_beta2"],
        adam_epsilon=CONFIG["adam_epsilon"],
        lr_scheduler_type=CONFIG["lr_scheduler_type"],
        max_grad_norm=CONFIG["max_grad_norm"],
        seed=CONFIG["seed"],
        data_seed=CONFIG["seed"],
        eval_strategy=strategy,
        save_strategy=strategy,
        **({"eval_steps": every, "save_steps": every} if strategy == "steps" else {}),
        load_best_model_at_end=val_ds is not None and CONFIG["load_best_model"],
        metric_for_best_model=CONFIG["metric"],
        greater_is_better=CONFIG["greater_is_better"],
        save_total_limit=2,
        logging_steps=10,
        label_names=["labels"],
        report_to="none",
        **warmup,
    )
    if CONFIG["head_first_epochs"] > 0 and mode in ("full", "freeze"):
        # head first (LP-FT): the head alone, at its own rate, for head_first_epochs; the best epoch's head is kept
        encoder = [p for n, p in model.named_parameters() if p.requires_grad and not HEAD.search(n)]
        for p in encoder:
            p.requires_grad = False
        head_lr = CONFIG["learning_rate"] * mult
        head_params = [{"params": [p for n, p in model.named_parameters() if p.requires_grad and NO_DECAY.search(n.lower()) is None],
                        "weight_decay": CONFIG["weight_decay"]},
                       {"params": [p for n, p in model.named_parameters() if p.requires_grad and NO_DECAY.search(n.lower())],
                        "weight_decay": 0.0}]
        head_args = dataclasses.replace(args, output_dir=os.path.join(args.output_dir, "head-first"),
                                        num_train_epochs=CONFIG["head_first_epochs"], max_steps=-1, learning_rate=head_lr,
                                        eval_strategy=strategy if strategy == "no" else "epoch",
                                        save_strategy=strategy if strategy == "no" else "epoch", eval_steps=None,
                                        save_steps=None)
        head_opt = adam(head_params, lr=head_lr, betas=betas, eps=CONFIG["adam_epsilon"])
        RecipeTrainer(model=model, args=head_args, train_dataset=train_ds, eval_dataset=val_ds, processing_class=tokenizer,
                      data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=compute_metrics,
                      optimizers=(head_opt, None)).train()
        for p in encoder:
            p.requires_grad = True

    callbacks = [ema] if ema is not None else []
    if every and val_ds is not None:
        callbacks.append(EvalAtEpochEnd())
    if CONFIG["early_stopping_patience"] > 0 and val_ds is not None:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=CONFIG["early_stopping_patience"],
                                               early_stopping_threshold=CONFIG["early_stopping_min_delta"]))
    trainer = RecipeTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds, processing_class=tokenizer,
                            data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=compute_metrics,
                            optimizers=(optimizer, None), callbacks=callbacks)
    trainer.train()
    if ema is not None:
        if val_ds is None:
            ema.swap()  # no best checkpoint to restore: the final model is the average, as the engine's
        ema.active = False

    metrics = {}
    if val_ds is not None:
        metrics.update(trainer.evaluate())
    if test_ds is not None:
        metrics.update(trainer.evaluate(test_ds, metric_key_prefix="test"))
    if trainer.is_world_process_zero():
        out = os.path.join(HERE, CONFIG["output_dir"], "model")
        final = trainer.model.merge_and_unload() if mode == "lora" else trainer.model  # LoRA merged, as the studio exports
        final.save_pretrained(out)
        tokenizer.save_pretrained(out)
        with open(os.path.join(HERE, CONFIG["output_dir"], "metrics.json"), "w", encoding="utf-8") as f:
            json.dump(metrics, f, indent=2)
        print(json.dumps(metrics, indent=2))
        print(f"model saved to {out}")


if __name__ == "__main__":
    main()
`;
