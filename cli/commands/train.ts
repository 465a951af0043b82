// finetune train: data files -> engine data pipeline -> model -> fineTune() events -> progress on stderr, every event
// in OUT/metrics.jsonl, the trained model in Hugging Face layout in OUT, and the final metrics as the last stdout line.
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import type { TaskModel } from '../../lib/models/types';
import type { RunConfig } from '../../lib/run/config';
import { modeOf, trainConfigOf } from '../../lib/run/engine-config';
import { estimateRun } from '../../lib/run/estimate';
import { dataFacts, modelFacts } from '../../lib/run/facts';
import { lastCheckpoint } from '../../lib/run/fingerprint';
import { prepareRun, trainRun, type PreparedRun } from '../../lib/run/train-run';
import { FsStore } from '../../lib/store/fs-store';
import type { EvalResult } from '../../lib/train/events';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { createNodeFeaturePool, threadsPort, type FeaturePool } from '../threads';
import { loadBase, saveTrained } from '../models';
import { hubEndpointFrom, parseMode, relabelOption, runConfigFrom } from '../options';
import { estimateLine, follow, interruptible } from '../train/follow';
import { keepMetricsUpTo, loadRunData, loadTokenized, resolveArgs, RUN_ID, savedArgs, writeRunJson } from '../train/inputs';
import { evaluateOn } from './eval';
import { crossValidateCli } from './train-folds';

async function runTrain(given: ParsedOptions, cli: Cli): Promise<void> {
  const { opts, saved } = await resolveArgs(given);
  const out = resolve(str(opts, 'out') ?? '.');
  const store = new FsStore(out);
  const resumeFrom = saved ? await lastCheckpoint(store, RUN_ID) : undefined;
  if (saved && !resumeFrom)
    throw new UserError(
      `no checkpoint in ${join(out, RUN_ID, 'checkpoints')} to resume from`,
      { option: '--resume' },
      'start the run again: full, freeze and LoRA runs write one every quarter epoch, head-only runs on Ctrl-C',
    );
  const modelSpec = str(opts, 'model') ?? 'use-lite';
  const hubEndpoint = hubEndpointFrom(opts);
  if (str(opts, 'mode') !== undefined) parseMode(str(opts, 'mode')!, opts); // a bad --mode fails before any loading
  const threads = threadsPort(num(opts, 'threads'));
  if (num(opts, 'folds') !== undefined) {
    for (const o of ['eval', 'test', 'dry-run'])
      if (opts[o] !== undefined)
        throw new UserError(
          `--folds validates on each fold in turn, so --${o} does not apply`,
          { option: `--${o}` },
          `leave out --${o}, or train without --folds`,
        );
  }
  const valSplit = num(opts, 'val-split') ?? 0.1;
  if (valSplit >= 1)
    throw new UserError(`--val-split ${valSplit} leaves nothing to train on`, { option: '--val-split' }, 'use a share below 1, e.g. 0.1');
  const data = await loadRunData(opts, cli, num(opts, 'seed') ?? 42, valSplit);

  cli.log(`loading model ${modelSpec}`);
  const onProgress = (file: string, loaded: number, total: number) =>
    cli.progress.update({ label: `download ${file}`, done: loaded, total });
  const base = await loadBase(modelSpec, {
    dropout: num(opts, 'dropout') ?? 0.1,
    hubEndpoint,
    revision: str(opts, 'revision'),
    onProgress,
  });
  const tokenizer = base.tokenizer;
  if (!tokenizer) {
    base.encoder.dispose();
    throw new UserError(
      'the model has no tokenizer files',
      { file: modelSpec, option: '--model' },
      'use a model folder with tokenizer.json (or vocab.txt + tokenizer_config.json)',
    );
  }
  let config: RunConfig;
  let p: PreparedRun;
  try {
    config = saved
      ? saved.run
      : runConfigFrom(opts, { ...modelFacts(base.encoder, tokenizer), ...dataFacts(data.train, data.labels, data.task, tokenizer) });
    if (resumeFrom) cli.log(`resuming ${out} from its checkpoint at step ${resumeFrom.step} (epoch ${resumeFrom.epoch + 1})`);
    else if (config.recipe)
      cli.log(
        `recipe ${config.recipe.title}${config.preset ? '' : ' with your options'} (${config.recipe.source}):${config.recipe.why.map((w) => `\n  ${w}`).join('')}`,
      );
    const folds = num(opts, 'folds');
    if (folds !== undefined) {
      const open = async (fold: number) =>
        fold === 0 ? { encoder: base.encoder, tokenizer } : loadTokenized(modelSpec, opts, hubEndpoint);
      return await crossValidateCli(config, data, folds, open, { out, threads, cli });
    }
    p = prepareRun(config, data, { encoder: base.encoder, tokenizer });
  } catch (e) {
    base.encoder.dispose();
    throw e instanceof UserError ? relabelOption(e) : e;
  }
  const counts = p.model.paramCounts();
  cli.log(
    `model ${base.source}: ${p.model.encoder.arch}, mode ${config.mode}, ${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters train`,
  );

  try {
    if (opts['dry-run'] === true) {
      const est = await estimateRun(config, p, threads);
      cli.log(estimateLine(est));
      return cli.out(JSON.stringify({ dryRun: true, estimate: est, run: config }));
    }
    const runJson = {
      command: 'finetune train',
      args: savedArgs(opts),
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
    await writeRunJson(out, runJson);
    if (resumeFrom) await keepMetricsUpTo(join(out, 'metrics.jsonl'), resumeFrom.step);
    const metrics = createWriteStream(join(out, 'metrics.jsonl'), { flags: resumeFrom ? 'a' : 'w' });
    const stop = interruptible(cli);
    const onFeatureProgress = (done: number, total: number) => cli.progress.update({ label: 'encoder features', done, total });
    const t0 = performance.now();
    let finished;
    try {
      finished = await follow(
        trainRun(config, p, { signal: stop.signal, runId: RUN_ID, store, resumeFrom: resumeFrom ?? undefined, threads, onFeatureProgress }),
        cli,
        metrics,
      );
    } finally {
      stop.release();
      await new Promise<void>((r) => metrics.end(() => r()));
    }
    const trainSec = (performance.now() - t0) / 1000;
    if (finished.reason === 'aborted') {
      cli.log(
        `stopped at step ${finished.step}; the checkpoint is in ${join(out, RUN_ID, 'checkpoints')}. Continue with: npx finetune train --resume ${out}`,
      );
      process.exitCode = 130;
      return;
    }
    if (finished.restoredBest)
      cli.log(`restored the best weights (${finished.best?.metric} ${finished.best?.value.toFixed(4)} at step ${finished.best?.step})`);
    const files = await saveTrained(p.model, out);
    // the run is complete: its checkpoints (weights, optimizer moments and average, 4× the model each) are not needed
    await rm(join(out, RUN_ID), { recursive: true, force: true });
    cli.log(`wrote ${files.join(', ')}, metrics.jsonl and run.json to ${out}`);
    const testPath = str(opts, 'test');
    const test = testPath ? await testOn(p.model, testPath, config, opts, cli, p.maxLength, threads.threads) : null;
    const result = {
      out,
      reason: finished.reason,
      steps: finished.step,
      epochs: finished.epoch,
      trainSeconds: Math.round(trainSec * 100) / 100,
      best: finished.best,
      restoredBest: finished.restoredBest,
      ...(finished.final ? { validation: finished.final.scalars } : {}),
      ...(test ? { test: test.scalars } : {}),
      metrics: (test ?? finished.final)?.scalars ?? null,
    };
    await writeFile(join(out, 'run.json'), JSON.stringify({ ...runJson, finishedAt: new Date().toISOString(), result }, null, 2));
    cli.out(JSON.stringify(result));
  } catch (e) {
    throw e instanceof UserError ? relabelOption(e) : e;
  } finally {
    p.model.dispose();
  }
}

/** --test: the trained model on the test file, the encoder's features computed on the pool threads (each opens the
 *  trained weights; the head runs here), in every mode. */
async function testOn(
  model: TaskModel,
  path: string,
  config: RunConfig,
  opts: ParsedOptions,
  cli: Cli,
  maxLength: number,
  threads: number,
): Promise<EvalResult> {
  let pool: FeaturePool | null = null;
  if (threads > 1) {
    try {
      pool = await createNodeFeaturePool(model, threads, (done, total) => cli.progress.update({ label: 'test features', done, total }));
    } catch (e) {
      cli.log(`computing test features in one thread: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  try {
    return await evaluateOn(model, path, '--test', opts, cli, maxLength, 64, pool?.extract, config.multilabelThreshold);
  } finally {
    await pool?.close();
  }
}

export { runTrain as run };
