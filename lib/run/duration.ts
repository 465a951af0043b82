// Durations as people read them ("24 min"): pure, so the UI can import it without the engine.

export function formatDuration(sec: number): string {
  if (sec < 90) return `${Math.max(1, Math.round(sec))} s`;
  const min = Math.round(sec / 60);
  if (min < 90) return `${min} min`;
  // whole minutes first, so 119.6 minutes read "2 h 0 min", not "1 h 60 min"
  const h = Math.floor(min / 60);
  return `${h} h ${min - h * 60} min`;
}

/** A tune rung's or trial's length in words ("3 epochs"; big data, part of one epoch: "275 steps"). */
export function rungLength(r: { epochs: number; steps?: number }): string {
  return r.steps ? `${r.steps} steps` : `${r.epochs} epoch${r.epochs === 1 ? '' : 's'}`;
}

/** A tune's plan in words, one part per rung: "9 trials × 2 epochs", then "the best 3 continued to 4 epochs", then
 *  "the best one, and the recipe beside it, continued to 8 epochs" (the CLI's plan lines, the Runs screen's line). */
export function planParts(rungs: { epochs: number; steps?: number; trials: number }[], compare: boolean): string[] {
  const last = rungs.length - 1;
  return rungs.map((r, i) =>
    i === 0
      ? `${r.trials} trial${r.trials > 1 ? 's' : ''} × ${rungLength(r)}` +
        (last === 0
          ? ''
          : compare
            ? ''
            : ` (where the recipe is compared with the winner: a longer budget trains it to the full length too)`)
      : `the best ${i === last ? (compare ? 'one, and the recipe beside it,' : 'one') : r.trials} continued to ${rungLength(r)}`,
  );
}

/** The tuned winner against the recipe, at the length both ran ("the recipe 0.8707 at the same length (+0.0093)"), or
 *  after the first rung where the budget did not train the recipe to the full length: the CLI's result line and the
 *  studio's. */
export function comparisonText(
  cmp: { epochs: number; steps?: number; winnerScore: number; recipeScore: number },
  atFullLength: boolean,
): string {
  const gain = cmp.winnerScore - cmp.recipeScore;
  const signed = `${gain >= 0 ? '+' : ''}${gain.toFixed(4)}`;
  return atFullLength
    ? `the recipe ${cmp.recipeScore.toFixed(4)} at the same length (${signed})`
    : `after ${rungLength(cmp)}, where both ran, ${cmp.winnerScore.toFixed(4)} against the recipe's ` +
        `${cmp.recipeScore.toFixed(4)} (${signed}; the budget did not train the recipe to the full length)`;
}
