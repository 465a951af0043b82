'use client';
// The test sentences with wrong entities: each drawn twice, with its true and its predicted entities inline, every
// entity marked as matching the other side exactly (✓) or not (✗, with the reason for screen readers).
import { useMemo, useState } from 'react';
import type { NerSentence } from '@/lib/protocol';
import { entitiesOf, type Entity } from '@/lib/train/ner-metrics';
import { EntityText, wordText, type Span } from './EntitySpans';

const PAGE = 25;
const key = (e: Entity) => `${e.start}:${e.end}:${e.type}`;

/** One side's entities as character spans, each with whether the other side has it exactly. */
function side(s: NerSentence, mine: Entity[], other: Entity[], ok: string, notOk: string): { text: string; spans: Span[] } {
  const theirs = new Set(other.map(key));
  const { text, spans } = wordText(s.words, mine);
  return {
    text,
    spans: spans.map((sp, i) => ({ ...sp, verdict: theirs.has(key(mine[i])) ? { ok: true, words: ok } : { ok: false, words: notOk } })),
  };
}

export function NerSentences({
  sentences,
  types,
  colour,
}: {
  sentences: NerSentence[];
  types: string[];
  colour: (type: string) => string;
}) {
  const [type, setType] = useState('');
  const [shown, setShown] = useState(PAGE);
  const drawn = useMemo(
    () =>
      sentences.map((s) => {
        const t = entitiesOf(s.trueTags),
          p = entitiesOf(s.predicted);
        return { s, t, p, truth: side(s, t, p, 'found', 'missed'), pred: side(s, p, t, 'correct', 'wrong') };
      }),
    [sentences],
  );
  const matching = type ? drawn.filter((d) => [...d.t, ...d.p].some((e) => e.type === type)) : drawn;
  return (
    <section className="panel" aria-labelledby="wrong-h">
      <div className="row spread">
        <h3 id="wrong-h">Sentences with wrong entities ({sentences.length})</h3>
        <label className="row">
          Entity type
          <select
            value={type}
            onChange={(e) => {
              setType(e.target.value);
              setShown(PAGE);
            }}
          >
            <option value="">All</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
      {sentences.length === 0 ? (
        <p className="muted">Every test entity was found with its exact words and type.</p>
      ) : (
        <ol className="ner-sentences" data-testid="wrong-sentences">
          {matching.slice(0, shown).map(({ s, truth, pred }, i) => (
            <li key={`${s.row ?? ''}:${i}`}>
              <p className="small muted">
                {s.row !== undefined && `Row ${s.row} · `}
                {s.wrong} wrong {s.wrong === 1 ? 'entity' : 'entities'}
              </p>
              <p className="ner-line">
                <span className="ner-side">True</span>
                <EntityText text={truth.text} spans={truth.spans} colour={colour} />
              </p>
              <p className="ner-line">
                <span className="ner-side">Predicted</span>
                <EntityText text={pred.text} spans={pred.spans} colour={colour} />
              </p>
            </li>
          ))}
        </ol>
      )}
      {matching.length > shown && (
        <button type="button" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, matching.length - shown)} more of {matching.length - shown}
        </button>
      )}
      {sentences.length >= 200 && <p className="small muted">The 200 sentences with the most wrong entities are listed.</p>}
    </section>
  );
}
