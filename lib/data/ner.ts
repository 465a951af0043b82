// Named-entity tag schemes: detecting BIO / IOB1 / BIOES (BILOU) / IO, converting any of them to BIO (IOB2) with
// conlleval's chunking rules (what seqeval does by default), checking BIO sequences, and counting entities.
import { WarningSink } from './errors';
import type { DataWarning } from './types';

export type TagScheme = 'BIO' | 'IOB1' | 'BIOES' | 'IO';

/** One entity: its type and token span [start, end). */
export interface Entity {
  type: string;
  start: number;
  end: number;
}

/** An I-X that does not continue a B-X or I-X (BIO). Indices are 1-based; `row` is the file row of the sentence. */
export interface TagIssue {
  sentence: number;
  row?: number;
  token: number;
  tag: string;
  /** the tag before it, null at the start of the sentence */
  previous: string | null;
}

export interface BioCheck {
  /** every invalid I- tag (listed up to `maxIssues`; `count` has the total) */
  issues: TagIssue[];
  count: number;
  /** one warning with the count and a few examples; empty when the tags are valid */
  warnings: DataWarning[];
}

export interface TaggedSentence {
  tags: readonly string[];
  /** the file row the sentence starts at, for messages */
  row?: number;
}

// The warnings the tag checks give (DataWarning codes).
export const NER_INVALID_SEQUENCE = 'ner-invalid-sequence' satisfies DataWarning['code'];
export const NER_SCHEME_CONVERTED = 'ner-scheme-converted' satisfies DataWarning['code'];
export const NER_TAG_COUNT = 'ner-tag-count' satisfies DataWarning['code'];

const PREFIXED = /^([BIESLU])-(.+)$/;

interface Parsed {
  /** B, I, E, S (BILOU's L and U read as E and S), or O for O and anything that is not prefix-TYPE */
  p: string;
  type: string;
}

const OUTSIDE: Parsed = { p: 'O', type: '' };

function parseTag(tag: string): Parsed {
  const m = PREFIXED.exec(tag);
  if (!m) return OUTSIDE;
  return { p: m[1] === 'L' ? 'E' : m[1] === 'U' ? 'S' : m[1], type: m[2] };
}

/** True when every tag is O or PREFIX-TYPE (B-, I-, E-, S-, L-, U-): entity tags, not e.g. part-of-speech tags. */
export function isEntityTagging(tagSequences: readonly (readonly string[])[]): boolean {
  let any = false;
  for (const tags of tagSequences)
    for (const t of tags) {
      if (t !== 'O' && !PREFIXED.test(t)) return false;
      any = true;
    }
  return any;
}

const continues = (prev: Parsed, cur: Parsed) => prev.type === cur.type && (prev.p === 'B' || prev.p === 'I');

/**
 * The scheme the tags are written in. BIOES: S-/E- (or BILOU's U-/L-) occur. IO: I- only, never B- (IOB1 data with no
 * two adjacent same-type entities looks the same, and converts the same). IOB1: most entities start with I- (B- only
 * between two entities of the same type). BIO otherwise, also for O-only data.
 */
export function detectScheme(tagSequences: readonly (readonly string[])[]): TagScheme {
  let endOrSingle = 0;
  let b = 0;
  let bStarts = 0;
  let iStarts = 0;
  for (const tags of tagSequences) {
    let prev = OUTSIDE;
    for (const t of tags) {
      const cur = parseTag(t);
      if (cur.p === 'E' || cur.p === 'S') endOrSingle++;
      else if (cur.p === 'B') {
        b++;
        if (!continues(prev, cur)) bStarts++;
      } else if (cur.p === 'I' && !continues(prev, cur)) iStarts++;
      prev = cur;
    }
  }
  if (endOrSingle > 0) return 'BIOES';
  if (b === 0) return iStarts > 0 ? 'IO' : 'BIO';
  return iStarts > bStarts ? 'IOB1' : 'BIO';
}

// conlleval's endOfChunk / startOfChunk, as in seqeval's default (non-strict) mode
function endOfChunk(prev: Parsed, cur: Parsed): boolean {
  if (prev.p === 'E' || prev.p === 'S') return true;
  if ((prev.p === 'B' || prev.p === 'I') && (cur.p === 'B' || cur.p === 'S' || cur.p === 'O')) return true;
  return prev.p !== 'O' && prev.type !== cur.type;
}

function startOfChunk(prev: Parsed, cur: Parsed): boolean {
  if (cur.p === 'B' || cur.p === 'S') return true;
  if ((prev.p === 'E' || prev.p === 'S' || prev.p === 'O') && (cur.p === 'E' || cur.p === 'I')) return true;
  return cur.p !== 'O' && prev.type !== cur.type;
}

/** The entities of one sentence in any scheme, chunked as conlleval / seqeval (default mode) do. */
export function entities(tags: readonly string[]): Entity[] {
  const out: Entity[] = [];
  let open: Entity | null = null;
  let prev = OUTSIDE;
  for (let i = 0; i < tags.length; i++) {
    const cur = parseTag(tags[i]);
    if (open && endOfChunk(prev, cur)) {
      open.end = i;
      out.push(open);
      open = null;
    }
    if (startOfChunk(prev, cur)) open = { type: cur.type, start: i, end: i + 1 };
    prev = cur;
  }
  if (open) {
    open.end = tags.length;
    out.push(open);
  }
  return out;
}

/**
 * One sentence's tags in BIO (IOB2): each entity as seqeval reads it becomes B-X I-X ... . So IOB1's and IO's
 * entity-initial I-X become B-X, BIOES's S-X / E-X become B-X / I-X (BILOU's U-X / L-X likewise), and in BIO a stray
 * I-X (after O or another type) starts an entity. The chunking is the same for every scheme; `scheme` names what
 * the caller detected, and only the BIOES prefixes depend on it being read as such.
 */
export function toBio(tags: readonly string[], scheme: TagScheme): string[] {
  const out = Array<string>(tags.length).fill('O');
  const input = scheme === 'BIOES' ? tags : tags.map((t) => (/^[ESLU]-/.test(t) ? `I-${t.slice(2)}` : t));
  for (const e of entities(input)) {
    out[e.start] = `B-${e.type}`;
    for (let i = e.start + 1; i < e.end; i++) out[i] = `I-${e.type}`;
  }
  return out;
}

/** Entity types named by these tags (the part after B-/I-/...), sorted. */
export function entityTypes(tags: Iterable<string>): string[] {
  const types = new Set<string>();
  for (const t of tags) {
    const p = parseTag(t);
    if (p.p !== 'O') types.add(p.type);
  }
  return [...types].sort(typeCollator.compare);
}

const typeCollator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** BIO label order for id2label: O first, then B-X, I-X per type alphabetically; anything else last, sorted. */
export function sortBioLabels(labels: Iterable<string>): string[] {
  const rank = (l: string) => (l === 'O' ? 0 : /^[BI]-/.test(l) ? 1 : 2);
  return [...new Set(labels)].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb || ra !== 1) return ra - rb || typeCollator.compare(a, b);
    return typeCollator.compare(a.slice(2), b.slice(2)) || (a[0] === 'B' ? -1 : 1);
  });
}

/**
 * Invalid BIO sequences: an I-X that follows neither B-X nor I-X. seqeval (default mode) and conlleval read such a
 * tag as the start of an entity, and so does toBio; the warning says how many and shows where, so a shifted or
 * mistyped column can be found.
 */
export function validateBio(sentences: readonly TaggedSentence[], maxIssues = 1000): BioCheck {
  const issues: TagIssue[] = [];
  const sink = new WarningSink();
  let count = 0;
  sentences.forEach((s, si) => {
    let prev = OUTSIDE;
    s.tags.forEach((t, ti) => {
      const cur = parseTag(t);
      if (cur.p === 'I' && !continues(prev, cur)) {
        count++;
        if (issues.length < maxIssues)
          issues.push({ sentence: si + 1, row: s.row, token: ti + 1, tag: t, previous: ti === 0 ? null : s.tags[ti - 1] });
        sink.add(NER_INVALID_SEQUENCE, '', s.row);
      }
      prev = cur;
    });
  });
  if (count === 0) return { issues, count, warnings: [] };
  const where = (x: TagIssue) =>
    `sentence ${x.sentence}${x.row !== undefined ? ` (row ${x.row})` : ''}, token ${x.token}: ` +
    `${x.previous === null ? 'start of sentence' : x.previous} → ${x.tag}`;
  const w = sink.list()[0];
  w.message =
    `${count} I- tag${count === 1 ? '' : 's'} did not follow a B- or I- tag of the same type and ` +
    `${count === 1 ? 'was' : 'were'} read as the start of an entity (B-), as seqeval does; for example ` +
    `${issues.slice(0, 3).map(where).join('; ')}`;
  w.count = count;
  w.snippet = where(issues[0]);
  return { issues, count, warnings: [w] };
}

export interface BioConversion {
  /** null when the tags are not entity tags (e.g. part-of-speech); they are then left as they are */
  scheme: TagScheme | null;
  tags: string[][];
  warnings: DataWarning[];
}

/** What the column mapping applies to token-classification data: entity tags of any scheme -> BIO, once. */
export function convertToBio(sentences: readonly TaggedSentence[]): BioConversion {
  const seqs = sentences.map((s) => s.tags);
  if (!isEntityTagging(seqs)) return { scheme: null, tags: seqs.map((t) => [...t]), warnings: [] };
  const scheme = detectScheme(seqs);
  const warnings = scheme === 'BIO' ? validateBio(sentences).warnings : [];
  const tags = seqs.map((t) => toBio(t, scheme));
  if (scheme !== 'BIO') {
    const sink = new WarningSink();
    const note = `The tags use the ${scheme} scheme; they were converted to BIO (IOB2), which training and evaluation use`;
    tags.forEach((t, i) => {
      if (t.some((x, j) => x !== seqs[i][j])) sink.add(NER_SCHEME_CONVERTED, note, sentences[i].row);
    });
    warnings.push(...sink.list());
  }
  return { scheme, tags, warnings };
}
