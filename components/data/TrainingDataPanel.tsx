'use client';
// Imbalance and augmentation options for a stored dataset: class weights, over-/under-sampling (train split only),
// augmentation with a seeded preview, k-fold assignment. Every change is summarised by the engine and kept for runs.
import { useEffect, useRef, useState } from 'react';
import { engine } from '../engine-client';
import { ErrorNote, Help, fmtCount, toErrorInfoUI } from '../ui';
import type { ErrorInfo } from '@/lib/errors';
import type { AugmentTransform } from '@/lib/data/augment';
import type { TrainingDataOptions, TrainingDataSummary } from '@/lib/session/types';

const TRANSFORMS: { id: AugmentTransform; label: string; help: string }[] = [
  { id: 'swap', label: 'Random swap', help: 'swaps two words' },
  { id: 'delete', label: 'Random deletion', help: 'drops about one word in ten' },
  { id: 'insert', label: 'Random insertion', help: 'inserts a frequent word from the training texts' },
];

export function TrainingDataPanel({ datasetId }: { datasetId: string }) {
  const [options, setOptions] = useState<TrainingDataOptions | null>(null);
  const [summary, setSummary] = useState<TrainingDataSummary | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);

  const ask = async (o: TrainingDataOptions | undefined, save: boolean) => {
    const mine = ++seq.current;
    setBusy(true);
    try {
      const e = engine();
      const ev = await e.request(
        { type: 'dataset-training-data', requestId: e.nextId('td'), datasetId, options: o, save },
        'dataset-training-data-result',
      );
      if (mine !== seq.current) return;
      setSummary(ev.summary);
      setError(null);
      if (!o) setOptions(ev.summary.options);
    } catch (err) {
      if (mine === seq.current) setError(toErrorInfoUI(err));
    } finally {
      if (mine === seq.current) setBusy(false);
    }
  };

  useEffect(() => {
    setOptions(null);
    setSummary(null);
    void ask(undefined, false);
  }, [datasetId]);

  const change = (patch: Partial<TrainingDataOptions>) => {
    if (!options) return;
    const o = { ...options, ...patch, augment: { ...options.augment, ...patch.augment } };
    setOptions(o);
    void ask(o, true);
  };

  if (!options) {
    return (
      <section className="panel" aria-labelledby="td-h">
        <h3 id="td-h">Training data</h3>
        <p className="muted">Reading the dataset…</p>
        <ErrorNote error={error} />
      </section>
    );
  }
  const c = summary?.counts;
  const ner = summary?.task === 'token-classification';
  return (
    <section className="panel" aria-labelledby="td-h" data-testid="training-data" aria-busy={busy}>
      <h3 id="td-h">{ner ? 'Training data' : 'Training data: imbalance and augmentation'}</h3>
      <p className="muted small">
        These settings are kept with the dataset and apply to every run that trains on it; validation and test rows are never resampled or
        augmented.
      </p>

      {ner ? (
        <p className="small" data-testid="ner-training-data">
          Named entities: class weights, resampling and augmentation work on a row&apos;s label and text, not on its words and tags, so they
          are off for this dataset; every training sentence is used once per epoch.
        </p>
      ) : (
        <>
          <fieldset className="grid-form">
            <legend>Class imbalance</legend>
            <label className="check">
              <input type="checkbox" checked={options.classWeights} onChange={(e) => change({ classWeights: e.target.checked })} />
              Class weights (inverse frequency)
            </label>
            <label>
              Weight smoothing
              <input
                type="number"
                min={0}
                step={1}
                value={options.smoothing}
                disabled={!options.classWeights}
                onChange={(e) => change({ smoothing: Number(e.target.value) })}
              />
            </label>
            <Help>
              Class weights make each mistake on a rare class cost more in the loss (weight ∝ 1 / (count + smoothing)); smoothing above 0
              softens the weights of very rare classes.
            </Help>
            <label>
              Resampling (training split only)
              <select value={options.balance} onChange={(e) => change({ balance: e.target.value as TrainingDataOptions['balance'] })}>
                <option value="none">None</option>
                <option value="oversample">Random over-sampling</option>
                <option value="undersample">Random under-sampling</option>
              </select>
            </label>
            <Help>
              Over-sampling repeats random rows of smaller classes until every class matches the largest; under-sampling drops random rows
              of larger classes down to the smallest.
            </Help>
          </fieldset>

          <fieldset className="grid-form">
            <legend>Augmentation (training split only)</legend>
            {options.augment.multiplier <= 1 && (
              <p className="small" data-testid="augment-off">
                Augmentation is off (multiplier 1): set the multiplier above 1 to train on transformed copies.
              </p>
            )}
            {TRANSFORMS.map((t) => (
              <label className="check" key={t.id}>
                <input
                  type="checkbox"
                  disabled={options.augment.multiplier <= 1}
                  checked={options.augment.multiplier > 1 && options.augment.transforms.includes(t.id)}
                  onChange={(e) => {
                    const set = new Set(options.augment.transforms);
                    if (e.target.checked) set.add(t.id);
                    else set.delete(t.id);
                    change({ augment: { ...options.augment, transforms: TRANSFORMS.map((x) => x.id).filter((x) => set.has(x)) } });
                  }}
                />
                {t.label} <span className="muted small">({t.help})</span>
              </label>
            ))}
            <label>
              Multiplier
              <input
                type="number"
                min={1}
                max={20}
                step={1}
                value={options.augment.multiplier}
                onChange={(e) => change({ augment: { ...options.augment, multiplier: Number(e.target.value) } })}
              />
            </label>
            <label>
              Augmentation seed
              <input
                type="number"
                min={0}
                step={1}
                value={options.augment.seed}
                onChange={(e) => change({ augment: { ...options.augment, seed: Number(e.target.value) } })}
              />
            </label>
            <Help>
              A multiplier of 3 adds two transformed copies of every training row (labels unchanged); 1 turns augmentation off, and the same
              seed always gives the same copies.
            </Help>
          </fieldset>
        </>
      )}

      <fieldset className="grid-form">
        <legend>Cross-validation</legend>
        <label>
          k-fold assignment (0 = off)
          <input
            type="number"
            min={0}
            max={20}
            step={1}
            value={options.folds}
            onChange={(e) => change({ folds: Number(e.target.value) })}
          />
        </label>
        <Help>
          Assigns every row to one of k stratified folds (same label mix in each, from the split seed), so each fold can serve once as
          validation data.
        </Help>
      </fieldset>

      <ErrorNote error={error} testId="training-data-error" />
      {c && (
        <p role="status" data-testid="train-count">
          Training rows: <strong>{fmtCount(c.train)}</strong>
          {c.train !== c.trainOriginal && <> (from {fmtCount(c.trainOriginal)})</>} · validation {fmtCount(c.validation)} · test{' '}
          {fmtCount(c.test)}
        </p>
      )}
      {summary?.classWeights && (
        <p data-testid="class-weights">Loss weights: {summary.classWeights.map((w) => `${w.label} ${w.weight.toFixed(2)}`).join(' · ')}</p>
      )}
      {summary?.folds && <p data-testid="folds">Rows per fold: {summary.folds.map(fmtCount).join(' · ')}</p>}
      {summary && options.augment.multiplier > 1 && summary.preview.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Augmented examples (preview)">
          <table className="data-table" data-testid="augment-preview">
            <caption className="muted small">
              Preview: what the chosen transforms do to random training rows (seed {options.augment.seed})
            </caption>
            <thead>
              <tr>
                <th scope="col">Transform</th>
                <th scope="col">Original</th>
                <th scope="col">Augmented</th>
                <th scope="col">Label</th>
              </tr>
            </thead>
            <tbody>
              {summary.preview.map((p, i) => (
                <tr key={i}>
                  <td>{TRANSFORMS.find((t) => t.id === p.transform)?.label ?? p.transform}</td>
                  <td>{p.original.length > 160 ? `${p.original.slice(0, 160)}…` : p.original}</td>
                  <td data-testid="augmented-text">{p.augmented.length > 160 ? `${p.augmented.slice(0, 160)}…` : p.augmented}</td>
                  <td>{p.label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
