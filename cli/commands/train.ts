// finetune train: data files -> engine data pipeline -> model -> fineTune() events -> progress on stderr, every event
// in OUT/metrics.jsonl, the trained model in Hugging Face layout in OUT, and the final metrics as the last stdout line.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import { buildLabeledData, toExample, usableRecords } from '../../lib/data/labeled';
import type { Example } from '../../lib/data/types';
import { createTaskModel } from '../../lib/models/task-model';
import type { TaskModel } from '../../lib/models/types';
import { encodeExamples } from '../../lib/train/encode';
import { fineTune } from '../../lib/train/fine-tune';
import type { EvalResult, TrainEvent } from '../../lib/train/events';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { loadTable, mapTable, mappingFor, withFlags } from '../data';
import { loadBase, saveTrained } from '../models';
import { hubEndpointFrom, parseMode, relabelOption, trainConfigFrom } from '../options';
import { createNodeFeaturePool, defaultThreads, type FeaturePool } from '../feature-pool';
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
  const mode = parseMode(str(opts, 'mode') ?? 'full', opts);
  const seed = num(opts, 'seed') ?? 42;
  const maxLength = num(opts, 'max-length') ?? 128;
  const config = trainConfigFrom(opts);
  if (num(opts, 'lr') === undefined) config.learningRate = mode.kind === 'head' || mode.kind === 'lora' ? 1e-3 : 5e-5;
  const valSplit = num(opts, 'val-split') ?? 0.1;
  if (valSplit >= 1) throw new UserError(`--val-split ${valSplit} leaves nothing to train on`, { option: '--val-split' }, 'use a share below 1, e.g. 0.1');

  // data
  const trainData = await loadExamples(str(opts, 'data')!, '--data', opts, cli);
  const task = trainData.mapping.task as TaskName;
  let labels = trainData.mapped.labels;
  let trainExamples: Example[];
  let valExamples: Example[];
  const evalPath = str(opts, 'eval');
  if (evalPath) {
    trainExamples = usableRecords(trainData.mapped.records).map(toExample);
    const ev = await loadExamples(evalPath, '--eval', opts, cli, task);
    valExamples = usableRecords(ev.mapped.records).map(toExample);
    const unknown = ev.mapped.labels.filter((l) => !labels.includes(l));
    if (task !== 'regression' && unknown.length) {
      throw new UserError(`label${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((l) => JSON.stringify(l)).join(', ')} of the validation file never occur in the training file`, { file: evalPath, column: trainData.mapping.label?.join(',') }, 'train and validation files must use the same label names');
    }
  } else {
    const split = trainData.mapping.split ? { mode: 'column' as const } : { mode: 'ratio' as const, ratios: { train: 1 - valSplit, validation: valSplit, test: 0 }, seed, stratify: true };
    const ld = withFlags(() => buildLabeledData(trainData.mapped.records, trainData.mapping, labels, split, { seed }));
    trainExamples = ld.train;
    valExamples = ld.validation;
    labels = ld.labels;
    cli.log(`held out ${valExamples.length} of ${trainExamples.length + valExamples.length} rows of ${str(opts, 'data')} for validation (--val-split ${valSplit}, seed ${seed})`);
  }
  if (task === 'regression') labels = [];

  // model
  cli.log(`loading model ${modelSpec}`);
  const base = await loadBase(modelSpec, { dropout: num(opts, 'dropout'), hubEndpoint, revision: str(opts, 'revision'), onProgress: (file, loaded, total) => cli.progress.update({ label: `download ${file}`, done: loaded, total }) });
  if (!base.tokenizer) {
    base.encoder.dispose();
    throw new UserError('the model has no tokenizer files', { file: modelSpec, option: '--model' }, 'use a model folder with tokenizer.json (or vocab.txt + tokenizer_config.json)');
  }
  const tokenizer = base.tokenizer;
  let model: TaskModel;
  let pool: FeaturePool | null = null;
  try {
    model = createTaskModel({ encoder: base.encoder, tokenizer, task, labels, mode, seed, classifierDropout: num(opts, 'dropout') });
  } catch (e) {
    base.encoder.dispose();
    throw e instanceof UserError ? relabelOption(e) : e;
  }
  const counts = model.paramCounts();
  cli.log(`model ${base.source}: ${model.encoder.arch}, mode ${mode.kind}, ${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters train`);

  try {
    const maxLen = Math.min(maxLength, tokenizer.modelMaxLength);
    const encode = (ex: Example[], file: string) => {
      try {
        return encodeExamples(tokenizer, ex, labels, maxLen, task);
      } catch (e) {
        if (e instanceof UserError) (e.where as { file?: string }).file = file;
        throw e;
      }
    };
    const data = { train: encode(trainExamples, str(opts, 'data')!), validation: encode(valExamples, evalPath ?? `${str(opts, 'data')} (held out)`) };

    await mkdir(out, { recursive: true });
    const runJson = {
      command: 'finetune train',
      args: Object.fromEntries(Object.entries(opts).filter(([k]) => k !== 'help')),
      model: modelSpec,
      arch: model.encoder.arch,
      mode,
      task,
      labels,
      mapping: trainData.mapping,
      maxLength: maxLen,
      trainExamples: data.train.length,
      validationExamples: data.validation.length,
      config,
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
    pool = mode.kind === 'head' ? await startFeaturePool(model, num(opts, 'threads') ?? defaultThreads(), cli) : null;
    const t0 = performance.now();
    let done: Extract<TrainEvent, { type: 'done' }> | null = null;
    let totalSteps = 0;
    let epochs = config.epochs;
    try {
      for await (const ev of fineTune(model, data, config, { signal: abort.signal, runId: 'run', featureExtractor: pool?.extract })) {
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

    const files = await saveTrained(model, out);
    cli.log(`wrote ${files.join(', ')}, metrics.jsonl and run.json to ${out}`);

    let test: EvalResult | null = null;
    const testPath = str(opts, 'test');
    if (testPath) test = await evaluateOn(model, testPath, '--test', opts, cli, maxLen, 64, pool?.extract);

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
    await pool?.close();
    model.dispose();
  }
}

/** Head-only mode: the pool of threads that compute the encoder's features, or null to compute them in this thread
 *  (one thread asked for, or the workers could not start: said on stderr, the run goes on). */
async function startFeaturePool(model: TaskModel, threads: number, cli: Cli): Promise<FeaturePool | null> {
  if (threads <= 1) return null;
  try {
    const pool = await createNodeFeaturePool(model, threads, (done, total) => cli.progress.update({ label: 'encoder features', done, total }));
    cli.log(`computing encoder features on ${pool.threads} threads`);
    return pool;
  } catch (e) {
    cli.log(`computing encoder features in one thread: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

export { runTrain as run };
