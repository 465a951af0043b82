// Training runs: "load dataset rows from the db, split, tokenize, build the TaskModel, run fineTune, persist events and
// checkpoints" (the driving: run-driver.ts), resume from the last checkpoint (the step counter continues), live
// controls, sweeps, stored history.
import { UserError, toErrorInfo } from '../errors';
import type { Command } from '../protocol';
import { newId, type RunRow, type StudioDb } from '../store/db';
import { getDataset } from '../store/db-datasets';
import { DexieRunStore } from '../store/db-runs';
import type { Checkpoint } from '../store/types';
import { autoRunName, type RunConfig } from '../run/config';
import { validateConfig } from '../run/fields';
import { freshStartNote, prepareRun, type RunPorts } from '../run/train-run';
import { estimateRun } from '../run/estimate';
import { checkFingerprint, fingerprintOf, lastCheckpoint as lastStoredCheckpoint } from '../run/fingerprint';
import { type SessionHost } from './context';
import { checkpointInfo, drive, patchMeta, threadsFor, type Prepared } from './run-driver';
import { trainingData, trainingDataOf } from './datasets';
import { openModel } from './models';
import { liveRuns, sessionDb, dropWarm } from './state';
import { expandSweep } from './sweep';
import type { EvalPoint, RunHistory, RunRecord, StepPoint } from './types';
import { recordOfRow, type RunMeta } from './records';

export type { RunMeta };

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export function recordOf(row: RunRow): RunRecord {
  return recordOfRow(row, (id) => liveRuns.has(id));
}

/** Posts an error that escaped work left running after its request was answered (a run, a sweep), tagged with that
 *  request: the page shows it to whoever still awaits the request, or else as a notice. */
export const reportTo = (host: SessionHost, requestId: string) => (e: unknown) =>
  host.post({ type: 'error', requestId, error: toErrorInfo(e) });

/** Dataset rows → split → tokens; model files → encoder → TaskModel in the run's mode. */
export async function prepare(db: StudioDb, c: RunConfig, onStatus: (msg: string) => void, labelsHint?: string[]): Promise<Prepared> {
  if (!c.datasetId)
    throw new UserError('no dataset is selected for this run', { option: 'dataset' }, 'import or pick a dataset on the Data screen');
  onStatus('Reading the dataset');
  const dataset = await getDataset(db, c.datasetId);
  // the Data screen's training-data options (balancing, augmentation, class weights) apply here
  const { data, classWeights } = await trainingData(db, c.datasetId, c.fold);
  const labels = labelsHint?.length ? labelsHint : data.labels;
  onStatus('Loading the model');
  const opened = await openModel(c.model, { dropout: c.dropout });
  onStatus('Tokenizing');
  const head = opened.headParams?.size ? { params: opened.headParams, labels: opened.labels } : undefined;
  const prepared = prepareRun(c, { train: data.train, validation: data.validation, labels, task: data.task }, { ...opened, head });
  if (head) onStatus(freshStartNote(prepared.headReused === true));
  return {
    ...prepared,
    datasetName: dataset.name,
    modelLabel: opened.label,
    classWeights: classWeights && labels.length === classWeights.length ? classWeights : undefined,
  };
}

/** Creates a stored run and trains it to its end (or failure); returns its id. */
export async function startRun(
  host: SessionHost,
  config: RunConfig,
  opts: { requestId?: string; sweepId?: string; memo?: Pick<RunPorts, 'featureMemo' | 'pairMemo'> } = {},
): Promise<string> {
  const db = sessionDb();
  const v = validateConfig(config);
  const c = v.name.trim()
    ? v
    : {
        ...v,
        name: autoRunName(
          v,
          (await db.runs.toArray()).map((r) => r.name),
        ),
      };
  const runId = newId('run');
  const meta: RunMeta = { run: c, datasetName: '', modelLabel: '', labels: [], sweepId: opts.sweepId };
  await db.runs.add({
    id: runId,
    name: c.name,
    datasetId: c.datasetId,
    config: meta,
    status: 'queued',
    createdAt: Date.now(),
    updatedAt: Date.now(),
  });
  if (opts.requestId) host.post({ type: 'run-started', requestId: opts.requestId, runId });
  let p: Prepared;
  try {
    p = await prepare(db, c, (message) => host.post({ type: 'run-status', runId, status: 'preparing', message }));
  } catch (e) {
    const error = toErrorInfo(e);
    await patchMeta(db, runId, { error }, { status: 'failed', error: error.message });
    host.post({ type: 'run-status', runId, status: 'failed', error });
    return runId;
  }
  await patchMeta(db, runId, { datasetName: p.datasetName, modelLabel: p.modelLabel, labels: p.labels, task: p.model.task });
  await drive(host, db, runId, c, p, undefined, opts.memo);
  return runId;
}

export async function start(host: SessionHost, cmd: Cmd<'train-start'>): Promise<void> {
  validateConfig(cmd.config); // a bad option answers the request, before any run exists
  void startRun(host, cmd.config, { requestId: cmd.requestId }).catch(reportTo(host, cmd.requestId));
}

/** The newest checkpoint of a run (the one a resume continues from). */
export async function lastCheckpoint(db: StudioDb, runId: string): Promise<Checkpoint | null> {
  return lastStoredCheckpoint(new DexieRunStore(db), runId);
}

export async function resume(host: SessionHost, cmd: Cmd<'run-resume'>): Promise<void> {
  const started = await resumeStored(host, cmd.runId, (meta) => meta.run, cmd.requestId);
  void started?.driving.catch(reportTo(host, cmd.requestId));
}

/** A tune's trial going on to its next rung: the stored run takes the trial's new length and name and resumes from
 *  its last checkpoint (the final one, where the rung before stopped it); resolves when the run ends. */
export async function continueRun(
  host: SessionHost,
  runId: string,
  config: RunConfig,
  memo: Pick<RunPorts, 'featureMemo' | 'pairMemo'> = {},
): Promise<void> {
  await (
    await resumeStored(host, runId, () => config, undefined, memo)
  )?.driving;
}

/** Resumes a stored run from its last checkpoint with the config `next` gives (its own, or a tune trial's next
 *  length); resolves once the training has started, to its promise (undefined where preparing it failed, posted as the run's status). */
async function resumeStored(
  host: SessionHost,
  runId: string,
  next: (meta: RunMeta) => RunConfig,
  requestId?: string,
  memo: Pick<RunPorts, 'featureMemo' | 'pairMemo'> = {},
): Promise<{ driving: Promise<void> } | undefined> {
  const db = sessionDb();
  if (liveRuns.has(runId)) throw new UserError('this run is already training', { option: 'run' }, 'pause or stop it first');
  const row = await db.runs.get(runId);
  if (!row) throw new UserError(`there is no run "${runId}"`, { option: 'run' }, 'it may have been deleted');
  const meta = row.config as RunMeta;
  const ckpt = await lastCheckpoint(db, runId);
  if (!ckpt)
    throw new UserError(
      'this run has no checkpoint to resume from',
      { option: 'run' },
      'start it again from the Runs screen (Clone & tweak)',
    );
  const run = next(meta);
  if (run !== meta.run) await patchMeta(db, runId, { run }, { name: run.name });
  // curves after the checkpoint are replayed by the resumed run
  await db.metrics
    .where('[runId+step]')
    .between([runId, ckpt.step + 1], [runId, Number.MAX_SAFE_INTEGER], true, true)
    .delete();
  dropWarm(runId);
  if (requestId) host.post({ type: 'run-started', requestId, runId });
  host.post({ type: 'run-status', runId, status: 'preparing', message: `Resuming from step ${ckpt.step}` });
  let p: Prepared;
  try {
    p = await prepare(db, run, (message) => host.post({ type: 'run-status', runId, status: 'preparing', message }), meta.labels);
    try {
      checkFingerprint(ckpt.fingerprint, fingerprintOf(p));
    } catch (e) {
      p.model.dispose();
      throw e;
    }
  } catch (e) {
    const error = toErrorInfo(e);
    host.post({ type: 'run-status', runId, status: 'failed', error });
    return undefined;
  }
  await patchMeta(db, runId, { error: undefined });
  return { driving: drive(host, db, runId, run, p, ckpt, memo, meta.progress?.elapsedSec ?? 0) };
}

/** The estimated time of a run: a few steps timed on a model prepared for the purpose (then disposed). */
export async function estimate(host: SessionHost, cmd: Cmd<'run-estimate'>): Promise<void> {
  const c = validateConfig(cmd.config);
  const p = await prepare(sessionDb(), c, () => undefined);
  try {
    host.post({
      type: 'run-estimate-result',
      requestId: cmd.requestId,
      estimate: await estimateRun(c, p, threadsFor(c, host), { wordBaseline: true }),
    });
  } finally {
    p.model.dispose();
  }
}

/** Cross-validation: one run per fold (k from the Data screen's k-fold setting), grouped like a sweep. */
export async function crossValidate(host: SessionHost, cmd: Cmd<'cv-start'>): Promise<void> {
  const base = validateConfig(cmd.base);
  const k = (await trainingDataOf(sessionDb(), base.datasetId)).folds;
  if (k < 2)
    throw new UserError(
      'k-fold is off for this dataset',
      { option: 'folds' },
      'set "k-fold assignment" to 2 or more on the Data screen (5 is usual)',
    );
  const sweepId = newId('cv');
  const name = base.name.trim() || autoRunName(base, []);
  const configs = Array.from({ length: k }, (_, index) => ({ ...base, fold: { k, index }, name: `${name} · fold ${index + 1} of ${k}` }));
  host.post({ type: 'sweep-started', requestId: cmd.requestId, sweepId, runs: k });
  void (async () => {
    for (const c of configs) await startRun(host, c, { sweepId });
  })().catch(reportTo(host, cmd.requestId));
}

export async function sweep(host: SessionHost, cmd: Cmd<'sweep-start'>): Promise<void> {
  const base = validateConfig(cmd.base);
  // a blank name (the presets' automatic one) becomes "Sweep · <mode> · <model>"; each run adds its settings
  const configs = expandSweep(
    { ...base, name: base.name.trim() || autoRunName({ ...base, preset: undefined }, []).replace(/^Custom/, 'Sweep') },
    cmd.spec,
  );
  const sweepId = newId('sweep');
  host.post({ type: 'sweep-started', requestId: cmd.requestId, sweepId, runs: configs.length });
  void (async () => {
    for (const c of configs) await startRun(host, c, { sweepId });
  })().catch(reportTo(host, cmd.requestId));
}

export async function control(host: SessionHost, cmd: Cmd<'run-control'>): Promise<void> {
  const live = liveRuns.get(cmd.runId);
  if (!live) throw new UserError('this run is not training in this tab', { option: 'run' }, 'resume it from its last checkpoint first');
  const c = cmd.control;
  switch (c.action) {
    case 'pause':
      live.controls.pause();
      break;
    case 'resume':
      live.controls.resume();
      break;
    case 'stop':
      live.abort.abort();
      live.controls.resume();
      host.post({ type: 'run-status', runId: cmd.runId, status: 'stopping' });
      break;
    case 'lr-multiplier':
      if (!Number.isFinite(c.value) || c.value < 0) {
        throw new UserError(
          `the learning-rate multiplier must be a number ≥ 0 (got ${c.value})`,
          { option: 'LR multiplier' },
          'enter a value such as 0.5 or 2',
        );
      }
      live.controls.setLrMultiplier(c.value);
      break;
    case 'extend':
      if (!Number.isInteger(c.epochs)) {
        throw new UserError(
          `the epochs to add must be a whole number (got ${c.epochs})`,
          { option: 'Extra epochs' },
          'enter a whole number such as 1 or 2',
        );
      }
      live.controls.extendEpochs(c.epochs);
      break;
  }
  host.post({ type: 'ok', requestId: cmd.requestId });
}

export async function readHistory(db: StudioDb, runId: string): Promise<RunHistory> {
  const row = await db.runs.get(runId);
  if (!row) throw new UserError(`there is no run "${runId}"`, { option: 'run' }, 'it may have been deleted');
  const records = (await new DexieRunStore(db).readMetrics(runId)) as (({ kind: 'step' } & StepPoint) | ({ kind: 'eval' } & EvalPoint))[];
  const steps: StepPoint[] = [];
  const evals: EvalPoint[] = [];
  for (const r of records) {
    const { kind, ...rest } = r;
    if (kind === 'step') steps.push(rest as StepPoint);
    else if (kind === 'eval') evals.push(rest as EvalPoint);
  }
  const metas = await new DexieRunStore(db).listCheckpoints(runId);
  return { record: recordOf(row), steps, evals, checkpoints: metas.map((m) => checkpointInfo(m, evals)) };
}

export async function history(host: SessionHost, cmd: Cmd<'run-history'>): Promise<void> {
  host.post({ type: 'run-history-result', requestId: cmd.requestId, run: await readHistory(sessionDb(), cmd.runId) });
}

export async function rename(host: SessionHost, cmd: Cmd<'run-rename'>): Promise<void> {
  const name = cmd.name.trim();
  if (!name) throw new UserError('a run needs a name', { option: 'name' }, 'type a name');
  const db = sessionDb();
  const row = await db.runs.get(cmd.runId);
  if (!row) throw new UserError(`there is no run "${cmd.runId}"`, { option: 'run' }, 'it may have been deleted');
  await db.runs.update(cmd.runId, {
    name,
    config: { ...(row.config as RunMeta), run: { ...(row.config as RunMeta).run, name } },
    updatedAt: Date.now(),
  });
  host.post({ type: 'ok', requestId: cmd.requestId });
}

export async function remove(host: SessionHost, cmd: Cmd<'run-delete'>): Promise<void> {
  const live = liveRuns.get(cmd.runId);
  if (live) throw new UserError('this run is still training', { option: 'run' }, 'stop it first');
  dropWarm(cmd.runId);
  const db = sessionDb();
  await new DexieRunStore(db).deleteRun(cmd.runId);
  await db.settings.delete(`model-files:${cmd.runId}`);
  host.post({ type: 'ok', requestId: cmd.requestId });
}
