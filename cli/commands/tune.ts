// finetune tune: the train command's data, model and recipe, then lib/run/tune.ts searches around the recipe within
// --budget minutes on the validation split only, trains the winner for the full length and writes it to OUT like
// `finetune train` does (model, run.json, model card) plus tune.json (the plan, every trial, the gain over the
// recipe), rewritten after each trial so a stopped tune keeps what it finished. Arguments and printing only.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { UserError } from '../../lib/errors';
import { FsStore } from '../../lib/store/fs-store';
import type { RunConfig } from '../../lib/run/config';
import { estimateRun } from '../../lib/run/estimate';
import { dataFacts, modelFacts, vocabularyWarning } from '../../lib/run/facts';
import { prepareRun } from '../../lib/run/train-run';
import { comparisonText, formatDuration, planParts } from '../../lib/run/duration';
import { planTune, rungLength, tuneRun, type TrialResult, type TuneCandidate, type TuneEvent } from '../../lib/run/tune';
import { relabelOption, runConfigFrom } from '../options';
import { interruptible, recipeLines, stopExitCode } from '../train/follow';
import { loadRunData, loadTokenized, openBase, trainArgs } from '../train/inputs';
import { finishRunJson, saveModel, startRunJson, writeModelCard } from '../train/output';
import { testOn } from '../train/test-file';
import { refuseUsedOut } from '../train/resume';

const describe = (t: TrialResult, c: TuneCandidate, metric: string) =>
  `trial ${c.id} (${c.changes}), ${rungLength(t)}: ` + `${metric} ${t.score.toFixed(4)} in ${Math.round(t.seconds)} s`;

export async function run(opts: ParsedOptions, cli: Cli): Promise<void> {
  const out = resolve(str(opts, 'out')!);
  await refuseUsedOut(out);
  const budgetSec = (num(opts, 'budget') ?? 30) * 60;
  const { modelSpec, hubEndpoint, threads, valSplit } = trainArgs(opts);
  const seed = num(opts, 'seed') ?? 42;
  const data = await loadRunData(opts, cli, seed, valSplit);
  const first = await openBase(modelSpec, opts, hubEndpoint, cli);
  let config: RunConfig;
  let epochSec: number;
  let pairSec = 0;
  let trialSec = 0;
  try {
    const facts = {
      ...modelFacts(first.encoder, first.tokenizer),
      ...dataFacts(data.train, data.labels, data.task, first.tokenizer, data.validation.length),
    };
    config = runConfigFrom(opts, facts);
    if (config.recipe) cli.log(recipeLines(config.recipe, config.preset));
    const unreadable = vocabularyWarning(facts);
    if (unreadable) cli.log(`warning: ${unreadable}`);
    // each trial prepares its model and data again: timed here, it counts against the budget per trial
    const t0 = performance.now();
    const p = prepareRun(config, data, first);
    trialSec = (performance.now() - t0) / 1000;
    try {
      const est = await estimateRun(config, p, threads);
      // the contrastive pairs phase (head only) runs once, in the first trial
      epochSec = (est.seconds - (est.pairSec ?? 0)) / Math.max(1, config.epochs);
      pairSec = est.pairSec ?? 0;
    } finally {
      p.model.dispose();
    }
  } catch (e) {
    throw e instanceof UserError ? relabelOption(e) : e;
  }
  let plan;
  try {
    plan = { ...planTune(config, budgetSec, epochSec, seed, pairSec, trialSec), epochSec };
  } catch (e) {
    if (e instanceof UserError && e.where.option === 'budget') (e.where as { option?: string }).option = '--budget';
    throw e;
  }
  await mkdir(out, { recursive: true });
  const stop = interruptible(cli);
  const tuneJson: Record<string, unknown> = { budgetMinutes: budgetSec / 60, recipe: config, trials: [] };
  const saveTune = () => writeFile(join(out, 'tune.json'), JSON.stringify(tuneJson, null, 2));
  let done: Extract<TuneEvent, { type: 'tune-done' }> | null = null;
  // the tune's progress in optimizer steps: the plan's epochs × one epoch's steps (big data: the recipe's steps); each
  // trial adds the steps from where its candidate's run stood
  const steps = { total: 0, base: 0, from: 0, last: 0, plannedEpochs: 0 };
  // each candidate's run waits here between rungs (its last checkpoint); removed when the tune ends
  const trialsDir = join(out, 'trials');
  try {
    const open = () => loadTokenized(modelSpec, opts, hubEndpoint);
    for await (const ev of tuneRun(config, data, plan, { open, threads, signal: stop.signal, store: new FsStore(trialsDir) })) {
      if (ev.type === 'tune-plan') {
        steps.plannedEpochs = ev.plannedEpochs;
        cli.log(planLine(ev, budgetSec));
        Object.assign(tuneJson, {
          metric: ev.metric,
          candidates: ev.candidates.map((c) => ({ id: c.id, changes: c.changes })),
          rungs: ev.rungs,
        });
        await saveTune();
      } else if (ev.type === 'trial-event' && ev.event.type === 'start') {
        steps.total ||= Math.round(steps.plannedEpochs * (config.maxSteps ?? ev.event.stepsPerEpoch));
        steps.from = steps.last = ev.event.resumedFromStep ?? 0;
      } else if (ev.type === 'trial-event' && ev.event.type === 'status' && ev.event.phase === 'pairs') {
        cli.log(ev.event.message); // the contrastive pairs phase, once, in the first trial
      } else if (ev.type === 'trial-event' && ev.event.type === 'step') {
        // one label for the whole tune, so the ETA is the tune's (from its rate so far), not the trial's
        steps.last = ev.event.step;
        cli.progress.update({
          label: 'tune',
          done: steps.base + ev.event.step - steps.from,
          total: steps.total,
          samplesPerSec: ev.event.samplesPerSec,
          detail: `trial ${ev.candidate} (rung ${ev.rung + 1}): step ${ev.event.step} of ${ev.event.totalSteps}`,
        });
      } else if (ev.type === 'trial-done') {
        steps.base += steps.last - steps.from;
        cli.log(describe(ev.result, plan.candidates[ev.result.candidate], String(tuneJson.metric)));
        (tuneJson.trials as TrialResult[]).push(ev.result);
        await saveTune();
      } else if (ev.type === 'tune-done') done = ev;
    }
  } finally {
    stop.release();
    await rm(trialsDir, { recursive: true, force: true });
  }
  if (!done?.model || !done.winner || !done.data || done.aborted) {
    done?.model?.dispose();
    cli.log(`stopped: the finished trials are in ${join(out, 'tune.json')}`);
    process.exitCode = stopExitCode();
    return;
  }
  const { model, winner } = done;
  try {
    const cmp = done.comparison;
    const gain = cmp ? cmp.winnerScore - cmp.recipeScore : null;
    const summary = {
      metric: done.metric,
      winner: winner.changes,
      winnerScore: done.winnerScore,
      recipeScore: done.recipeScore,
      gain,
      ...(cmp ? { comparedAt: rungLength(cmp), comparedAtFullLength: done.recipeScore !== null } : {}),
    };
    Object.assign(tuneJson, { ...summary, winnerConfig: winner.config });
    await saveTune();
    cli.log(
      `winner: trial ${winner.id} (${winner.changes}), ${done.metric} ${done.winnerScore?.toFixed(4)}` +
        (cmp ? `; ${comparisonText(cmp, done.recipeScore !== null)}` : ''),
    );
    const p = { model, data: done.data, labels: data.labels, maxLength: done.maxLength };
    const runJson = await startRunJson(out, opts, modelSpec, winner.config, p, data.mapping);
    await saveModel(model, out);
    const testPath = str(opts, 'test');
    const test = testPath ? await testOn(model, testPath, winner.config, opts, cli, done.maxLength, threads.threads) : null;
    const trainSec = done.trials.reduce((s, t) => s + t.seconds, 0);
    const finished = {
      type: 'done' as const,
      reason: 'completed' as const,
      step: 0,
      epoch: winner.config.epochs,
      final: done.final,
      best: null,
      restoredBest: true,
      history: [],
    };
    const result = await finishRunJson(out, runJson, finished, trainSec, test);
    await writeModelCard(out, model);
    cli.out(JSON.stringify({ ...result, tune: { ...summary, trials: done.trials.length } }));
  } finally {
    model.dispose();
  }
}

function planLine(ev: Extract<TuneEvent, { type: 'tune-plan' }>, budgetSec: number): string {
  const epoch = ev.epochSec < 10 ? ev.epochSec.toFixed(2) : Math.round(ev.epochSec);
  return (
    `tuning ${ev.candidates.length} candidates on the validation split by ${ev.metric} ` +
    `(about ${formatDuration(ev.plannedSec)} of ${formatDuration(budgetSec)}; one epoch ≈ ${epoch} s):\n` +
    planParts(ev.rungs, ev.compare)
      .map((part, i) => `  rung ${i + 1}: ${part}`)
      .join('\n')
  );
}
