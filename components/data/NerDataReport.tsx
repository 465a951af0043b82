'use client';
// The Data screen's report for named entities: entities per type, sentence lengths in words, and how many sentences
// are longer than the max length (read in overlapping windows, so no tag is lost).
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { fmtCount, pct } from '../ui';
import { PALETTE } from '../charts/palette';
import type { NerDataReport as NerData } from '@/lib/session/types';

/** Entities per type as a bar chart (for the chart pair of the report). */
export function EntityTypeChart({ ner }: { ner: NerData }) {
  return (
    <figure>
      <figcaption>Entities per type</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={ner.entityCounts.slice(0, 40)} margin={{ left: 8, right: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
          <XAxis dataKey="type" stroke="var(--muted)" tick={{ fontSize: 12 }} />
          <YAxis stroke="var(--muted)" tick={{ fontSize: 12 }} allowDecimals={false} />
          <Tooltip contentStyle={{ background: 'var(--panel)', color: 'var(--fg)' }} />
          <Bar dataKey="count" fill={PALETTE[2]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export function NerDataReport({ ner }: { ner: NerData }) {
  const total = ner.entityCounts.reduce((a, c) => a + c.count, 0);
  const over = ner.overMaxLength;
  return (
    <div data-testid="ner-report">
      <dl className="stats">
        <div>
          <dt>Entities ({ner.entityCounts.length} types)</dt>
          <dd>{fmtCount(total)}</dd>
        </div>
        <div>
          <dt>Sentences without entities</dt>
          <dd>{fmtCount(ner.sentencesWithoutEntities)}</dd>
        </div>
        <div>
          <dt>Words per sentence (median / p95 / max)</dt>
          <dd>
            {ner.words.median} / {ner.words.p95} / {ner.words.max}
          </dd>
        </div>
        {over && (
          <div data-testid="ner-over-max">
            <dt>Sentences over {over.maxLength} tokens</dt>
            <dd>
              {fmtCount(over.count)} <span className="small muted">({pct(over.count / Math.max(1, over.checked))})</span>
            </dd>
          </div>
        )}
      </dl>
      {over && over.count > 0 && (
        <p className="small muted">
          A sentence longer than the max length is read in overlapping windows of {over.maxLength} tokens, each word scored once: nothing is
          cut off, but long sentences train and predict more slowly.
          {over.checked < ner.sentences && ` Counted on ${fmtCount(over.checked)} evenly spaced sentences.`}
        </p>
      )}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Entities per type">
        <table className="data-table" data-testid="entity-counts">
          <thead>
            <tr>
              <th scope="col">Entity type</th>
              <th scope="col">Entities</th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {ner.entityCounts.map((c) => (
              <tr key={c.type}>
                <th scope="row">{c.type}</th>
                <td>{fmtCount(c.count)}</td>
                <td>{pct(c.count / Math.max(1, total))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
