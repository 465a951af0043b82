// The module-level helpers of a recipe's train.py (lib/export/recipe-train-py.ts): reading the split CSVs, the
// "balanced" class weights and the engine's validation metrics (lib/train/metrics.ts) under the project's names. They
// import nothing heavy at module level, so `python train.py --print-config` runs without torch or transformers.

export const PY_HELPERS = String.raw`HERE = os.path.dirname(os.path.abspath(__file__))
TASK = CONFIG["task"]
LABELS = CONFIG["labels"]
LABEL2ID = {name: i for i, name in enumerate(LABELS)}
# the classifier head (BERT/RoBERTa: classifier.*, DistilBERT: pre_classifier.* too), under PEFT's wrappers as well
HEAD = re.compile(r"(^|\.)(pre_classifier|classifier|score)\.")
# no weight decay on biases and normalisation weights, as the engine (lib/train/optimizer.ts)
NO_DECAY = re.compile(r"(bias$|layernorm|layer_norm|norm\.weight$)")
EMBEDDINGS = re.compile(r"(^|\.)embeddings\.")
LAYER = re.compile(r"\.layer\.(\d+)\.")
# the engine's LoRA targets (lib/models/lora.ts) as module names: BERT/RoBERTa first, then DistilBERT
LORA_PATTERNS = {
    "query": [r".*\.attention\.self\.query", r".*\.attention\.q_lin"],
    "key": [r".*\.attention\.self\.key", r".*\.attention\.k_lin"],
    "value": [r".*\.attention\.self\.value", r".*\.attention\.v_lin"],
    "output": [r".*\.attention\.output\.dense", r".*\.attention\.out_lin"],
    "ffn": [r".*\.intermediate\.dense", r".*\.layer\.\d+\.output\.dense", r".*\.ffn\.lin[12]"],
}


def read_split(name):
    """data/<name>.csv as {"text", "pair"?, "labels"}, or None when the file is absent."""
    path = os.path.join(HERE, "data", name + ".csv")
    if not os.path.exists(path):
        return None
    out = {"text": [], "labels": []}
    if CONFIG["pair_column"]:
        out["pair"] = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row_no, row in enumerate(csv.DictReader(f), start=2):
            out["text"].append(row[CONFIG["text_column"]])
            if CONFIG["pair_column"]:
                out["pair"].append(row[CONFIG["pair_column"]])
            out["labels"].append(encode_label(row[CONFIG["label_column"]], path, row_no))
    return out


def encode_label(cell, path, row_no):
    if TASK == "regression":
        return float(cell)
    names = [cell] if TASK == "classification" else [x for x in cell.split(CONFIG["label_separator"]) if x != ""]
    unknown = [x for x in names if x not in LABEL2ID]
    if unknown:
        sys.exit(f"{path} row {row_no}: label {unknown[0]!r} is not in CONFIG['labels']")
    if TASK == "classification":
        return LABEL2ID[cell]
    hot = [0.0] * len(LABELS)
    for x in names:
        hot[LABEL2ID[x]] = 1.0
    return hot


def class_weights(train):
    """CONFIG["class_weights"]: None, a list, or "balanced" = n / (classes * count) over the training split."""
    w = CONFIG["class_weights"]
    if w is None or TASK == "regression":
        return None
    if w != "balanced":
        return [float(x) for x in w]
    counts = [0] * len(LABELS)
    for y in train["labels"]:
        for c in ([y] if TASK == "classification" else [i for i, v in enumerate(y) if v > 0]):
            counts[c] += 1
    n = sum(counts)
    return [0.0 if k == 0 else n / (len(counts) * k) for k in counts]


def compute_metrics(p):
    """The engine's validation metrics (lib/train/metrics.ts), under its names: Trainer reports them as eval_<name>."""
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, precision_recall_fscore_support

    logits = p.predictions[0] if isinstance(p.predictions, tuple) else p.predictions
    y = np.asarray(p.label_ids)
    if TASK == "regression":
        pred = np.asarray(logits).reshape(-1).astype(np.float64)
        y = y.reshape(-1).astype(np.float64)
        mse = float(np.mean((pred - y) ** 2))
        sst = float(np.sum((y - y.mean()) ** 2))
        spp = float(np.sum((pred - pred.mean()) ** 2))
        r2 = (1.0 if mse == 0 else 0.0) if sst == 0 else 1 - mse * len(y) / sst
        pearson = 0.0 if sst == 0 or spp == 0 else float(np.sum((y - y.mean()) * (pred - pred.mean())) / math.sqrt(sst * spp))
        return {"mse": mse, "rmse": math.sqrt(mse), "mae": float(mean_absolute_error(y, pred)), "r2": r2, "pearson": pearson}
    ks = list(range(len(LABELS)))
    if TASK == "multilabel":
        pred = (1 / (1 + np.exp(-np.asarray(logits, dtype=np.float64))) >= CONFIG["multilabel_threshold"]).astype(int)
        y = (y > 0.5).astype(int)
        mp, mr, mf, _ = precision_recall_fscore_support(y, pred, average="micro", zero_division=0)
        return {
            "microPrecision": float(mp),
            "microRecall": float(mr),
            "microF1": float(mf),
            "macroF1": float(f1_score(y, pred, average="macro", zero_division=0)),
            "subsetAccuracy": float(np.mean(np.all(pred == y, axis=1))),
            "hammingLoss": float(np.mean(pred != y)),
        }
    pred = np.asarray(logits).argmax(-1)
    y = y.astype(int)
    # macro over the labels in the truth or the predictions (labels=None), as the studio computes it
    mp, mr, mf, _ = precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macroF1": float(mf),
        "macroPrecision": float(mp),
        "macroRecall": float(mr),
        "microF1": float(f1_score(y, pred, labels=ks, average="micro", zero_division=0)),
        "weightedF1": float(f1_score(y, pred, labels=ks, average="weighted", zero_division=0)),
    }
`;
