// finetune train's view of a run: every engine event to OUT/metrics.jsonl, progress and messages on stderr, Ctrl-C as
// "stop after this step" (a second Ctrl-C quits at once), and the estimate line of --dry-run.
import type { WriteStream } from 'node:fs';
import { UserError } from '../../lib/errors';
import { formatDuration } from '../../lib/run/duration';
import type { RunEstimate } from '../../lib/run/estimate';
import type { RunEvent } from '../../lib/run/train-run';
import type { TrainEvent } from '../../lib/train/events';
import type { Cli } from '../context';
import { relabelOption } from '../options';
import { scalarsLine } from '../commands/eval';

export type DoneEvent = Extract<TrainEvent, { type: 'done' }>;

/** An abort signal that the first Ctrl-C fires; `release` removes the handler. */
export function interruptible(cli: Cli): { signal: AbortSignal; release: () => void } {
  const abort = new AbortController();
  const onSigint = () => {
    cli.log('stopping after this step (Ctrl-C again to quit at once)');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  return { signal: abort.signal, release: () => process.off('SIGINT', onSigint) };
}

/** Forwards a run's events to the log and stderr until it ends; an error event is thrown (a UserError exits 2). */
export async function follow(events: AsyncIterable<RunEvent>, cli: Cli, metrics: WriteStream): Promise<DoneEvent> {
  let done: DoneEvent | null = null;
  let totalSteps = 0;
  let epochs = 0;
  for await (const ev of events) {
    if (ev.type === 'status') {
      cli.log(ev.message);
      continue;
    }
    metrics.write(`${JSON.stringify(ev)}\n`);
    switch (ev.type) {
      case 'start':
        totalSteps = ev.totalSteps;
        epochs = ev.epochs;
        cli.log(
          `training on ${ev.trainExamples} examples, validating on ${ev.validationExamples}: ${ev.epochs} epoch(s) × ${ev.stepsPerEpoch} steps${ev.featureCacheSec !== undefined ? ` (encoder features cached in ${ev.featureCacheSec.toFixed(1)} s)` : ''}`,
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
      case 'eval':
        cli.log(`eval at step ${ev.step} (epoch ${ev.epoch + 1}): ${scalarsLine(ev.result)}`);
        break;
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
  return done;
}

export function estimateLine(est: RunEstimate): string {
  const features =
    est.featureSec !== undefined
      ? `, encoder features ${formatDuration(est.featureSec)} on ${est.threads} thread${est.threads > 1 ? 's' : ''}`
      : '';
  const evals = est.evalSec ? `, ${est.evals} validation passes ${formatDuration(est.evalSec)}` : '';
  return `estimated training time: about ${formatDuration(est.seconds)} (${est.steps.toLocaleString('en')} steps × ${est.perStepSec.toFixed(2)} s${features}${evals}; ${est.basis}); early stopping can end it sooner`;
}
