// finetune train --folds K: stratified k-fold cross-validation (lib/run/cross-validate.ts) with the run's settings;
// per-fold progress on stderr, OUT/cv.json and OUT/metrics.jsonl (every event with its fold), and one JSON line on
// stdout with each fold's validation metrics and their mean ± standard deviation. No model is kept.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../lib/errors';
import type { Encoder, TextTokenizer } from '../../lib/models/types';
import type { RunConfig } from '../../lib/run/config';
import { crossValidateRun } from '../../lib/run/cross-validate';
import type { RunData, ThreadsPort } from '../../lib/run/train-run';
import type { Cli } from '../context';
import { relabelOption } from '../options';
import { scalarsLine } from './eval';
import { interruptible, stopExitCode } from '../train/follow';

export async function crossValidateCli(
  config: RunConfig,
  data: RunData,
  k: number,
  open: (fold: number) => Promise<{ encoder: Encoder; tokenizer: TextTokenizer }>,
  ports: { out: string; threads: ThreadsPort; cli: Cli },
): Promise<void> {
  const { out, cli } = ports;
  await mkdir(out, { recursive: true });
  const metrics = createWriteStream(join(out, 'metrics.jsonl'));
  const stop = interruptible(cli);
  let fold = 0;
  const opened = () => open(fold++);
  let totalSteps = 0;
  try {
    for await (const ev of crossValidateRun(config, data, k, opened, { signal: stop.signal, threads: ports.threads })) {
      switch (ev.type) {
        case 'fold-start':
          cli.log(`fold ${ev.fold + 1} of ${ev.k}: training on ${ev.trainRows} rows, validating on ${ev.validationRows}`);
          break;
        case 'fold-event': {
          const e = ev.event;
          if (e.type === 'status') break;
          metrics.write(`${JSON.stringify({ fold: ev.fold + 1, ...e })}\n`);
          if (e.type === 'start') totalSteps = e.totalSteps;
          else if (e.type === 'step')
            cli.progress.update({
              label: `fold ${ev.fold + 1}/${k} epoch ${e.epoch + 1}`,
              done: e.step,
              total: totalSteps,
              samplesPerSec: e.samplesPerSec,
              detail: `loss ${e.loss.toFixed(4)}`,
            });
          else if (e.type === 'error')
            throw e.error.kind === 'user'
              ? relabelOption(new UserError(e.error.message, e.error.where, e.error.fix))
              : new Error(e.error.message);
          break;
        }
        case 'fold-done':
          cli.log(`fold ${ev.fold + 1}: ${scalarsLine(ev.result)}`);
          break;
        case 'cv-done': {
          const result = {
            out,
            folds: ev.folds.map((f) => ({ fold: f.fold + 1, trainRows: f.trainRows, validationRows: f.validationRows, ...f.scalars })),
            mean: ev.mean,
            std: ev.std,
            aborted: ev.aborted,
          };
          await writeFile(join(out, 'cv.json'), JSON.stringify({ command: 'finetune train --folds', k, run: config, ...result }, null, 2));
          const show = (m: string) => (ev.mean[m] !== undefined ? `${m} ${ev.mean[m].toFixed(4)} ± ${ev.std[m].toFixed(4)}` : '');
          // NER is judged by its entities, not by its per-tag scores
          const shown =
            ev.mean.entityF1 !== undefined
              ? ['entityF1', 'entityMacroF1', 'tokenAccuracy', 'loss']
              : ['accuracy', 'macroF1', 'loss', 'mse'];
          cli.log(`cross-validation over ${ev.folds.length} fold(s): ${shown.map(show).filter(Boolean).join(', ')}`);
          cli.out(JSON.stringify(result));
          if (ev.aborted) process.exitCode = stopExitCode();
          break;
        }
      }
    }
  } finally {
    stop.release();
    await new Promise<void>((r) => metrics.end(() => r()));
  }
}
