// Entities drawn inline in their text: each span tinted and underlined in its type's colour, with the type written
// after it (and a confidence, or whether it matches the other side), so that nothing is told by colour alone.
import { Fragment, type ReactNode } from 'react';
import { PALETTE } from '../charts/palette';

export interface Span {
  type: string;
  /** character offsets into the text, end exclusive */
  start: number;
  end: number;
  /** shown after the type, e.g. a confidence */
  note?: string;
  /** compared with the other side (true vs predicted): matches exactly, or not */
  verdict?: { ok: boolean; words: string };
}

/** A colour per entity type, stable across one view (types in a fixed order; Okabe–Ito, then repeating). */
export function typeColours(types: string[]): (type: string) => string {
  const order = [...new Set(types)].sort();
  return (type) => PALETTE[Math.max(0, order.indexOf(type)) % PALETTE.length];
}

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Words joined by single spaces, and word spans [start, end) as character spans of that text. */
export function wordText(words: string[], spans: { type: string; start: number; end: number }[]): { text: string; spans: Span[] } {
  const offsets: number[] = [];
  let at = 0;
  for (const w of words) {
    offsets.push(at);
    at += w.length + 1;
  }
  const endOf = (i: number) => offsets[i] + words[i].length;
  return { text: words.join(' '), spans: spans.map((s) => ({ type: s.type, start: offsets[s.start], end: endOf(s.end - 1) })) };
}

/** `text` with its spans (in order, not overlapping) marked. */
export function EntityText({
  text,
  spans,
  colour,
  testId,
}: {
  text: string;
  spans: Span[];
  colour: (type: string) => string;
  testId?: string;
}) {
  const parts: ReactNode[] = [];
  let at = 0;
  spans.forEach((s, i) => {
    if (s.start > at) parts.push(<Fragment key={`t${i}`}>{text.slice(at, s.start)}</Fragment>);
    const c = colour(s.type);
    parts.push(
      <mark
        key={`e${i}`}
        className={`entity${s.verdict && !s.verdict.ok ? ' entity-wrong' : ''}`}
        style={{ background: rgba(c, 0.16), borderBottomColor: c }}
        data-type={s.type}
      >
        {text.slice(s.start, s.end)}
        <span className="entity-type" style={{ borderColor: c }}>
          {s.type}
          {s.note && <span className="entity-note"> {s.note}</span>}
          {s.verdict && (
            <>
              <span aria-hidden="true"> {s.verdict.ok ? '✓' : '✗'}</span>
              <span className="sr-only"> ({s.verdict.words})</span>
            </>
          )}
        </span>
      </mark>,
    );
    at = s.end;
  });
  if (at < text.length) parts.push(<Fragment key="tail">{text.slice(at)}</Fragment>);
  return (
    <span className="entity-text" data-testid={testId}>
      {parts}
    </span>
  );
}
