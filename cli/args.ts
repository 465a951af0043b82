// Command-line parsing for `finetune`: each command declares its options once; parsing, validation and help text all
// come from that declaration. Every problem is a UserError naming the option.
import { UserError } from '../lib/errors';

export type OptionType = 'string' | 'int' | 'number' | 'boolean';

export interface OptionSpec {
  /** long name without dashes, e.g. "text-column" */
  name: string;
  type: OptionType;
  help: string;
  required?: boolean;
  choices?: readonly string[];
  /** shown in help; applied by the command, not here */
  defaultText?: string;
  /** for int/number: the smallest allowed value */
  min?: number;
  /** for int/number: the largest allowed value */
  max?: number;
  /** placeholder in help, e.g. FILE */
  meta?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec[];
  /** lines appended to the help, e.g. examples */
  notes?: string[];
  /** options of which at least one must be given (e.g. --data or --text) */
  oneOf?: string[][];
}

export type ParsedOptions = Record<string, string | number | boolean | undefined>;

function parseValue(spec: OptionSpec, raw: string): string | number | boolean {
  const opt = `--${spec.name}`;
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UserError(`"${raw}" is not one of ${spec.choices.join(', ')}`, { option: opt }, `use ${opt} ${spec.choices.join('|')}`);
    }
    return raw;
  }
  if (spec.type === 'boolean') {
    if (raw === 'true' || raw === '1' || raw === 'yes') return true;
    if (raw === 'false' || raw === '0' || raw === 'no') return false;
    throw new UserError(`"${raw}" is not true or false`, { option: opt }, `write ${opt} alone, or ${opt}=false`);
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) {
    throw new UserError(`"${raw}" is not a number`, { option: opt }, `give ${opt} a ${spec.type === 'int' ? 'whole number' : 'number'}`);
  }
  if (spec.type === 'int' && !Number.isInteger(n)) {
    throw new UserError(`"${raw}" is not a whole number`, { option: opt }, `give ${opt} a whole number`);
  }
  if (spec.min !== undefined && n < spec.min) {
    throw new UserError(`${raw} is below the minimum ${spec.min}`, { option: opt }, `give ${opt} a value ≥ ${spec.min}`);
  }
  if (spec.max !== undefined && n > spec.max) {
    throw new UserError(`${opt} ${raw} is over ${spec.max}`, { option: opt }, `give ${opt} a value ≤ ${spec.max}`);
  }
  return n;
}

/** Parses `--name value`, `--name=value` and boolean `--flag`; `-h`/`--help` sets `help`. */
export function parseArgs(cmd: CommandSpec, argv: string[]): ParsedOptions {
  const byName = new Map(cmd.options.map((o) => [o.name, o]));
  const out: ParsedOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--')) {
      throw new UserError(`unexpected argument "${a}"`, { option: a }, `options are written --name value; see finetune ${cmd.name} --help`);
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const spec = byName.get(name);
    if (!spec) {
      const near = closest(name, [...byName.keys()]);
      throw new UserError(
        `unknown option --${name} for "finetune ${cmd.name}"`,
        { option: `--${name}` },
        near ? `did you mean --${near}? (see finetune ${cmd.name} --help)` : `see finetune ${cmd.name} --help`,
      );
    }
    let raw: string;
    if (eq > 0) raw = a.slice(eq + 1);
    else if (spec.type === 'boolean') raw = 'true';
    else {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1].length > 2)) {
        throw new UserError(`option --${name} needs a value`, { option: `--${name}` }, `write --${name} ${spec.meta ?? 'VALUE'}`);
      }
      raw = argv[++i];
    }
    if (out[name] !== undefined) {
      throw new UserError(`option --${name} is given twice`, { option: `--${name}` }, 'give it once');
    }
    out[name] = parseValue(spec, raw);
  }
  if (out.help) return out;
  for (const spec of cmd.options) {
    if (spec.required && out[spec.name] === undefined) {
      throw new UserError(
        `missing required option --${spec.name}`,
        { option: `--${spec.name}` },
        `${spec.help}; see finetune ${cmd.name} --help`,
      );
    }
  }
  for (const group of cmd.oneOf ?? []) {
    const given = group.filter((g) => out[g] !== undefined);
    if (given.length === 0) {
      throw new UserError(
        `one of ${group.map((g) => `--${g}`).join(' or ')} is needed`,
        { option: `--${group[0]}` },
        `see finetune ${cmd.name} --help`,
      );
    }
    if (given.length > 1) {
      throw new UserError(
        `give only one of ${given.map((g) => `--${g}`).join(', ')}`,
        { option: `--${given[1]}` },
        `see finetune ${cmd.name} --help`,
      );
    }
  }
  return out;
}

function closest(name: string, names: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

export function helpText(cmd: CommandSpec): string {
  const lines = [`finetune ${cmd.name} — ${cmd.summary}`, '', `usage: ${cmd.usage}`, '', 'options:'];
  const left = cmd.options.map((o) => `  --${o.name}${o.type === 'boolean' ? '' : ` ${o.meta ?? (o.type === 'string' ? 'VALUE' : 'N')}`}`);
  const width = Math.min(34, Math.max(...left.map((l) => l.length)) + 2);
  cmd.options.forEach((o, i) => {
    let h = o.help;
    if (o.choices) h += ` (${o.choices.join('|')})`;
    if (o.required) h += ' [required]';
    else if (o.defaultText) h += ` [default: ${o.defaultText}]`;
    const l = left[i];
    lines.push(l.length >= width ? `${l}\n${' '.repeat(width)}${h}` : `${l.padEnd(width)}${h}`);
  });
  lines.push('  -h, --help'.padEnd(width) + 'show this help');
  if (cmd.notes?.length) lines.push('', ...cmd.notes);
  return lines.join('\n');
}

/** Typed getters over parsed options (after parseArgs validated the types). */
export function str(o: ParsedOptions, name: string): string | undefined {
  const v = o[name];
  return v === undefined ? undefined : String(v);
}
export function num(o: ParsedOptions, name: string): number | undefined {
  const v = o[name];
  return typeof v === 'number' ? v : undefined;
}
export function bool(o: ParsedOptions, name: string): boolean {
  return o[name] === true;
}
