// Long texts (sequence tasks): where a text has more tokens than a window holds, it is read in windows of that many
// tokens instead of being cut. The windows are evenly spread from the first token to the last, each one full, so the
// last ends at the text's end (neighbours overlap where the length is not a multiple of the window); a text needing
// more than `maxWindows` keeps that many, still spread from start to end (its beginning and end always read).

/** Start offsets of the windows of `size` tokens over a text of `total` tokens, at most `maxWindows` of them. */
export function windowStarts(total: number, size: number, maxWindows: number): number[] {
  if (total <= size || maxWindows <= 1 || size < 1) return [0];
  const count = Math.min(Math.ceil(total / size), Math.max(1, Math.floor(maxWindows)));
  const span = total - size;
  return Array.from({ length: count }, (_, k) => Math.round((k * span) / (count - 1)));
}

/** The windows of a token list: one slice a start (the list itself where it fits one window). */
export function sliceWindows<T>(tokens: T[], size: number, maxWindows: number): T[][] {
  if (tokens.length <= size) return [tokens];
  return windowStarts(tokens.length, size, maxWindows).map((s) => tokens.slice(s, s + size));
}
