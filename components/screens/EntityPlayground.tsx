'use client';
// The Playground for a named-entity run: type a text and see its entities highlighted inline, each with its type and
// confidence, and listed in a table (debounced; the model runs in the worker).
import { useEffect, useRef, useState } from 'react';
import { engine } from '../engine-client';
import { ErrorNote, pct, toErrorInfoUI, TryText } from '../ui';
import { EntityText, typeColours } from '../evaluate/EntitySpans';
import type { ErrorInfo } from '@/lib/errors';
import type { PredictedEntity, RunRecord } from '@/lib/session/types';

const DEBOUNCE_MS = 250;

/** The entity types of a run's BIO tags (B-PER, I-PER -> PER), for stable colours. */
const typesOf = (labels: string[]) => [...new Set(labels.filter((l) => l !== 'O').map((l) => l.replace(/^[BIES]-/, '')))];

export function EntityPlayground({ run }: { run: RunRecord }) {
  const [text, setText] = useState('');
  const [found, setFound] = useState<{ text: string; entities: PredictedEntity[] } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const latest = useRef(0);
  const colour = typeColours(typesOf(run.labels));

  useEffect(() => {
    if (!text.trim()) {
      setFound(null);
      return;
    }
    const id = ++latest.current;
    const t = setTimeout(async () => {
      setBusy(true);
      try {
        const e = engine();
        const ev = await e.request({ type: 'predict-entities', requestId: e.nextId('ents'), runId: run.id, text }, 'entities');
        if (id === latest.current) {
          setFound({ text: ev.text, entities: ev.entities });
          setError(null);
        }
      } catch (err) {
        if (id === latest.current) setError(toErrorInfoUI(err));
      } finally {
        if (id === latest.current) setBusy(false);
      }
    }, DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, run.id]);

  return (
    <section className="panel" aria-labelledby="try-h">
      <TryText value={text} onChange={setText} placeholder="Type or paste a text to find its named entities…" />
      <ErrorNote error={error} testId="predict-error" />
      <div aria-live="polite" data-testid="entities" aria-busy={busy}>
        {found && found.entities.length === 0 && <p className="muted">No entities found.</p>}
        {found && found.entities.length > 0 && (
          <>
            <p className="entity-line">
              <EntityText
                text={found.text}
                spans={found.entities.map((e) => ({ ...e, note: pct(e.score) }))}
                colour={colour}
                testId="entity-text"
              />
            </p>
            <div className="table-wrap" tabIndex={0} role="region" aria-label="Entities found">
              <table className="data-table" data-testid="entity-list">
                <thead>
                  <tr>
                    <th scope="col">Entity</th>
                    <th scope="col">Type</th>
                    <th scope="col">Confidence</th>
                    <th scope="col">Characters</th>
                  </tr>
                </thead>
                <tbody>
                  {found.entities.map((e) => (
                    <tr key={`${e.start}:${e.end}`}>
                      <th scope="row">{e.text}</th>
                      <td>{e.type}</td>
                      <td>{pct(e.score)}</td>
                      <td>
                        {e.start}–{e.end}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </div>
      <p className="help muted small entity-help">
        The text is split into words as CoNLL files are (punctuation apart); each word gets the tag of its first piece, and an entity&apos;s
        confidence is the mean probability of its tags.
      </p>
    </section>
  );
}
