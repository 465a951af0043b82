// finetune train: data files -> engine data pipeline -> model -> fineTune() events -> progress on stderr, every event
// in OUT/metrics.jsonl, the trained model in Hugging Face layout in OUT, and the final metrics as the last stdout line.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import { buildLabeledData, toExample, usableRecords } from '../../lib/data/labeled';
import type { ColumnMapping } from '../../lib/data/types';
import type { TaskModel } from '../../lib/models/types';
import type { RunConfig } from '../../lib/run/config';
import { modeOf, trainConfigOf } from '../../lib/run/engine-config';
import { dataFacts, modelFacts } from '../../lib/run/facts';
import { prepareRun, trainRun, type PreparedRun, type RunData } from '../../lib/run/train-run';
import type { EvalResult, TrainEvent } from '../../lib/train/events';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { loadTable, mapTable, mappingFor, withFlags } from '../data';
import { loadBase, saveTrained } from '../models';
import { hubEndpointFrom, parseMode, relabelOption, runConfigFrom } from '../options';
import { createNodeFeaturePool, defaultThreads, startNodeWorker, type FeaturePool } from '../feature-pool';
import { evaluateOn, scalarsLine } from './eval';

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

async function runTrain(opts: ParsedOptions, cli: Cli): Promise<void> {
  const out = resolve(str(opts, 'out')!);
  const modelSpec = str(opts, 'model') ?? 'use-lite';
  const hubEndpoint = hubEndpointFrom(opts);
  if (str(opts, 'mode') !== undefined) parseMode(str(opts, 'mode')!, opts); // a bad --mode fails before any loading
  const seed = num(opts, 'seed') ?? 42;
  const valSplit = num(opts, 'val-split') ?? 0.1;
  if (valSplit >= 1) throw new UserError(`--val-split ${valSplit} leaves nothing to train on`, { option: '--val-split' }, 'use a share below 1, e.g. 0.1');
  const data = await loadRunData(opts, cli, seed, valSplit);

  cli.log(`loading model ${modelSpec}`);
  const base = await loadBase(modelSpec, { dropout: num(opts, 'dropout') ?? 0.1, hubEndpoint, revision: str(opts, 'revision'), onProgress: (file, loaded, total) => cli.progress.update({ label: `download ${file}`, done: loaded, total }) });
  if (!base.tokenizer) {
    base.encoder.dispose();
    throw new UserError('the model has no tokenizer files', { file: modelSpec, option: '--model' }, 'use a model folder with tokenizer.json (or vocab.txt + tokenizer_config.json)');
  }
  let config: RunConfig;
  let p: PreparedRun;
  try {
    config = runConfigFrom(opts, { ...modelFacts(base.encoder, base.tokenizer), ...dataFacts(data.train, data.labels, data.task, base.tokenizer) });
    if (config.recipe) cli.log(`recipe ${config.recipe.title}${config.preset ? '' : ' with your options'} (${config.recipe.source}):${config.recipe.why.map((w) => `\n  ${w}`).join('')}`);
    p = prepareRun(config, data, { encoder: base.encoder, tokenizer: base.tokenizer });
  } catch (e) {
    base.encoder.dispose();
    throw e instanceof UserError ? relabelOption(e) : e;
  }
  const counts = p.model.paramCounts();
  cli.log(`model ${base.source}: ${p.model.encoder.arch}, mode ${config.mode}, ${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters train`);

  try {
    await mkdir(out, { recursive: true });
    const runJson = {
      command: 'finetune train',
      args: Object.fromEntries(Object.entries(opts).filter(([k]) => k !== 'help')),
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
    const metrics = createWriteStream(join(out, 'metrics.jsonl'));

    const abort = new AbortController();
    const onSigint = () => {
      cli.log('stopping after this step (Ctrl-C again to quit at once)');
      abort.abort();
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', onSigint);
    const threads = num(opts, 'threads') ?? defaultThreads();
    const ports = {
      signal: abort.signal,
      runId: 'run',
      threads: { threads, start: startNodeWorker, backend: { preference: 'wasm' as const } },
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
    if (finished.restoredBest) cli.log(`restored the best weights (${finished.best?.metric} ${finished.best?.value.toFixed(4)} at step ${finished.best?.step})`);

    const files = await saveTrained(p.model, out);
    cli.log(`wrote ${files.join(', ')}, metrics.jsonl and run.json to ${out}`);

    let test: EvalResult | null = null;
    const testPath = str(opts, 'test');
    if (testPath) {
      const pool = config.mode === 'head' && threads > 1 ? await testPool(p.model, threads, cli) : null;
      try {
        test = await evaluateOn(p.model, testPath, '--test', opts, cli, p.maxLength, 64, pool?.extract);
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
