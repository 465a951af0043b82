// A run configuration as text: the equivalent `npx finetune train` command, and a readable side-by-side of several
// configs (the Runs screen's comparison).
import { MODE_WORD, modelWord, PRESETS, type ModeName, type ModelSpec, type PresetName, type RunConfig } from './config';
import { FIELDS } from './fields';

function modelArg(m: ModelSpec): string {
  switch (m.kind) {
    case 'bundled':
      return 'use-lite';
    case 'hub':
      return m.id;
    case 'folder':
      return `./${m.name}`;
    case 'run':
      return `./runs/${m.runId}`;
  }
}

function modeArg(c: RunConfig): string {
  switch (c.mode) {
    case 'freeze':
      return `freeze:${c.freezeLayers}`;
    case 'lora':
      return `lora:${c.loraRank}`;
    default:
      return c.mode;
  }
}

const sh = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The same run from the command line (the dataset exported as CSV with the mapped columns). */
export function cliCommand(
  c: RunConfig,
  data: { file: string; textColumn: string; pairColumn?: string; labelColumn: string; ner?: boolean },
): string {
  const parts = ['npx finetune train', `--data ${sh(data.file)}`, `--text-column ${sh(data.textColumn)}`];
  if (data.pairColumn) parts.push(`--text-pair-column ${sh(data.pairColumn)}`);
  // named entities: the data's tags column; the config's task field has no NER value (the data decides it)
  if (data.ner) parts.push(`--tags-column ${sh(data.labelColumn)}`, '--task ner');
  else parts.push(`--label-column ${sh(data.labelColumn)}`);
  if (!data.ner && c.task !== 'classification') parts.push(`--task ${c.task}`);
  parts.push(`--model ${sh(modelArg(c.model))}`);
  if (c.model.kind === 'hub' && c.model.endpoint) parts.push(`--hub-endpoint ${sh(c.model.endpoint)}`);
  if (c.model.kind === 'hub' && c.model.revision && c.model.revision !== 'main') parts.push(`--revision ${sh(c.model.revision)}`);
  parts.push(`--mode ${modeArg(c)}`);
  // every setting written out: the CLI's defaults are fitted to the data it reads, so only explicit values are exact
  for (const f of FIELDS) {
    if (!f.cli) continue;
    if (f.modes && !f.modes.includes(c.mode)) continue;
    parts.push(`${f.cli} ${c[f.key]}`);
  }
  parts.push(`--schedule ${c.schedule}`);
  parts.push(c.classWeights ? '--class-weights' : '--class-weights=false');
  if (c.multilabelThreshold !== undefined) parts.push(`--threshold ${c.multilabelThreshold}`);
  if (c.maxSteps) parts.push(`--max-steps ${c.maxSteps}`);
  if (c.maxTrainRows) parts.push(`--max-train-rows ${c.maxTrainRows}`);
  if (c.threads) parts.push(`--threads ${c.threads}`);
  if (data.ner && c.labelAllSubwords) parts.push('--label-all-subwords');
  parts.push('--out ./runs/' + sh(c.name.replace(/[^\w.-]+/g, '-').toLowerCase() || 'run'));
  return parts.join(' \\\n  ');
}

export interface DiffRow {
  key: string;
  /** the setting's name as the Train screen shows it */
  label: string;
  values: string[];
  differs: boolean;
}

const OTHER_LABELS: Record<string, string> = {
  preset: 'Preset',
  model: 'Model',
  mode: 'Mode',
  schedule: 'Schedule',
  classWeights: 'Class weights',
  threads: 'Threads',
};
const DIFF_HIDDEN = new Set(['name', 'datasetId', 'recipe', 'fold']);
const LORA_KEYS = new Set(['loraRank', 'loraAlpha', 'loraDropout', 'loraTargets']);

function readable(key: string, v: unknown): string {
  if (v === undefined) return '—';
  if (key === 'model') return modelWord(v as ModelSpec) + ((v as ModelSpec).kind === 'bundled' ? ' (bundled)' : '');
  if (key === 'preset') return PRESETS[v as PresetName]?.title ?? String(v);
  if (key === 'mode') return MODE_WORD[v as ModeName] ?? String(v);
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (Array.isArray(v)) return v.join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Config diff table: readable values, only the settings that apply to these runs' modes, differing rows first. */
export function diffConfigs(configs: RunConfig[]): DiffRow[] {
  const keys = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c)) keys.add(k);
  const modes = new Set(configs.map((c) => c.mode));
  const labels = new Map<string, string>(FIELDS.map((f) => [f.key, f.label]));
  const rows = [...keys]
    .filter((k) => !DIFF_HIDDEN.has(k))
    .filter((k) =>
      LORA_KEYS.has(k)
        ? modes.has('lora')
        : k === 'freezeLayers'
          ? modes.has('freeze')
          : k === 'headLrMultiplier'
            ? [...modes].some((m) => m !== 'head')
            : k === 'headFirstEpochs'
              ? modes.has('full') || modes.has('freeze')
              : k === 'contrastiveRounds'
                ? modes.has('head')
                : true,
    )
    .map((k) => {
      const values = configs.map((c) => readable(k, (c as unknown as Record<string, unknown>)[k]));
      return { key: k, label: labels.get(k) ?? OTHER_LABELS[k] ?? k, values, differs: new Set(values).size > 1 };
    });
  return [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)];
}
