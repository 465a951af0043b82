// A recipe folder that reproduces a run with Hugging Face Trainer on any machine: the exact split rows as CSV, a
// train.py whose CONFIG holds the run's hyperparameters (resolved as the engine resolves them: recipe-config.ts),
// requirements.txt and a README. Pure: returns file contents by path, for the CLI to write or the studio to zip.
import { UserError } from '../errors';
import type { Example } from '../data/types';
import { recipeConfig, pyLiteral, type RecipeConfig, type RecipeInput, type RecipeRow } from './recipe-config';
import { recipeReadme } from './recipe-readme';
import { trainPy } from './recipe-train-py';

export { USE_LITE_SUBSTITUTE, isUseLite, pyLiteral, recipeConfig } from './recipe-config';
export type { RecipeConfig, RecipeInput, RecipeRow } from './recipe-config';

/** The engine's examples as recipe rows. */
export function recipeRows(examples: Example[]): RecipeRow[] {
  return examples.map((e) =>
    e.textPair !== undefined ? { text: e.text, pair: e.textPair, label: e.label } : { text: e.text, label: e.label },
  );
}

/** One CSV field, RFC 4180: quoted when it holds a quote, comma or line break (or edge spaces), quotes doubled. Unlike
 *  lib/session/csv.ts, no formula guard: the files are training data and must read back exactly. */
export function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function labelCell(label: RecipeRow['label'], cfg: RecipeConfig, split: string, i: number): string {
  const where = { file: `data/${split}.csv`, row: i + 2 };
  if (cfg.task === 'regression') {
    if (typeof label !== 'number' || !Number.isFinite(label))
      throw new UserError(`A regression label is not a number: ${JSON.stringify(label)}.`, where, 'Give every row a numeric label.');
    return String(label);
  }
  const names = cfg.task === 'multilabel' ? (Array.isArray(label) ? label : [String(label)]) : [String(label)];
  const unknown = names.find((n) => !cfg.labels.includes(n));
  if (unknown !== undefined)
    throw new UserError(`Label "${unknown}" is not among the run's labels.`, where, 'Pass the labels the run trained with.');
  return names.join(cfg.label_separator ?? '');
}

function splitCsv(rows: RecipeRow[], cfg: RecipeConfig, split: string): string {
  const header = [cfg.text_column, ...(cfg.pair_column !== null ? [cfg.pair_column] : []), cfg.label_column];
  const lines = [header.map(csvField).join(',')];
  rows.forEach((r, i) => {
    const cells = [r.text, ...(cfg.pair_column !== null ? [r.pair ?? ''] : []), labelCell(r.label, cfg, split, i)];
    lines.push(cells.map(csvField).join(','));
  });
  return lines.join('\r\n') + '\r\n';
}

/** requirements.txt: minimum versions that have every API train.py uses (peft only for LoRA). */
export function requirementsTxt(cfg: Pick<RecipeConfig, 'mode'>): string {
  const reqs = ['transformers>=4.46.0', 'datasets>=2.19.0', 'accelerate>=0.34.0', 'torch>=2.1.0', 'scikit-learn>=1.3.0'];
  if (cfg.mode === 'lora') reqs.push('peft>=0.13.0');
  return reqs.join('\n') + '\n';
}

/** The recipe folder's files by path: data/*.csv, train.py, requirements.txt, README.md. */
export function recipeFiles(input: RecipeInput): Record<string, string> {
  const cfg = recipeConfig(input);
  const notes = cfg.substitute_for
    ? [
        `NOTE: the run used ${cfg.substitute_for}, which transformers has no architecture for; CONFIG["model"] is a stand-in`,
        `(${cfg.model}): change it to any encoder on the Hub. Scores will differ from the run's.`,
      ]
    : [];
  const files: Record<string, string> = {
    'data/train.csv': splitCsv(input.rows.train, cfg, 'train'),
    'data/validation.csv': splitCsv(input.rows.validation, cfg, 'validation'),
  };
  if (input.rows.test && input.rows.test.length > 0) files['data/test.csv'] = splitCsv(input.rows.test, cfg, 'test');
  files['train.py'] = trainPy(pyLiteral(cfg), notes);
  files['requirements.txt'] = requirementsTxt(cfg);
  files['README.md'] = recipeReadme(cfg, {
    rows: { train: input.rows.train.length, validation: input.rows.validation.length, test: input.rows.test?.length ?? 0 },
    modelKind: input.model ? 'given' : input.config.model.kind,
  });
  return files;
}
