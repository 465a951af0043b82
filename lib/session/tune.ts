// The studio's Tune: lib/run/tune.ts's plan and successive halving, with each trial a stored run of one sweep (live
// curves, the Runs screen's sweep table and overlaid curves), scored on the validation split only. Stopping the trial
// that is training stops the tune; its finished trials stay. The winner is a run like any other (Evaluate, Export).
import type { Command } from '../protocol';
import { autoRunName } from '../run/config';
import { validateConfig } from '../run/fields';
import { defaultMetric } from '../run/engine-config';
import { estimateRun } from '../run/estimate';
import type { FeatureMemo, PairMemo } from '../run/train-run';
import { comparisonText, formatDuration } from '../run/duration';
import { epochsDone, halving, planEpochs, planTune, plannedSeconds, rungLength, type TrialResult, type TrialRunner } from '../run/tune';
import { newId } from '../store/db';
import type { SessionHost } from './context';
import type { RunMeta } from './records';
import { threadsFor } from './run-driver';
import { continueRun, prepare, reportTo, startRun } from './runs';
import { sessionDb } from './state';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(4));

export async function tune(host: SessionHost, cmd: Cmd<'tune-start'>): Promise<void> {
  const base = validateConfig(cmd.base);
  const db = sessionDb();
  // one epoch measured on this device sizes the plan
  // each trial prepares its model and data again (a stored run's start): timed here, it counts per trial
  const t0 = performance.now();
  const p = await prepare(db, base, () => undefined);
  const trialSec = (performance.now() - t0) / 1000;
  let epochSec: number;
  // the contrastive pairs phase (head only) runs once, in the first trial
  let pairSec = 0;
  const task = p.model.task;
  try {
    const est = await estimateRun(base, p, threadsFor(base, host));
    epochSec = (est.seconds - (est.pairSec ?? 0)) / Math.max(1, base.epochs);
    pairSec = est.pairSec ?? 0;
  } finally {
    p.model.dispose();
  }
  const plan = { ...planTune(base, cmd.budgetMinutes * 60, epochSec, base.seed, pairSec, trialSec), epochSec };
  const metric = base.metric ?? defaultMetric(task);
  const tuneId = newId('tune');
  const name = base.name.trim() || autoRunName({ ...base, preset: undefined }, []).replace(/^Custom/, 'Tune');
  const plannedSec = plannedSeconds(plan, epochSec);
  host.post({
    type: 'tune-started',
    requestId: cmd.requestId,
    tuneId,
    candidates: plan.candidates.length,
    rungs: plan.rungs,
    compare: plan.compare,
    plannedSec,
    metric,
  });
  // head-only trials share the frozen encoder's features (the tune varies nothing the features depend on)
  const featureMemo: FeatureMemo | undefined = base.mode === 'head' ? new Map() : undefined;
  // ... and, with contrastive rounds, one encoder tuned on pairs (its rate and pairs are the same for every trial)
  const pairMemo: PairMemo | undefined = base.mode === 'head' ? new Map() : undefined;
  // one stored run per candidate, continued from its last checkpoint on each rung it reaches
  const runIds = new Map<number, string>();
  const trial: TrialRunner = async function* (k, rung, config) {
    const length = config.stopAfter?.steps ? `${config.stopAfter.steps} steps` : `${config.stopAfter?.epochs ?? config.epochs} ep`;
    const trialName = `${name} · trial ${k.id} (${k.changes}) · ${length}`;
    // the run's own events go to its stored run (live curves); the search hears only that it started and its result
    yield { type: 'status', message: `training ${trialName}` };
    const memo = { featureMemo, pairMemo };
    const known = runIds.get(k.id);
    // a continued trial's stored elapsed time counts its earlier rounds: this round's is the difference
    const before = known ? (((await db.runs.get(known))?.config as RunMeta | undefined)?.progress?.elapsedSec ?? 0) : 0;
    if (known) await continueRun(host, known, { ...config, name: trialName }, memo);
    else runIds.set(k.id, await startRun(host, { ...config, name: trialName }, { sweepId: tuneId, memo }));
    const row = await db.runs.get(runIds.get(k.id)!);
    const meta = row?.config as RunMeta | undefined;
    if (row?.status !== 'completed' || !meta?.best) return null;
    const scalars = Object.fromEntries(Object.entries(meta.best).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    return { scalars, seconds: (meta.progress?.elapsedSec ?? 0) - before };
  };
  void (async () => {
    const gen = halving(plan, metric, trial);
    const t0 = performance.now();
    const results: TrialResult[] = [];
    let step = await gen.next();
    while (!step.done) {
      const ev = step.value;
      if (ev.type === 'trial-done') {
        results.push(ev.result);
        const k = plan.candidates[ev.result.candidate];
        // the time left from this tune's own pace so far: seconds per epoch of work done, times the epochs left
        const doneEpochs = epochsDone(results);
        const left = ((performance.now() - t0) / 1000 / doneEpochs) * Math.max(0, planEpochs(plan.rungs, plan.compare) - doneEpochs);
        const message =
          `Trial ${k.id} (${k.changes}), ${rungLength(ev.result)}: validation ${metric} ${fmt(ev.result.score)}.` +
          (left >= 1 ? ` About ${formatDuration(left)} of the tune left.` : '');
        host.post({ type: 'tune-progress', tuneId, message });
      }
      step = await gen.next();
    }
    const r = step.value;
    const winner = r.winner && !r.aborted ? r.winner : null;
    const cmp = winner ? r.comparison : null;
    const gain = cmp ? cmp.winnerScore - cmp.recipeScore : null;
    const message = winner
      ? `Tune finished: trial ${winner.candidate} (${plan.candidates[winner.candidate].changes}) scores ${metric} ` +
        `${fmt(winner.score)} on validation${cmp ? `; ${comparisonText(cmp, r.recipeScore !== null)}` : ''}. Its run is selected.`
      : `Tune stopped after ${r.trials.length} trial(s); they stay in the Runs table.`;
    const winnerRunId = winner ? (runIds.get(winner.candidate) ?? null) : null;
    host.post({ type: 'tune-done', tuneId, message, winnerRunId, gain, aborted: !winner });
  })().catch(reportTo(host, cmd.requestId));
}
