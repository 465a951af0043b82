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
