// Durations as people read them ("24 min"): pure, so the UI can import it without the engine.

export function formatDuration(sec: number): string {
  if (sec < 90) return `${Math.max(1, Math.round(sec))} s`;
  if (sec < 90 * 60) return `${Math.round(sec / 60)} min`;
  const h = Math.floor(sec / 3600);
  return `${h} h ${Math.round((sec - h * 3600) / 60)} min`;
}

/** A tune rung's or trial's length in words ("3 epochs"; big data, part of one epoch: "275 steps"). */
export function rungLength(r: { epochs: number; steps?: number }): string {
  return r.steps ? `${r.steps} steps` : `${r.epochs} epoch${r.epochs === 1 ? '' : 's'}`;
}
