// finetune train: data files -> engine data pipeline -> model -> fineTune() events -> progress on stderr, every event
// in OUT/metrics.jsonl, the trained model in Hugging Face layout in OUT, and the final metrics as the last stdout line.
// This file is the arguments and what is printed; each step it takes lives in cli/train/ or lib/run/.
import { resolve } from 'node:path';
import { labeledTextOf, scoreWordBaseline } from '../../lib/baseline/tfidf';
import type { Example } from '../../lib/data/types';
import { UserError } from '../../lib/errors';
import type { RunConfig } from '../../lib/run/config';
import { estimateRun } from '../../lib/run/estimate';
import { dataFacts, modelFacts, vocabularyWarning } from '../../lib/run/facts';
import { freshStartNote, prepareRun, wordBaselineOf, type PreparedRun } from '../../lib/run/train-run';
import { FsStore } from '../../lib/store/fs-store';
import type { EvalResult } from '../../lib/train/events';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { relabelOption, runConfigFrom } from '../options';
import { estimateLine, modelLine, recipeLines, stopExitCode, stoppedLine, trainFollowed } from '../train/follow';
import { loadRunData, loadTokenized, openBase, trainArgs } from '../train/inputs';
import { finishRunJson, saveModel, startRunJson, writeModelCard } from '../train/output';
import { refuseUsedOut, resolveArgs, resumePoint } from '../train/resume';
import { testOn } from '../train/test-file';
import { crossValidateCli } from './train-folds';

async function runTrain(given: ParsedOptions, cli: Cli): Promise<void> {
  const { opts, saved } = await resolveArgs(given);
  const out = resolve(str(opts, 'out') ?? '.');
  const store = new FsStore(out);
  if (!saved && opts['dry-run'] !== true) await refuseUsedOut(out);
  const resumeFrom = await resumePoint(store, out, saved);
  const { modelSpec, hubEndpoint, threads, folds, valSplit } = trainArgs(opts);
  const data = await loadRunData(opts, cli, num(opts, 'seed') ?? 42, valSplit);
  const { encoder, tokenizer, source, head } = await openBase(modelSpec, opts, hubEndpoint, cli);
  let config: RunConfig;
  let p: PreparedRun;
  try {
    const facts = saved
      ? null
      : { ...modelFacts(encoder, tokenizer), ...dataFacts(data.train, data.labels, data.task, tokenizer, data.validation.length) };
    config = saved ? saved.run : runConfigFrom(opts, facts!);
    if (resumeFrom) cli.log(`resuming ${out} from its checkpoint at step ${resumeFrom.step} (epoch ${resumeFrom.epoch + 1})`);
    else if (config.recipe) cli.log(recipeLines(config.recipe, config.preset));
    const unreadable = facts && vocabularyWarning(facts);
    if (unreadable) cli.log(`warning: ${unreadable}`);
    if (folds !== undefined) {
      const open = async (fold: number) => (fold === 0 ? { encoder, tokenizer } : loadTokenized(modelSpec, opts, hubEndpoint));
      return await crossValidateCli(config, data, folds, open, { out, threads, cli });
    }
    p = prepareRun(config, data, { encoder, tokenizer, head });
    if (head && !resumeFrom) cli.log(freshStartNote(p.headReused === true).toLowerCase());
  } catch (e) {
    encoder.dispose();
    throw e instanceof UserError ? relabelOption(e) : e;
  }
  cli.log(modelLine(source, p, config));
  try {
    if (opts['dry-run'] === true) {
      const est = await estimateRun(config, p, threads, { wordBaseline: true });
      cli.log(estimateLine(est));
      return cli.out(JSON.stringify({ dryRun: true, estimate: est, run: config }));
    }
    const runJson = await startRunJson(out, opts, modelSpec, config, p, data.mapping);
    const { finished, trainSec } = await trainFollowed(config, p, { out, store, resumeFrom, threads, cli });
    if (finished.reason === 'aborted') {
      cli.log(stoppedLine(finished.step, out));
      process.exitCode = stopExitCode();
      return;
    }
    if (finished.restoredBest)
      cli.log(`restored the best weights (${finished.best?.metric} ${finished.best?.value.toFixed(4)} at step ${finished.best?.step})`);
    const files = await saveModel(p.model, out);
    cli.log(`wrote ${files.join(', ')}, metrics.jsonl and run.json to ${out}`);
    const testPath = str(opts, 'test');
    let testRows: Example[] = [];
    const test = testPath
      ? await testOn(p.model, testPath, config, opts, cli, p.maxLength, threads.threads, (ex) => (testRows = ex))
      : null;
    const testBaseline = test && p.baselineInput ? testBaselineOf(p, testRows, test, cli) : undefined;
    const result = await finishRunJson(out, runJson, finished, trainSec, test, testBaseline);
    await writeModelCard(out, p.model);
    cli.log(`wrote the model card, ${out}/README.md`);
    cli.out(JSON.stringify(result));
  } catch (e) {
    throw e instanceof UserError ? relabelOption(e) : e;
  } finally {
    p.model.dispose();
  }
}

/** The word-count baseline on the test file: the one the run fitted for its validation line, with a line that sets
 *  it beside the model's test accuracy. */
function testBaselineOf(p: PreparedRun, rows: Example[], test: EvalResult, cli: Cli): { accuracy: number; macroF1: number } {
  const b = scoreWordBaseline(wordBaselineOf(p)!, rows.map(labeledTextOf));
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const model = test.classification?.accuracy;
  cli.log(
    `test: word-count baseline (TF-IDF + logistic regression) ${pct(b.accuracy)} accuracy, macro-F1 ${b.macroF1.toFixed(3)}` +
      (model === undefined ? '' : `; the model ${pct(model)}, ${model >= b.accuracy ? 'above' : 'below'} it`),
  );
  return { accuracy: b.accuracy, macroF1: b.macroF1 };
}

export { runTrain as run };
