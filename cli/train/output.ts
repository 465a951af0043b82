// What finetune train leaves in OUT besides metrics.jsonl: run.json, written as the run starts (what --resume, eval and
// predict read back) and again with the result when it ends, and the trained model in Hugging Face layout, after
// which the run's checkpoints go.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { join, resolve } from 'node:path';
import type { ColumnMapping } from '../../lib/data/types';
import type { TaskModel } from '../../lib/models/types';
import type { RunConfig } from '../../lib/run/config';
import { modeOf, trainConfigOf } from '../../lib/run/engine-config';
import { evaluationReportOf } from '../../lib/run/report';
import { labelCounts } from '../../lib/export/card-facts';
import { modelCard } from '../../lib/export/model-card';
import { hfTaskConfig } from '../../lib/models/param-io';
import { cardInput, readTrainedFolder } from '../export/from-folder';
import type { PreparedRun, WordBaselineResult } from '../../lib/run/train-run';
import type { EvaluationReport } from '../../lib/protocol';
import type { EvalResult } from '../../lib/train/events';
import type { ParsedOptions } from '../args';
import { metricsOf } from '../commands/eval';
import { saveTrained } from '../models';
import type { DoneEvent } from './follow';
import { RUN_ID } from './resume';
import { textCount } from '../../lib/train/text-windows';

/** The arguments as --resume replays them: file paths made absolute, so --resume works from any folder. */
export function savedArgs(opts: ParsedOptions): ParsedOptions {
  return Object.fromEntries(
    Object.entries(opts)
      .filter(([k]) => k !== 'help' && k !== 'resume' && k !== 'threads')
      .map(([k, v]) => [k, ['data', 'eval', 'test', 'out'].includes(k) && typeof v === 'string' ? resolve(v) : v]),
  );
}

/** Examples as the data files count them: a NER sentence encoded as several windows is one. */
function sentences(encoded: PreparedRun['data']['train']): number {
  return encoded.filter((e) => !e.window || e.window.index === 0).length;
}

/** OUT/run.json as the run starts: the arguments, the model and data it trains on, and its settings. */
export async function startRunJson(
  out: string,
  opts: ParsedOptions,
  modelSpec: string,
  config: RunConfig,
  p: PreparedRun,
  mapping: ColumnMapping,
): Promise<Record<string, unknown>> {
  const runJson = {
    command: 'finetune train',
    args: savedArgs(opts),
    model: modelSpec,
    arch: p.model.encoder.arch,
    mode: modeOf(config),
    task: p.model.task,
    labels: p.labels,
    mapping,
    maxLength: p.maxLength,
    trainExamples: sentences(p.data.train),
    labelCounts: labelCounts(p.model.task, p.labels, p.data.train),
    validationExamples: sentences(p.data.validation),
    run: config,
    config: trainConfigOf(config, { train: p.data.train.length, validation: textCount(p.data.validation) }, p.model.task),
    startedAt: new Date().toISOString(),
  };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'run.json'), JSON.stringify(runJson, null, 2));
  return runJson;
}

/** The trained model's files in OUT. The run is complete, so its checkpoints (weights, optimizer moments and
 *  average, 4× the model each) are not needed any more. */
export async function saveModel(model: TaskModel, out: string): Promise<string[]> {
  const files = await saveTrained(model, out);
  await rm(join(out, RUN_ID), { recursive: true, force: true });
  return files;
}

/** The result (the last stdout line), kept in OUT/run.json too with the time the run finished. */
export async function finishRunJson(
  out: string,
  runJson: Record<string, unknown>,
  finished: DoneEvent & { threads?: number; baseline?: WordBaselineResult },
  trainSec: number,
  test: EvalResult | null,
  /** the word-count baseline on the test file */
  testBaseline?: { accuracy: number; macroF1: number },
): Promise<Record<string, unknown>> {
  const report = test ?? finished.final;
  const result = {
    out,
    reason: finished.reason,
    steps: finished.step,
    epochs: finished.epoch,
    trainSeconds: Math.round(trainSec * 100) / 100,
    best: finished.best,
    restoredBest: finished.restoredBest,
    ...(finished.final ? { validation: metricsOf(finished.final) } : {}),
    ...(test ? { test: metricsOf(test) } : {}),
    metrics: report ? metricsOf(report) : null,
    // what the run has to beat: TF-IDF + logistic regression fitted on the same training rows
    ...(finished.baseline || testBaseline
      ? {
          baseline: {
            tfidfLogReg: {
              ...(finished.baseline ? { validation: { accuracy: finished.baseline.accuracy, macroF1: finished.baseline.macroF1 } } : {}),
              ...(testBaseline ? { test: testBaseline } : {}),
            },
          },
        }
      : {}),
  };
  // kept in run.json for the model card: where the run computed, and the full report of the split it reports
  const labels = (runJson.labels as string[] | undefined) ?? [];
  const threshold = (runJson.run as RunConfig | undefined)?.multilabelThreshold;
  const detail = {
    backend: tf.getBackend(),
    threads: finished.threads ?? 1,
    ...(report
      ? {
          evaluation: withWordBaseline(
            evaluationReportOf(report, { runId: RUN_ID, split: test ? 'test' : 'validation', labels, threshold }),
            test ? testBaseline : finished.baseline,
          ),
        }
      : {}),
  };
  await writeFile(join(out, 'run.json'), JSON.stringify({ ...runJson, ...detail, finishedAt: new Date().toISOString(), result }, null, 2));
  return result;
}

/** A classification report with the word-count baseline's scores on the same split, for the model card. */
function withWordBaseline(e: EvaluationReport, b: { accuracy: number; macroF1: number } | undefined): EvaluationReport {
  return e.task === 'classification' && b ? { ...e, wordBaseline: { accuracy: b.accuracy, macroF1: b.macroF1 } } : e;
}

/** OUT/README.md: the model card of the finished run (what `finetune export --format hf` writes too). */
export async function writeModelCard(out: string, model: TaskModel): Promise<void> {
  const trained = await readTrainedFolder(out);
  const config = hfTaskConfig(model);
  await writeFile(join(out, 'README.md'), modelCard(cardInput(out, model, trained, config)));
}
