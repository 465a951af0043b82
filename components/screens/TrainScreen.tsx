'use client';
// Train: three presets, every setting explained (default and range), fine-tuning mode, save/load the config as JSON,
// the equivalent command line, and Start.
import { useEffect, useState, type ReactNode } from 'react';
import { engine } from '../engine-client';
import { useStudio } from '../state/studio';
import { startRunAndShow } from '../start-run';
import { useRecipeFacts } from '../fitted-config';
import { useShallow } from 'zustand/react/shallow';
import { ErrorNote, Help, download, toErrorInfoUI } from '../ui';
import { formatDuration } from '@/lib/run/duration';
import { vocabularyWarning } from '@/lib/run/facts';
import { useDatasets } from '../stored';
import type { ErrorInfo } from '@/lib/errors';
import type { ColumnMapping } from '@/lib/session/types';
import { PRESETS, autoRunName, type ModeName, type PresetName, type RecipeFacts, type RunConfig } from '@/lib/run/config';
import { cliCommand } from '@/lib/run/config-text';
import { FIELDS, MODE_HELP, fieldHelp, validateConfig } from '@/lib/run/fields';

const cores = () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1;

function threadsHelp(mode: ModeName): string {
  const what =
    mode === 'head'
      ? 'encode the texts (and split the contrastive pairs, when on)'
      : 'split each batch (each holds a copy of the model; results match across thread counts)';
  return `Workers that ${what}; empty or 0 = every core (${cores()} here), fewer when memory is short; 1 to ${cores() * 4}.`;
}

export function TrainScreen() {
  const { config, setConfig, replaceConfig, datasetId, model, mapping, setScreen } = useStudio(
    useShallow((s) => ({
      config: s.config,
      setConfig: s.setConfig,
      replaceConfig: s.replaceConfig,
      datasetId: s.datasetId,
      model: s.model,
      mapping: s.mapping,
      setScreen: s.setScreen,
    })),
  );
  const datasets = useDatasets();
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [estimate, setEstimate] = useState<{ text: string; key: string } | 'measuring' | null>(null);
  const preset = config.preset ?? null;
  const dataset = datasets.find((d) => d.id === (config.datasetId || datasetId));
  const dsId = config.datasetId || datasetId || '';

  const { facts, dataFacts, folds, fitPreset, runConfig } = useRecipeFacts();
  const factsKey = JSON.stringify(facts);
  // the dataset's mapping decides the task (the form has no NER choice): say so, and what ranks the runs
  const ner = !!dsId && dataFacts.task === 'token-classification';
  // texts the model's vocabulary mostly does not know (another script): training cannot fix that, a model can
  const unreadable = dsId && model ? vocabularyWarning(facts) : null;

  // a mode picked over an untouched preset takes that mode's recipe at the preset's budget (the head-only values of a
  // small-data Balanced would be far too large a rate for full fine-tuning); over hand-edited settings only the mode
  const changeMode = (mode: ModeName) => {
    const freezeLayers = mode === 'freeze' ? Math.max(1, config.freezeLayers) : config.freezeLayers;
    if (!config.preset) return setConfig({ mode, freezeLayers });
    replaceConfig({ ...fitPreset(config.preset, facts, mode), mode, freezeLayers, preset: undefined });
  };
  const usePreset = (p: PresetName) => replaceConfig(fitPreset(p));
  // a preset follows the data and model it is fitted to until a setting is changed by hand
  useEffect(() => {
    if (!config.preset) return;
    const fitted = fitPreset(config.preset, JSON.parse(factsKey) as RecipeFacts);
    if (
      FIELDS.some((f) => fitted[f.key] !== config[f.key]) ||
      fitted.mode !== config.mode ||
      fitted.classWeights !== config.classWeights ||
      JSON.stringify(fitted.recipe) !== JSON.stringify(config.recipe)
    ) {
      replaceConfig(fitted);
    }
  }, [factsKey, config, dsId, model, replaceConfig]);

  const start = async () => {
    setError(null);
    setBusy(true);
    try {
      await startRunAndShow(validateConfig((await runConfig()).run));
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setBusy(false);
    }
  };

  const crossValidate = async () => {
    setError(null);
    setBusy(true);
    try {
      const c = validateConfig((await runConfig()).run);
      const e = engine();
      await e.request({ type: 'cv-start', requestId: e.nextId('cv'), base: c }, 'sweep-started');
      setScreen('runs');
    } catch (err) {
      setError(toErrorInfoUI(err));
    } finally {
      setBusy(false);
    }
  };

  const estimateKey = JSON.stringify({ ...config, name: '' });
  const measure = async () => {
    setError(null);
    setEstimate('measuring');
    try {
      const { run, form } = await runConfig();
      const c = validateConfig(run);
      const e = engine();
      const { estimate: est } = await e.request({ type: 'run-estimate', requestId: e.nextId('est'), config: c }, 'run-estimate-result');
      const parts = [`${est.steps.toLocaleString('en')} steps × ${est.perStepSec.toFixed(2)} s`];
      if (est.featureSec !== undefined)
        parts.unshift(`encoding the texts once ${formatDuration(est.featureSec)}${est.threads > 1 ? ` on ${est.threads} threads` : ''}`);
      if (est.evalSec) parts.push(`${est.evals} validation passes ${formatDuration(est.evalSec)}`);
      if (est.pairSec !== undefined) parts.unshift(`tuning the encoder on contrastive pairs ${formatDuration(est.pairSec)}`);
      if (est.baselineSec !== undefined) parts.unshift(`the word-count baseline ${formatDuration(est.baselineSec)}`);
      setEstimate({
        key: JSON.stringify({ ...form, name: '' }),
        text:
          `About ${formatDuration(est.seconds)} on this device: ${parts.join(', ')}. Measured: ${est.basis}.` +
          (est.mayStopEarly ? ' Early stopping can end the run sooner.' : ''),
      });
    } catch (err) {
      setEstimate(null);
      setError(toErrorInfoUI(err));
    }
  };

  const loadJson = async (f: File) => {
    setError(null);
    try {
      const parsed = JSON.parse(await f.text());
      replaceConfig(validateConfig(parsed, f.name));
    } catch (err) {
      setError(
        err instanceof SyntaxError
          ? {
              kind: 'user',
              message: `This file is not valid JSON: ${err.message}`,
              where: { file: f.name },
              fix: 'Load a file saved with "Save config".',
            }
          : toErrorInfoUI(err),
      );
    }
  };

  const missing = !(config.datasetId || datasetId)
    ? 'Import or pick a dataset on the Data screen first.'
    : !model
      ? 'Load a model on the Model screen first.'
      : null;

  return (
    <div className="stack">
      <section className="panel" aria-labelledby="presets-h">
        <h3 id="presets-h">Preset</h3>
        <div className="presets" role="radiogroup" aria-label="Preset">
          {(Object.keys(PRESETS) as PresetName[]).map((p) => (
            <button
              key={p}
              type="button"
              role="radio"
              aria-checked={preset === p}
              className={`preset ${preset === p ? 'current' : ''}`}
              onClick={() => usePreset(p)}
            >
              <strong>{PRESETS[p].title}</strong>
              <span className="small">{PRESETS[p].blurb}</span>
            </button>
          ))}
        </div>
        {ner && (
          <p className="small" data-testid="train-task">
            This dataset is tagged for <strong>named entities</strong>: the model learns one BIO tag per word, and runs are ranked by entity
            F1 (exact span and type) on the validation split.{' '}
            <label className="check">
              <input
                type="checkbox"
                checked={!!config.labelAllSubwords}
                onChange={(e) => setConfig({ labelAllSubwords: e.target.checked || undefined })}
              />{' '}
              Train every sub-word of a word on its tag (default: the first sub-word only; scores always read the first)
            </label>
          </p>
        )}
        {unreadable && (
          <ul className="warnings" aria-label="Warnings" data-testid="vocabulary-warning">
            <li>{unreadable}</li>
          </ul>
        )}
        {!preset && (
          <p className="muted small">Custom settings: a setting was changed by hand (pick a preset to start from its recipe again).</p>
        )}
        {config.recipe && (
          <div className="small" data-testid="recipe">
            <p>
              From the recipe <strong>{config.recipe.title}</strong> ({config.recipe.source}), fitted to this data:
            </p>
            {config.recipe.why.length > 0 ? (
              <ul>
                {config.recipe.why.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            ) : (
              <p className="muted">Pick a dataset and load a model to fit epochs and max length to them.</p>
            )}
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="settings-h">
        <h3 id="settings-h">Settings</h3>
        <div className="grid-form">
          <Field id="f-name" label="Run name">
            <input
              id="f-name"
              value={config.name}
              placeholder={`Automatic: ${autoRunName(config, [])}`}
              onChange={(e) => setConfig({ name: e.target.value })}
            />
          </Field>
          <Field id="f-mode" label="Fine-tuning mode" help={MODE_HELP[config.mode]}>
            <select id="f-mode" aria-describedby="f-mode-help" value={config.mode} onChange={(e) => changeMode(e.target.value as ModeName)}>
              <option value="head">Head only</option>
              <option value="freeze">Freeze N layers</option>
              <option value="full">Full</option>
              <option value="lora">LoRA</option>
            </select>
          </Field>
          <Field
            id="f-schedule"
            label="Schedule"
            help="How the learning rate changes over the run; linear decay is the usual choice (default)."
          >
            <select
              id="f-schedule"
              aria-describedby="f-schedule-help"
              value={config.schedule}
              onChange={(e) => setConfig({ schedule: e.target.value as RunConfig['schedule'] })}
            >
              <option value="constant">Constant</option>
              <option value="linear">Linear warm-up, then linear decay</option>
              <option value="cosine">Cosine</option>
            </select>
          </Field>
          {FIELDS.filter((f) => !f.modes || f.modes.includes(config.mode)).map((f) => (
            <Field key={f.key} id={`f-${f.key}`} label={f.label} help={fieldHelp(f, config, facts)}>
              <input
                id={`f-${f.key}`}
                aria-describedby={`f-${f.key}-help`}
                type="number"
                min={f.min}
                max={f.max}
                step={f.key === 'learningRate' ? 'any' : f.step}
                value={config[f.key]}
                onChange={(e) => setConfig({ [f.key]: e.target.value === '' ? 0 : Number(e.target.value) } as Partial<RunConfig>)}
              />
            </Field>
          ))}
          <div className="field">
            <label className="check">
              <input
                type="checkbox"
                aria-describedby="f-cw-help"
                checked={config.classWeights}
                onChange={(e) => setConfig({ classWeights: e.target.checked })}
              />
              Class weights
            </label>
            <span id="f-cw-help" className="help muted small">
              Weights the loss by inverse label frequency, for imbalanced data (default off).
            </span>
          </div>
          <Field id="f-threads" label="Threads" help={threadsHelp(config.mode)}>
            <input
              id="f-threads"
              aria-describedby="f-threads-help"
              type="number"
              min={0}
              max={cores() * 4}
              step={1}
              placeholder={`Auto: ${cores()}`}
              value={config.threads || ''}
              onChange={(e) => setConfig({ threads: e.target.value === '' ? 0 : Number(e.target.value) })}
            />
          </Field>
        </div>
      </section>

      <section className="panel" aria-labelledby="cfg-h">
        <h3 id="cfg-h">Configuration file and command line</h3>
        <div className="row">
          <button
            type="button"
            onClick={() =>
              download(`${config.name.replace(/[^\w.-]+/g, '-') || 'run'}.json`, JSON.stringify(config, null, 2), 'application/json')
            }
          >
            Save config
          </button>
          <label className="button" htmlFor="cfg-file">
            Load config…
          </label>
          <input
            id="cfg-file"
            className="visually-hidden-input"
            type="file"
            accept=".json,application/json"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void loadJson(f);
              e.target.value = '';
            }}
          />
        </div>
        <p className="small">
          The same run from a terminal ({ner ? 'with the CoNLL file you imported' : 'export the dataset as CSV first'}):
        </p>
        <pre className="code" data-testid="cli-command" tabIndex={0} aria-label="Equivalent command">
          {commandLine(config, dataset?.name, mapping, ner)}
        </pre>
      </section>

      <ErrorNote error={error} testId="train-error" />
      <div className="row">
        <button type="button" className="primary big" onClick={() => void start()} disabled={busy || !!missing}>
          Start training
        </button>
        <button type="button" onClick={() => void measure()} disabled={busy || !!missing || estimate === 'measuring'}>
          Estimate time
        </button>
        {folds >= 2 ? (
          <button type="button" onClick={() => void crossValidate()} disabled={busy || !!missing}>
            Cross-validate ({folds} folds)
          </button>
        ) : (
          !missing && <Help>To cross-validate these settings, set k-fold on the Data screen (Training data).</Help>
        )}
        {missing && <Help>{missing}</Help>}
      </div>
      <p className="small" data-testid="run-estimate" aria-live="polite">
        {estimate === 'measuring'
          ? 'Timing a few training steps on this device…'
          : estimate && estimate.key === estimateKey
            ? estimate.text
            : !missing && 'Estimate time times a few real training steps of this run here (seconds) and scales them to the whole run.'}
      </p>
    </div>
  );
}

/** The equivalent `finetune train` command; for NER the file's tokens and tags columns with --task ner (the form's
 *  config has no NER task: the data decides it). */
function commandLine(config: RunConfig, datasetName: string | undefined, mapping: ColumnMapping | null, ner: boolean): string {
  const base = datasetName?.replace(/\.\w+$/, '') ?? 'data';
  if (!ner)
    return cliCommand(config, {
      file: `${base}.csv`,
      textColumn: mapping?.text ?? 'text',
      pairColumn: mapping?.textPair,
      labelColumn: mapping?.label?.[0] ?? 'label',
    });
  const tokenMapping = mapping?.task === 'token-classification' ? mapping : null;
  return cliCommand(config, {
    file: `${base}.conll`,
    textColumn: tokenMapping?.text ?? 'tokens',
    labelColumn: tokenMapping?.tags ?? 'tags',
    ner: true,
  });
}

function Field({ id, label, help, children }: { id: string; label: string; help?: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {help && (
        <span id={`${id}-help`} className="help muted small">
          {help}
        </span>
      )}
    </div>
  );
}
