// finetune train's view of a run: every engine event to OUT/metrics.jsonl (cut back to the checkpoint on resume),
// progress and messages on stderr, Ctrl-C as "stop after this step" (a second Ctrl-C quits at once), and the lines
// train prints about a run: its recipe, its model, the estimate of --dry-run, where a stopped run's checkpoint is.
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../lib/errors';
import type { RunConfig } from '../../lib/run/config';
import { formatDuration } from '../../lib/run/duration';
import type { RunEstimate } from '../../lib/run/estimate';
import { trainRun, type PreparedRun, type RunEvent, type ThreadsPort, type WordBaselineResult } from '../../lib/run/train-run';
import type { Checkpoint, CheckpointStore } from '../../lib/store/types';
import type { TrainEvent } from '../../lib/train/events';
import type { Cli } from '../context';
import { relabelOption } from '../options';
import { scalarsLine } from '../commands/eval';
import { keepMetricsUpTo, RUN_ID } from './resume';

export type DoneEvent = Extract<TrainEvent, { type: 'done' }>;

let stoppedBy: NodeJS.Signals | null = null;

/** The exit code of a run stopped by a signal: 130 after Ctrl-C (SIGINT), 143 after SIGTERM (`kill`, `timeout`). */
export const stopExitCode = () => (stoppedBy === 'SIGTERM' ? 143 : 130);

/** An abort signal that the first Ctrl-C or SIGTERM fires (the run stops after its step, with a checkpoint); a second
 *  one quits at once. `release` removes the handlers. */
export function interruptible(cli: Cli): { signal: AbortSignal; release: () => void } {
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    stoppedBy = sig;
    cli.log(`stopping after this step (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to quit at once)`);
    abort.abort();
    release();
    for (const s of SIGNALS) process.once(s, () => process.exit(stopExitCode()));
  };
  const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const release = () => SIGNALS.forEach((s) => process.off(s, onSignal));
  SIGNALS.forEach((s) => process.once(s, onSignal));
  return { signal: abort.signal, release };
}

/** The least time between two evaluation lines in the log. */
const EVAL_LOG_MS = 2000;

/** A run's done event, with the threads it computed on and the word-count baseline's scores where it had one. */
export type FollowedRun = DoneEvent & { threads: number; baseline?: WordBaselineResult };

/** Forwards a run's events to the log and stderr until it ends; an error event is thrown (a UserError exits 2). */
export async function follow(events: AsyncIterable<RunEvent>, cli: Cli, metrics: WriteStream): Promise<FollowedRun> {
  let done: DoneEvent | null = null;
  let threads = 1;
  let baseline: WordBaselineResult | undefined;
  let totalSteps = 0;
  let epochs = 0;
  let lastEvalLog = -Infinity;
  let unlogged = 0;
  for await (const ev of events) {
    if (ev.type === 'status') {
      if (ev.threads) threads = ev.threads;
      if (ev.baseline) baseline = ev.baseline;
      cli.log(ev.message);
      continue;
    }
    metrics.write(`${JSON.stringify(ev)}\n`);
    switch (ev.type) {
      case 'start':
        totalSteps = ev.totalSteps;
        epochs = ev.epochs;
        cli.log(
          `training on ${ev.trainExamples} examples, validating on ${ev.validationExamples}: ` +
            `${ev.epochs} epoch(s) × ${ev.stepsPerEpoch} steps` +
            (ev.totalSteps < ev.epochs * ev.stepsPerEpoch ? `, stopping after ${ev.totalSteps} (max steps)` : '') +
            `${ev.featureCacheSec !== undefined ? ` (encoder features cached in ${ev.featureCacheSec.toFixed(1)} s)` : ''}`,
        );
        break;
      case 'step':
        cli.progress.update({
          label: `epoch ${ev.epoch + 1}/${epochs}`,
          done: ev.step,
          total: totalSteps,
          samplesPerSec: ev.samplesPerSec,
          detail: `loss ${ev.loss.toFixed(4)} lr ${ev.lr.toExponential(1)}`,
        });
        break;
      case 'eval': {
        // every evaluation is in metrics.jsonl; the log shows at most one every EVAL_LOG_MS (a head over a few rows
        // evaluates hundreds of times in seconds), and the last one
        const now = performance.now();
        const last = ev.step >= totalSteps;
        if (now - lastEvalLog < EVAL_LOG_MS && !last) {
          unlogged++;
          break;
        }
        lastEvalLog = now;
        const skipped = unlogged ? ` (the ${unlogged} since the last line are in metrics.jsonl)` : '';
        unlogged = 0;
        cli.log(`eval at step ${ev.step} (epoch ${ev.epoch + 1}): ${scalarsLine(ev.result)}${skipped}`);
        break;
      }
      case 'early-stop':
        cli.log(
          `early stop: ${ev.metric} did not improve for ${ev.patience} evaluations (best ${ev.best.toFixed(4)} at step ${ev.bestStep})`,
        );
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
  if (!done) throw new Error('fineTune() ended without a done event');
  return { ...done, threads, ...(baseline ? { baseline } : {}) };
}

/** The run from start (or its checkpoint) to its done event, followed on stderr and in OUT/metrics.jsonl; the
 *  seconds of training, for the result line (a resumed run's include those up to its checkpoint). */
export async function trainFollowed(
  config: RunConfig,
  p: PreparedRun,
  ports: { out: string; store: CheckpointStore; resumeFrom?: Checkpoint; threads: ThreadsPort; cli: Cli },
): Promise<{ finished: FollowedRun; trainSec: number }> {
  const { out, resumeFrom, cli } = ports;
  if (resumeFrom) await keepMetricsUpTo(join(out, 'metrics.jsonl'), resumeFrom.step);
  const metrics = createWriteStream(join(out, 'metrics.jsonl'), { flags: resumeFrom ? 'a' : 'w' });
  const stop = interruptible(cli);
  const onFeatureProgress = (done: number, total: number) => cli.progress.update({ label: 'encoder features', done, total });
  const t0 = performance.now();
  let finished;
  try {
    const run = trainRun(config, p, {
      signal: stop.signal,
      runId: RUN_ID,
      store: ports.store,
      resumeFrom,
      threads: ports.threads,
      onFeatureProgress,
      wordBaseline: true,
    });
    finished = await follow(run, cli, metrics);
  } finally {
    stop.release();
    await new Promise<void>((r) => metrics.end(() => r()));
  }
  return { finished, trainSec: (resumeFrom?.metricsSoFar.trainSeconds ?? 0) + (performance.now() - t0) / 1000 };
}

export function estimateLine(est: RunEstimate): string {
  const features =
    est.featureSec !== undefined
      ? `, encoder features ${formatDuration(est.featureSec)} on ${est.threads} thread${est.threads > 1 ? 's' : ''}`
      : '';
  const evals = est.evalSec ? `, ${est.evals} validation passes ${formatDuration(est.evalSec)}` : '';
  const pairs = est.pairSec !== undefined ? `contrastive pairs ${formatDuration(est.pairSec)}, ` : '';
  const baseline = est.baselineSec !== undefined ? `word-count baseline ${formatDuration(est.baselineSec)}, ` : '';
  return (
    `estimated training time: about ${formatDuration(est.seconds)} ` +
    `(${baseline}${pairs}${est.steps.toLocaleString('en')} steps × ${est.perStepSec.toFixed(2)} s${features}${evals}; ${est.basis})` +
    (est.mayStopEarly ? '; early stopping can end it sooner' : '')
  );
}

/** Which recipe a new run follows and why, one reason a line; "with your options" where no preset was taken whole. */
export function recipeLines(recipe: NonNullable<RunConfig['recipe']>, preset: RunConfig['preset']): string {
  return `recipe ${recipe.title}${preset ? '' : ' with your options'} (${recipe.source}):${recipe.why.map((w) => `\n  ${w}`).join('')}`;
}

export function modelLine(source: string, p: PreparedRun, config: RunConfig): string {
  const counts = p.model.paramCounts();
  return (
    `model ${source}: ${p.model.encoder.arch}, mode ${config.mode}, ` +
    `${counts.trainable.toLocaleString('en')} of ${counts.total.toLocaleString('en')} parameters train`
  );
}

/** After Ctrl-C: where the checkpoint is and the command that continues from it. */
export function stoppedLine(step: number, out: string): string {
  const checkpoints = join(out, RUN_ID, 'checkpoints');
  return `stopped at step ${step}; the checkpoint is in ${checkpoints}. Continue with: npx finetune train --resume ${out}`;
}
