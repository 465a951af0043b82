// finetune train's inputs: the data files as a run's examples (--data, and --eval or a held-out share), the
// arguments and settings of a run being resumed (--resume DIR reads DIR/run.json), and the metrics log on resume.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import { buildLabeledData, toExample, usableRecords } from '../../lib/data/labeled';
import type { ColumnMapping } from '../../lib/data/types';
import type { Encoder, TextTokenizer } from '../../lib/models/types';
import type { RunConfig } from '../../lib/run/config';
import type { RunData } from '../../lib/run/train-run';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { loadTable, mapTable, mappingFor, withFlags } from '../data';
import { loadBase } from '../models';

type TaskName = 'classification' | 'multilabel' | 'regression';

async function loadExamples(path: string, option: string, opts: ParsedOptions, cli: Cli, fixedTask?: TaskName) {
  const t = await loadTable(path, option);
  const { mapping, guessed } = mappingFor(
    t,
    {
      text: str(opts, 'text-column'),
      textPair: str(opts, 'text-pair-column'),
      label: str(opts, 'label-column'),
      labelSeparator: str(opts, 'label-separator'),
      task: (str(opts, 'task') as TaskName | undefined) ?? fixedTask,
    },
    true,
  );
  if (guessed.length) cli.log(`${path}: using ${guessed.join(' ')}`);
  const mapped = mapTable(t, mapping);
  for (const w of mapped.warnings)
    cli.log(
      `${path}: warning: ${w.message} (${w.count} row${w.count === 1 ? '' : 's'}${w.rows.length ? `, e.g. row ${w.rows.slice(0, 5).join(', ')}` : ''})`,
    );
  return { table: t, mapping, mapped };
}

/** What `--resume DIR` needs from DIR/run.json: the arguments (paths made absolute) and the settings it ran with. */
export interface SavedRun {
  args: ParsedOptions;
  run: RunConfig;
  result?: unknown;
}

async function readSavedRun(dir: string): Promise<SavedRun> {
  let saved: Partial<SavedRun>;
  try {
    saved = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as Partial<SavedRun>;
  } catch {
    throw new UserError(
      `"${dir}" has no readable run.json`,
      { file: join(dir, 'run.json'), option: '--resume' },
      'give --resume the --out folder of a finetune train run',
    );
  }
  if (!saved.args || !saved.run)
    throw new UserError(
      'run.json has no arguments or settings to resume with',
      { file: join(dir, 'run.json'), option: '--resume' },
      'it was written by an older finetune version: start the run again',
    );
  if (saved.result)
    throw new UserError(
      'this run already finished; there is nothing to resume',
      { file: join(dir, 'run.json'), option: '--resume' },
      'start a new run with --out',
    );
  return saved as SavedRun;
}

/** --resume DIR takes everything from DIR/run.json; only --threads may differ. */
export async function resolveArgs(opts: ParsedOptions): Promise<{ opts: ParsedOptions; saved: SavedRun | null }> {
  const dir = str(opts, 'resume');
  if (!dir) {
    if (!str(opts, 'out') && opts['dry-run'] !== true)
      throw new UserError('missing required option --out', { option: '--out' }, 'give the output folder; see finetune train --help');
    return { opts, saved: null };
  }
  const extra = Object.keys(opts).filter((k) => !['resume', 'threads', 'help'].includes(k) && opts[k] !== undefined);
  if (extra.length)
    throw new UserError(
      `--resume continues the run as it was started, so --${extra[0]} cannot be given with it`,
      { option: `--${extra[0]}` },
      'leave it out (the data and settings come from run.json), or start a new run with --out',
    );
  const saved = await readSavedRun(resolve(dir));
  return { opts: { ...saved.args, out: resolve(dir), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) }, saved };
}

/** The run id of a CLI run's checkpoints: OUT/run/checkpoints. */
export const RUN_ID = 'run';

/** The model once more (a fold of cross-validation starts from the pre-trained weights). */
export async function loadTokenized(
  spec: string,
  opts: ParsedOptions,
  hubEndpoint: string | undefined,
): Promise<{ encoder: Encoder; tokenizer: TextTokenizer }> {
  const m = await loadBase(spec, { dropout: num(opts, 'dropout') ?? 0.1, hubEndpoint, revision: str(opts, 'revision') });
  return { encoder: m.encoder, tokenizer: m.tokenizer! };
}

/** On resume, the events the interrupted process logged after its last checkpoint are dropped (they are replayed). */
export async function keepMetricsUpTo(path: string, step: number): Promise<void> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const kept = text.split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      const ev = JSON.parse(l) as { type?: string; step?: number };
      return ev.type !== 'done' && (ev.step === undefined || ev.step <= step);
    } catch {
      return false; // a line cut by the kill
    }
  });
  await writeFile(path, kept.map((l) => `${l}\n`).join(''));
}

/** The training and validation examples: --data, and --eval or a stratified --val-split share of --data. */
export async function loadRunData(
  opts: ParsedOptions,
  cli: Cli,
  seed: number,
  valSplit: number,
): Promise<RunData & { mapping: ColumnMapping }> {
  const dataPath = str(opts, 'data')!;
  const trainData = await loadExamples(dataPath, '--data', opts, cli);
  const task = trainData.mapping.task as TaskName;
  const evalPath = str(opts, 'eval');
  const labels = trainData.mapped.labels;
  if (evalPath) {
    const ev = await loadExamples(evalPath, '--eval', opts, cli, task);
    const unknown = ev.mapped.labels.filter((l) => !labels.includes(l));
    if (task !== 'regression' && unknown.length) {
      throw new UserError(
        `label${unknown.length > 1 ? 's' : ''} ${unknown
          .slice(0, 5)
          .map((l) => JSON.stringify(l))
          .join(', ')} of the validation file never occur in the training file`,
        { file: evalPath, column: trainData.mapping.label?.join(',') },
        'train and validation files must use the same label names',
      );
    }
    const train = usableRecords(trainData.mapped.records).map(toExample);
    const validation = usableRecords(ev.mapped.records).map(toExample);
    return {
      train,
      validation,
      labels: task === 'regression' ? [] : labels,
      task,
      mapping: trainData.mapping,
      source: { train: dataPath, validation: evalPath },
    };
  }
  const split = trainData.mapping.split
    ? { mode: 'column' as const }
    : { mode: 'ratio' as const, ratios: { train: 1 - valSplit, validation: valSplit, test: 0 }, seed, stratify: true };
  const ld = withFlags(() => buildLabeledData(trainData.mapped.records, trainData.mapping, labels, split, { seed }));
  cli.log(
    `held out ${ld.validation.length} of ${ld.train.length + ld.validation.length} rows of ${dataPath} for validation (--val-split ${valSplit}, seed ${seed})`,
  );
  return {
    train: ld.train,
    validation: ld.validation,
    labels: task === 'regression' ? [] : ld.labels,
    task,
    mapping: trainData.mapping,
    source: { train: dataPath, validation: `${dataPath} (held out)` },
  };
}

/** OUT/run.json: what --resume, eval and predict read back (file paths made absolute, so --resume works anywhere). */
export async function writeRunJson(out: string, body: Record<string, unknown>): Promise<void> {
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'run.json'), JSON.stringify(body, null, 2));
}

export function savedArgs(opts: ParsedOptions): ParsedOptions {
  return Object.fromEntries(
    Object.entries(opts)
      .filter(([k]) => k !== 'help' && k !== 'resume' && k !== 'threads')
      .map(([k, v]) => [k, ['data', 'eval', 'test', 'out'].includes(k) && typeof v === 'string' ? resolve(v) : v]),
  );
}
