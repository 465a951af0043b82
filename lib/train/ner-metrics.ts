// Entity-level NER metrics over word-level tag sequences, as seqeval computes them in its default (non-strict) mode:
// an entity counts only when its span and its type both match; plus token accuracy and an entity-type confusion matrix.

export interface Entity {
  type: string;
  /** first word */
  start: number;
  /** one past the last word */
  end: number;
}

export interface EntityTypeReport {
  type: string;
  precision: number;
  recall: number;
  f1: number;
  /** true entities of this type */
  support: number;
  /** predicted entities of this type */
  predicted: number;
  /** predicted entities of this type with exactly a true entity's span and type */
  correct: number;
}

/** Rows: true types, then "spurious" (a predicted span that matches no true span); columns: predicted types, then
 *  "missed" (no predicted entity of any type on exactly a true entity's span). counts[row][column]. */
export interface NerConfusion {
  rows: string[];
  columns: string[];
  counts: number[][];
}

export interface NerReport {
  microPrecision: number;
  microRecall: number;
  microF1: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  weightedPrecision: number;
  weightedRecall: number;
  weightedF1: number;
  /** words whose predicted tag is the true tag, over all words */
  tokenAccuracy: number;
  /** true entities, predicted entities, exact matches */
  support: number;
  predicted: number;
  correct: number;
  sentences: number;
  words: number;
  /** every type seen in the true or the predicted tags, sorted (as seqeval lists them) */
  perType: EntityTypeReport[];
  confusion: NerConfusion;
}

export const SPURIOUS = 'spurious';
export const MISSED = 'missed';

/** A tag's prefix and type: "B-PER" -> B, PER; "O" -> O. A tag without a B/I/E/S prefix (IO data such as "PER") is
 *  read as inside an entity of that type, so runs of it are entities (seqeval would split off its first letter). */
function parseTag(tag: string): { prefix: string; type: string } {
  if (tag === 'O' || tag === '') return { prefix: 'O', type: '' };
  const m = /^([BIES])-(.+)$/.exec(tag);
  if (m) return { prefix: m[1], type: m[2] };
  if (tag === 'B' || tag === 'I' || tag === 'E' || tag === 'S') return { prefix: tag, type: '_' };
  return { prefix: 'I', type: tag };
}

// seqeval's end_of_chunk / start_of_chunk (IOB1, IOB2/BIO, IOE, IOBES read leniently)
function endsChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevType !== type;
}

function startsChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && prevType !== type;
}

/** The entities of one sentence's tags, in order (seqeval's get_entities, end exclusive). */
export function entitiesOf(tags: string[]): Entity[] {
  const out: Entity[] = [];
  let prevTag = 'O',
    prevType = '',
    begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const { prefix, type } = i < tags.length ? parseTag(tags[i]) : { prefix: 'O', type: '' };
    if (endsChunk(prevTag, prefix, prevType, type)) out.push({ type: prevType, start: begin, end: i });
    if (startsChunk(prevTag, prefix, prevType, type)) begin = i;
    prevTag = prefix;
    prevType = type;
  }
  return out;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Entity-level precision, recall and F1 (exact span and type) per type and averaged, token accuracy, and the
 *  entity-type confusion matrix, over sentences of word-level tags. Zero denominators count as 0 (no NaN). */
export function nerReport(trueTags: string[][], predTags: string[][]): NerReport {
  if (trueTags.length !== predTags.length) throw new Error(`nerReport: ${trueTags.length} true sentences but ${predTags.length} predicted`);
  const support = new Map<string, number>(),
    predicted = new Map<string, number>(),
    correct = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  // confusion cells keyed "true\tpredicted" until the types are known
  const cells = new Map<string, number>();
  let words = 0,
    rightWords = 0;
  trueTags.forEach((t, s) => {
    const p = predTags[s];
    if (t.length !== p.length) throw new Error(`nerReport: sentence ${s + 1} has ${t.length} true tags but ${p.length} predicted`);
    words += t.length;
    for (let i = 0; i < t.length; i++) if (t[i] === p[i]) rightWords++;
    const te = entitiesOf(t),
      pe = entitiesOf(p);
    const predBySpan = new Map(pe.map((e) => [`${e.start}:${e.end}`, e]));
    const trueSpans = new Set(te.map((e) => `${e.start}:${e.end}`));
    for (const e of te) {
      bump(support, e.type);
      const hit = predBySpan.get(`${e.start}:${e.end}`);
      if (hit && hit.type === e.type) bump(correct, e.type);
      bump(cells, `${e.type}\t${hit ? hit.type : MISSED}`);
    }
    for (const e of pe) {
      bump(predicted, e.type);
      if (!trueSpans.has(`${e.start}:${e.end}`)) bump(cells, `${SPURIOUS}\t${e.type}`);
    }
  });
  const types = [...new Set([...support.keys(), ...predicted.keys()])].sort();
  const perType: EntityTypeReport[] = types.map((type) => {
    const s = support.get(type) ?? 0,
      p = predicted.get(type) ?? 0,
      c = correct.get(type) ?? 0;
    const precision = ratio(c, p),
      recall = ratio(c, s);
    return { type, precision, recall, f1: f1Of(precision, recall), support: s, predicted: p, correct: c };
  });
  const sum = (f: (r: EntityTypeReport) => number) => perType.reduce((a, r) => a + f(r), 0);
  const nSupport = sum((r) => r.support),
    nPredicted = sum((r) => r.predicted),
    nCorrect = sum((r) => r.correct);
  const microPrecision = ratio(nCorrect, nPredicted),
    microRecall = ratio(nCorrect, nSupport);
  const macro = (f: (r: EntityTypeReport) => number) => ratio(sum(f), perType.length);
  const weighted = (f: (r: EntityTypeReport) => number) =>
    ratio(
      sum((r) => f(r) * r.support),
      nSupport,
    );
  const rows = [...types, SPURIOUS],
    columns = [...types, MISSED];
  const counts = rows.map((r) => columns.map((c) => cells.get(`${r}\t${c}`) ?? 0));
  return {
    microPrecision,
    microRecall,
    microF1: f1Of(microPrecision, microRecall),
    macroPrecision: macro((r) => r.precision),
    macroRecall: macro((r) => r.recall),
    macroF1: macro((r) => r.f1),
    weightedPrecision: weighted((r) => r.precision),
    weightedRecall: weighted((r) => r.recall),
    weightedF1: weighted((r) => r.f1),
    tokenAccuracy: ratio(rightWords, words),
    support: nSupport,
    predicted: nPredicted,
    correct: nCorrect,
    sentences: trueTags.length,
    words,
    perType,
    confusion: { rows, columns, counts },
  };
}
