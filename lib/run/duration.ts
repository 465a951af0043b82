// Durations as people read them ("24 min"): pure, so the UI can import it without the engine.

export function formatDuration(sec: number): string {
  if (sec < 90) return `${Math.max(1, Math.round(sec))} s`;
  if (sec < 90 * 60) return `${Math.round(sec / 60)} min`;
  const h = Math.floor(sec / 3600);
  return `${h} h ${Math.round((sec - h * 3600) / 60)} min`;
}
