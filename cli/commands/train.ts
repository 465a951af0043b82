// finetune train: data files -> engine data pipeline -> model -> fineTune() events -> progress on stderr, every event
// in OUT/metrics.jsonl, the trained model in Hugging Face layout in OUT, and the final metrics as the last stdout line.
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import { buildLabeledData, toExample, usableRecords } from '../../lib/data/labeled';
import type { ColumnMapping } from '../../lib/data/types';
import type { Encoder, TaskModel, TextTokenizer } from '../../lib/models/types';
import type { RunConfig } from '../../lib/run/config';
import { modeOf, trainConfigOf } from '../../lib/run/engine-config';
import { formatDuration } from '../../lib/run/duration';
import { estimateRun } from '../../lib/run/estimate';
import { dataFacts, modelFacts } from '../../lib/run/facts';
import { lastCheckpoint } from '../../lib/run/fingerprint';
import { FsStore } from '../../lib/store/fs-store';
import { prepareRun, trainRun, type PreparedRun, type RunData } from '../../lib/run/train-run';
import type { EvalResult, TrainEvent } from '../../lib/train/events';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { loadTable, mapTable, mappingFor, withFlags } from '../data';
import { loadBase, saveTrained } from '../models';
import { hubEndpointFrom, parseMode, relabelOption, runConfigFrom } from '../options';
import { createNodeFeaturePool, defaultThreads, startNodeWorker, type FeaturePool } from '../feature-pool';
import { evaluateOn, scalarsLine } from './eval';
import { crossValidateCli } from './train-folds';

type TaskName = 'classification' | 'multilabel' | 'regression';


async function loadExamples(path: string, option: string, opts: ParsedOptions, cli: Cli, fixedTask?: TaskName) {
  const t = await loadTable(path, option);
  const { mapping, guessed } = mappingFor(t, {
    text: str(opts, 'text-column'),
    textPair: str(opts, 'text-pair-column'),
    label: str(opts, 'label-column'),
    labelSeparator: str(opts, 'label-separator'),
    task: (str(opts, 'task') as TaskName | undefined) ?? fixedTask,
  }, true);
  if (guessed.length) cli.log(`${path}: using ${guessed.join(' ')}`);
  const mapped = mapTable(t, mapping);
  for (const w of mapped.warnings) cli.log(`${path}: warning: ${w.message} (${w.count} row${w.count === 1 ? '' : 's'}${w.rows.length ? `, e.g. row ${w.rows.slice(0, 5).join(', ')}` : ''})`);
  return { table: t, mapping, mapped };
}

/** What `--resume DIR` needs from DIR/run.json: the arguments (paths made absolute) and the settings it ran with. */
interface SavedRun {
  args: ParsedOptions;
  run: RunConfig;
  result?: unknown;
}

async function readSavedRun(dir: string): Promise<SavedRun> {
  let saved: Partial<SavedRun>;
  try {
    saved = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as Partial<SavedRun>;
  } catch {
    throw new UserError(`"${dir}" has no readable run.json`, { file: join(dir, 'run.json'), option: '--resume' }, 'give --resume the --out folder of a finetune train run');
  }
  if (!saved.args || !saved.run) throw new UserError('run.json has no arguments or settings to resume with', { file: join(dir, 'run.json'), option: '--resume' }, 'it was written by an older finetune version: start the run again');
  if (saved.result) throw new UserError('this run already finished; there is nothing to resume', { file: join(dir, 'run.json'), option: '--resume' }, 'start a new run with --out');
  return saved as SavedRun;
}

/** --resume DIR takes everything from DIR/run.json; only --threads may differ. */
async function resolveArgs(opts: ParsedOptions): Promise<{ opts: ParsedOptions; saved: SavedRun | null }> {
  const dir = str(opts, 'resume');
  if (!dir) {
    if (!str(opts, 'out') && opts['dry-run'] !== true) throw new UserError('missing required option --out', { option: '--out' }, 'give the output folder; see finetune train --help');
    return { opts, saved: null };
  }
  const extra = Object.keys(opts).filter((k) => !['resume', 'threads', 'help'].includes(k) && opts[k] !== undefined);
  if (extra.length) throw new UserError(`--resume continues the run as it was started, so --${extra[0]} cannot be given with it`, { option: `--${extra[0]}` }, 'leave it out (the data and settings come from run.json), or start a new run with --out');
  const saved = await readSavedRun(resolve(dir));
  return { opts: { ...saved.args, out: resolve(dir), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) }, saved };
}

async function runTrain(given: ParsedOptions, cli: Cli): Promise<void> {
  const { opts, saved } = await resolveArgs(given);
  const out = resolve(str(opts, 'out') ?? '.');
  const store = new FsStore(out);
  const resumeFrom = saved ? await lastCheckpoint(store, RUN_ID) : undefined;
  if (saved && !resumeFrom) throw new UserError(`no checkpoint in ${join(out, RUN_ID, 'checkpoints')} to resume from`, { option: '--resume' }, 'start the run again: full, freeze and LoRA runs write one every quarter epoch, head-only runs on Ctrl-C');
  const modelSpec = str(opts, 'model') ?? 'use-lite';
  const hubEndpoint = hubEndpointFrom(opts);
  if (str(opts, 'mode') !== undefined) parseMode(str(opts, 'mode')!, opts); // a bad --mode fails before any loading
  const seed = num(opts, 'seed') ?? 42;
  if (num(opts, 'folds') !== undefined) {
    for (const o of ['eval', 'test', 'dry-run']) if (opts[o] !== undefined) throw new UserError(`--folds validates on each fold in turn, so --${o} does not apply`, { option: `--${o}` }, `leave out --${o}, or train without --folds`);
  }
  const valSplit = num(opts, 'val-split') ?? 0.1;
  if (valSplit >= 1) throw new UserError(`--val-split ${valSplit} leaves nothing to train on`, { option: '--val-split' }, 'use a share below 1, e.g. 0.1');
  const data = await loadRunData(opts, cli, seed, valSplit);

  cli.log(`loading model ${modelSpec}`);
  const base = await loadBase(modelSpec, { dropout: num(opts, 'dropout') ?? 0.1, hubEndpoint, revision: str(opts, 'revision'), onProgress: (file, loaded, total) => cli.progress.update({ label: `download ${file}`, done: loaded, total }) });
  if (!base.tokenizer) {
    base.encoder.dispose();
    throw new UserError('the model has no tokenizer files', { file: modelSpec, option: '--model' }, 'use a model folder with tokenizer.json (or vocab.txt + tokenizer_config.json)');
  }
  const threads = num(opts, 'threads') ?? defaultThreads();
  const threadsPort = { threads, start: startNodeWorker, backend: { preference: 'wasm' as const } };
  let config: RunConfig;
  let p: PreparedRun;
  try {
    config = saved ? saved.run : runConfigFrom(opts, { ...modelFacts(base.encoder, base.tokenizer), ...dataFacts(data.train, data.labels, data.task, base.tokenizer) });
    if (resumeFrom) cli.log(`resuming ${out} from its checkpoint at step ${resumeFrom.step} (epoch ${resumeFrom.epoch + 1})`);
    else if (config.recipe) cli.log(`recipe ${config.recipe.title}${config.preset ? '' : ' with your options'} (${config.recipe.source}):${config.recipe.why.map((w) => `\n  ${w}`).join('')}`);
    const folds = num(opts, 'folds');
    if (folds !== undefined) {
      const open = async (fold: number) => (fold === 0 ? { encoder: base.encoder, tokenizer: base.tokenizer! } : loadTokenized(modelSpec, opts, hubEndpoint));
      await crossValidateCli(config, data, folds, open, { out, threads: threadsPort, cli });
      return;
    }
    p = prepareRun(config, data, { encoder: base.encoder, tokenizer: base.tokenizer });
  } catch (e) {
    base.encoder.dispose();
    throw e instanceof UserError ? relabelOption(e) : e;
  }
  const counts = p.model.paramCounts();
  cli.log(`model ${base.source}: ${p.model.encoder.arch}, mode ${config.mode}, ${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters train`);
  if (opts['dry-run'] === true) {
    try {
      const est = await estimateRun(config, p, threadsPort);
      cli.log(`estimated training time: about ${formatDuration(est.seconds)} (${est.steps.toLocaleString('en')} steps × ${est.perStepSec.toFixed(2)} s${est.featureSec !== undefined ? `, encoder features ${formatDuration(est.featureSec)} on ${est.threads} thread${est.threads > 1 ? 's' : ''}` : ''}${est.evalSec ? `, ${est.evals} validation passes ${formatDuration(est.evalSec)}` : ''}; ${est.basis}); early stopping can end it sooner`);
      cli.out(JSON.stringify({ dryRun: true, estimate: est, run: config }));
    } finally {
      p.model.dispose();
    }
    return;
  }

  try {
    await mkdir(out, { recursive: true });
    const runJson = {
      command: 'finetune train',
      // file paths made absolute, so --resume works from any folder
      args: Object.fromEntries(Object.entries(opts).filter(([k]) => k !== 'help' && k !== 'resume' && k !== 'threads').map(([k, v]) => [k, ['data', 'eval', 'test', 'out'].includes(k) && typeof v === 'string' ? resolve(v) : v])),
      model: modelSpec,
      arch: p.model.encoder.arch,
      mode: modeOf(config),
      task: p.model.task,
      labels: p.labels,
      mapping: data.mapping,
      maxLength: p.maxLength,
      trainExamples: p.data.train.length,
      validationExamples: p.data.validation.length,
      run: config,
      config: trainConfigOf(config, p.data.train.length),
      startedAt: new Date().toISOString(),
    };
    await writeFile(join(out, 'run.json'), JSON.stringify(runJson, null, 2));
    if (resumeFrom) await keepMetricsUpTo(join(out, 'metrics.jsonl'), resumeFrom.step);
    const metrics = createWriteStream(join(out, 'metrics.jsonl'), { flags: resumeFrom ? 'a' : 'w' });

    const abort = new AbortController();
    const onSigint = () => {
      cli.log('stopping after this step (Ctrl-C again to quit at once)');
      abort.abort();
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', onSigint);
    const ports = {
      signal: abort.signal,
      runId: RUN_ID,
      store,
      resumeFrom: resumeFrom ?? undefined,
      threads: threadsPort,
      onFeatureProgress: (done: number, total: number) => cli.progress.update({ label: 'encoder features', done, total }),
    };
    const t0 = performance.now();
    let done: Extract<TrainEvent, { type: 'done' }> | null = null;
    let totalSteps = 0;
    let epochs = config.epochs;
    try {
      for await (const ev of trainRun(config, p, ports)) {
        if (ev.type === 'status') {
          cli.log(ev.message);
          continue;
        }
        metrics.write(`${JSON.stringify(ev)}\n`);
        switch (ev.type) {
          case 'start':
            totalSteps = ev.totalSteps;
            epochs = ev.epochs;
            cli.log(`training on ${ev.trainExamples} examples, validating on ${ev.validationExamples}: ${ev.epochs} epoch(s) × ${ev.stepsPerEpoch} steps${ev.featureCacheSec !== undefined ? ` (encoder features cached in ${ev.featureCacheSec.toFixed(1)} s)` : ''}`);
            break;
          case 'step':
            cli.progress.update({ label: `epoch ${ev.epoch + 1}/${epochs}`, done: ev.step, total: totalSteps, samplesPerSec: ev.samplesPerSec, detail: `loss ${ev.loss.toFixed(4)} lr ${ev.lr.toExponential(1)}` });
            break;
          case 'eval':
            cli.log(`eval at step ${ev.step} (epoch ${ev.epoch + 1}): ${scalarsLine(ev.result)}`);
            break;
          case 'early-stop':
            cli.log(`early stop: ${ev.metric} did not improve for ${ev.patience} evaluations (best ${ev.best.toFixed(4)} at step ${ev.bestStep})`);
            break;
          case 'error': {
            const e = ev.error;
            if (e.kind === 'user') throw relabelOption(new UserError(e.message, e.where, e.fix));
            const err = new Error(e.message);
            err.stack = e.stack ?? err.stack;
            throw err;
          }
          case 'done':
            done = ev;
            break;
        }
      }
    } finally {
      process.off('SIGINT', onSigint);
      await new Promise<void>((r) => metrics.end(() => r()));
    }
    const finished = done as Extract<TrainEvent, { type: 'done' }> | null;
    if (!finished) throw new Error('fineTune() ended without a done event');
    const trainSec = (performance.now() - t0) / 1000;
    if (finished.reason === 'aborted') {
      cli.log(`stopped at step ${finished.step}; the checkpoint is in ${join(out, RUN_ID, 'checkpoints')}. Continue with: npx finetune train --resume ${out}`);
      process.exitCode = 130;
      return;
    }
    if (finished.restoredBest) cli.log(`restored the best weights (${finished.best?.metric} ${finished.best?.value.toFixed(4)} at step ${finished.best?.step})`);

    const files = await saveTrained(p.model, out);
    // the run is complete: its checkpoints (weights, optimizer moments and average, 4× the model each) are not needed
    await rm(join(out, RUN_ID), { recursive: true, force: true });
    cli.log(`wrote ${files.join(', ')}, metrics.jsonl and run.json to ${out}`);

    let test: EvalResult | null = null;
    const testPath = str(opts, 'test');
    if (testPath) {
      const pool = config.mode === 'head' && threads > 1 ? await testPool(p.model, threads, cli) : null;
      try {
        test = await evaluateOn(p.model, testPath, '--test', opts, cli, p.maxLength, 64, pool?.extract, config.multilabelThreshold);
      } finally {
        await pool?.close();
      }
    }

    const result = {
      out,
      reason: finished.reason,
      steps: finished.step,
      epochs: finished.epoch,
      trainSeconds: round(trainSec),
      best: finished.best,
      restoredBest: finished.restoredBest,
      ...(finished.final ? { validation: finished.final.scalars } : {}),
      ...(test ? { test: test.scalars } : {}),
      metrics: (test ?? finished.final)?.scalars ?? null,
    };
    await writeFile(join(out, 'run.json'), JSON.stringify({ ...runJson, finishedAt: new Date().toISOString(), result }, null, 2));
    cli.out(JSON.stringify(result));
  } catch (e) {
    if (e instanceof UserError) throw relabelOption(e);
    throw e;
  } finally {
    p.model.dispose();
  }
}

const RUN_ID = 'run';

/** The model once more (a fold of cross-validation starts from the pre-trained weights). */
async function loadTokenized(spec: string, opts: ParsedOptions, hubEndpoint: string | undefined): Promise<{ encoder: Encoder; tokenizer: TextTokenizer }> {
  const m = await loadBase(spec, { dropout: num(opts, 'dropout') ?? 0.1, hubEndpoint, revision: str(opts, 'revision') });
  return { encoder: m.encoder, tokenizer: m.tokenizer! };
}

/** On resume, the events the interrupted process logged after its last checkpoint are dropped (they are replayed). */
async function keepMetricsUpTo(path: string, step: number): Promise<void> {
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
async function loadRunData(opts: ParsedOptions, cli: Cli, seed: number, valSplit: number): Promise<RunData & { mapping: ColumnMapping }> {
  const dataPath = str(opts, 'data')!;
  const trainData = await loadExamples(dataPath, '--data', opts, cli);
  const task = trainData.mapping.task as TaskName;
  const evalPath = str(opts, 'eval');
  const labels = trainData.mapped.labels;
  if (evalPath) {
    const ev = await loadExamples(evalPath, '--eval', opts, cli, task);
    const unknown = ev.mapped.labels.filter((l) => !labels.includes(l));
    if (task !== 'regression' && unknown.length) {
      throw new UserError(`label${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((l) => JSON.stringify(l)).join(', ')} of the validation file never occur in the training file`, { file: evalPath, column: trainData.mapping.label?.join(',') }, 'train and validation files must use the same label names');
    }
    const train = usableRecords(trainData.mapped.records).map(toExample);
    const validation = usableRecords(ev.mapped.records).map(toExample);
    return { train, validation, labels: task === 'regression' ? [] : labels, task, mapping: trainData.mapping, source: { train: dataPath, validation: evalPath } };
  }
  const split = trainData.mapping.split ? { mode: 'column' as const } : { mode: 'ratio' as const, ratios: { train: 1 - valSplit, validation: valSplit, test: 0 }, seed, stratify: true };
  const ld = withFlags(() => buildLabeledData(trainData.mapped.records, trainData.mapping, labels, split, { seed }));
  cli.log(`held out ${ld.validation.length} of ${ld.train.length + ld.validation.length} rows of ${dataPath} for validation (--val-split ${valSplit}, seed ${seed})`);
  return { train: ld.train, validation: ld.validation, labels: task === 'regression' ? [] : ld.labels, task, mapping: trainData.mapping, source: { train: dataPath, validation: `${dataPath} (held out)` } };
}

/** Head-only mode: threads that compute the encoder's features for the test pass, or undefined for one thread. */
async function testPool(model: TaskModel, threads: number, cli: Cli): Promise<FeaturePool | null> {
  try {
    return await createNodeFeaturePool(model, threads, (done, total) => cli.progress.update({ label: 'test features', done, total }));
  } catch (e) {
    cli.log(`computing test features in one thread: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

export { runTrain as run };
