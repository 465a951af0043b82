// Sentences longer than the max length (token classification): overlapping windows on word boundaries, each word
// scored in the window where it is most central, so that nothing is truncated. Training, evaluation and prediction
// share the one plan.
import type { Encoding, TextTokenizer } from '@/lib/models/types';

/** Words [start, end) of a sentence go into one window; words [from, to) take their prediction from it. */
export interface WindowPlan {
  start: number;
  end: number;
  from: number;
  to: number;
}

/** One window's encoding; wordIds index the whole sentence's words. */
export interface WindowEncoding extends WindowPlan {
  ids: number[];
  typeIds?: number[];
  wordIds: (number | null)[];
}

/**
 * Windows over words with `pieces` word pieces each, at most `budget` pieces a window: each window takes as many
 * words as fit, the next starts about half a window (in pieces) later, on a word boundary. A word in the overlap of
 * two windows takes its prediction from the one whose nearer edge is farther from it (ties: the earlier window): the
 * scored words of a window are one run, and every word is scored exactly once.
 */
export function planWindows(pieces: number[], budget: number): WindowPlan[] {
  const n = pieces.length;
  const c = pieces.map((p) => Math.min(p, budget));
  const spans: { start: number; end: number }[] = [];
  let s = 0;
  for (;;) {
    let e = s,
      used = 0;
    while (e < n && used + c[e] <= budget) used += c[e++];
    if (e === s && s < n) e = s + 1; // only when budget < 1; the caller rules that out
    spans.push({ start: s, end: e });
    if (e >= n) break;
    let next = s + 1,
      acc = c[s];
    while (next < e && acc < used / 2) acc += c[next++];
    s = next;
  }
  const out: WindowPlan[] = [];
  let from = 0;
  spans.forEach((w, i) => {
    const nxt = spans[i + 1];
    const to = nxt ? Math.max(from, Math.ceil((w.end + nxt.start) / 2)) : n;
    out.push({ ...w, from, to });
    from = to;
  });
  return out;
}

/**
 * A sentence's words as one encoding when it fits `maxLength` tokens, else as overlapping windows (planWindows) of at
 * most `maxLength` tokens each. A word alone longer than a window keeps its first pieces.
 */
export function encodeSentence(tokenizer: TextTokenizer, words: string[], maxLength: number): WindowEncoding[] {
  const encodeWords = tokenizer.encodeWords?.bind(tokenizer);
  if (!encodeWords) throw new Error('encodeSentence: the tokenizer does not encode pre-split words');
  const max = Math.min(maxLength, tokenizer.modelMaxLength);
  const whole = encodeWords(words, { maxLength: max });
  const one = (enc: Encoding, plan: WindowPlan): WindowEncoding => ({
    ...plan,
    ids: enc.ids,
    ...(enc.typeIds ? { typeIds: enc.typeIds } : {}),
    wordIds: (enc.wordIds ?? []).map((w) => (w === null ? null : w + plan.start)),
  });
  const all: WindowPlan = { start: 0, end: words.length, from: 0, to: words.length };
  if (whole.ids.length < max) return [one(whole, all)];
  // at the limit: it may have been cut, so plan from each word's own pieces (word pieces do not depend on neighbours)
  const specials = encodeWords([], { maxLength: max }).ids.length;
  const pieces = words.map((w) => (encodeWords([w], { maxLength: max }).wordIds ?? []).filter((x) => x === 0).length);
  const plans = planWindows(pieces, Math.max(1, max - specials));
  if (plans.length === 1 && whole.ids.length <= max) return [one(whole, all)];
  return plans.map((p) => one(encodeWords(words.slice(p.start, p.end), { maxLength: max }), p));
}

/** Each scored word of a windowed or whole sentence: the token of its first piece in the window that scores it. */
export function firstPieces(windows: WindowEncoding[], words: number): ({ window: number; token: number } | null)[] {
  const out: ({ window: number; token: number } | null)[] = new Array(words).fill(null);
  windows.forEach((w, k) => {
    let prev: number | null = null;
    w.wordIds.forEach((word, t) => {
      if (word !== null && word !== prev && word >= w.from && word < w.to && out[word] === null) out[word] = { window: k, token: t };
      prev = word;
    });
  });
  return out;
}

/** What sentencesOf reads of an encoded example (lib/train/encode.ts EncodedExample, which imports this file). */
interface WindowedExample {
  tags?: number[];
  window?: { sentence: number; index: number; tokens: number[] };
}

/** The scored words of encoded examples, one list per sentence in order of first appearance: (example, token of the
 *  word's first piece). A windowed sentence's windows (EncodedExample.window) are joined back into one sentence. */
export function sentencesOf(examples: WindowedExample[]): { example: number; token: number }[][] {
  const groups: { index: number; example: number }[][] = [];
  const open = new Map<number, { index: number; example: number }[]>();
  examples.forEach((e, i) => {
    if (!e.window) return void groups.push([{ index: 0, example: i }]);
    let g = e.window.index === 0 ? undefined : open.get(e.window.sentence);
    if (!g) {
      g = [];
      groups.push(g);
      open.set(e.window.sentence, g);
    }
    g.push({ index: e.window.index, example: i });
  });
  return groups.map((g) =>
    g
      .sort((a, b) => a.index - b.index)
      .flatMap(({ example }) => {
        const e = examples[example];
        const tokens = e.window ? e.window.tokens : (e.tags ?? []).flatMap((t, k) => (t >= 0 ? [k] : []));
        return tokens.map((token) => ({ example, token }));
      }),
  );
}
