// A run's trained model as the commands that use it need it: warm in memory, or rebuilt from its files (an imported
// zip) or from its best (else last) checkpoint after a reload, with the task its dataset was mapped to.
import { UserError } from '../errors';
import { createTaskModel } from '../models/task-model';
import type { TaskModel } from '../models/types';
import { modeOf } from '../run/engine-config';
import type { RunConfig } from '../run/config';
import type { StudioDb } from '../store/db';
import { DexieRunStore } from '../store/db-runs';
import { assignVariables, evaluatedWeights } from '../train/state';
import { openModel } from './models';
import { lastCheckpoint, type RunMeta } from './runs';
import { keepWarm, liveRuns, warmModel } from './state';

/** The task a run was trained for: as in `prepare`, the dataset's mapped task wins over the run config's. */
async function trainedTask(db: StudioDb, meta: RunMeta): Promise<TaskModel['task']> {
  const ds = meta.run.datasetId ? await db.datasets.get(meta.run.datasetId) : undefined;
  return ds?.mapping?.task ?? meta.run.task;
}

/** The run's trained model: warm in memory, or rebuilt from its files / checkpoint. */
export async function runModel(db: StudioDb, runId: string): Promise<TaskModel> {
  const warm = warmModel(runId);
  if (warm) return warm;
  if (liveRuns.has(runId)) throw new UserError('this run is still training', { option: 'run' }, 'wait until it finishes, or stop it');
  const row = await db.runs.get(runId);
  if (!row) throw new UserError(`there is no run "${runId}"`, { option: 'run' }, 'it may have been deleted');
  const meta = row.config as RunMeta;
  let model: TaskModel;
  if (meta.imported) {
    const m = await openModel({ kind: 'run', runId });
    model = createTaskModel({
      encoder: m.encoder,
      tokenizer: m.tokenizer,
      task: meta.task ?? meta.run.task,
      labels: m.labels.length ? m.labels : meta.labels,
      mode: { kind: 'full' },
      headParams: m.headParams,
    });
  } else {
    const store = new DexieRunStore(db);
    const metas = await store.listCheckpoints(runId);
    const best = metas.find((m) => m.best);
    const ckpt = best ? await store.loadCheckpoint(runId, best.id) : await lastCheckpoint(db, runId);
    if (!ckpt)
      throw new UserError(
        'this run has no saved checkpoint yet',
        { option: 'run' },
        'train it for at least one epoch, or pick another run',
      );
    const m = await openModel(meta.run.model);
    model = createTaskModel({
      encoder: m.encoder,
      tokenizer: m.tokenizer,
      task: await trainedTask(db, meta),
      labels: meta.labels,
      mode: modeOf(meta.run),
      seed: meta.run.seed,
    });
    assignVariables(model.variables(), evaluatedWeights(ckpt));
  }
  keepWarm(runId, model);
  return model;
}

/** How a run read its texts (what its predictions tokenize to): its max length and windows per text (a run from
 *  before windows: 1, texts cut at the max length). */
export async function readingOf(db: StudioDb, runId: string): Promise<TextReading> {
  const run = ((await db.runs.get(runId))?.config as RunMeta | undefined)?.run;
  return run ? readingOfRun(run) : { maxLength: 128, windows: 1 };
}

export function readingOfRun(run: Pick<RunConfig, 'maxLength' | 'textWindows'>): TextReading {
  return { maxLength: run.maxLength ?? 128, windows: run.textWindows ?? 1 };
}

export interface TextReading {
  maxLength: number;
  windows: number;
}
