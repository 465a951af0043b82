// Text for model cards: a small block-style YAML writer whose output both YAML 1.1 readers (PyYAML, huggingface_hub)
// and YAML 1.2 readers (the Hub, js-yaml) read back to the same values, and Markdown table cells that stay one cell.

export type Yaml = string | number | boolean | null | undefined | Yaml[] | { [key: string]: Yaml };

/** Words YAML 1.1 reads as booleans or null when plain: such strings are quoted. */
const RESERVED = /^(?:y|n|yes|no|true|false|on|off|null|~)$/i;
const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

/**
 * A number both YAML versions read back exactly: JavaScript's shortest round-trip form, with a mantissa dot where
 * there is an exponent ("1e-7" → "1.0e-7"), because YAML 1.1 reads "1e-7" as a string. NaN/±Infinity as .nan/.inf.
 */
export function yamlNumber(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
  const s = String(v);
  const i = s.indexOf('e');
  if (i < 0) return s;
  const mantissa = s.slice(0, i);
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}${s.slice(i)}`;
}

/** A scalar: identifiers plain, any other string double-quoted (JSON escapes are valid YAML double-quoted escapes). */
export function yamlScalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return yamlNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
}

function isScalar(v: Yaml): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function lines(v: Yaml, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const item of v) {
      if (item === undefined) continue;
      if (isScalar(item) || (typeof item === 'object' && Object.keys(item).length === 0)) {
        out.push(`${pad}- ${isScalar(item) ? yamlScalar(item) : Array.isArray(item) ? '[]' : '{}'}`);
        continue;
      }
      // the item's block at indent + 2, its first line taking the dash
      const block = lines(item, indent + 2);
      out.push(`${pad}- ${block[0].slice(indent + 2)}`, ...block.slice(1));
    }
    return out;
  }
  if (isScalar(v)) return [`${pad}${yamlScalar(v)}`];
  const out: string[] = [];
  for (const [k, val] of Object.entries(v as Record<string, Yaml>)) {
    if (val === undefined) continue;
    const key = yamlScalar(k);
    if (isScalar(val)) out.push(`${pad}${key}: ${yamlScalar(val)}`);
    else if (Array.isArray(val) ? val.every((x) => x === undefined) : Object.values(val).every((x) => x === undefined))
      out.push(`${pad}${key}: ${Array.isArray(val) ? '[]' : '{}'}`);
    else out.push(`${pad}${key}:`, ...lines(val, indent + 2));
  }
  return out;
}

/** A mapping as block YAML (keys in insertion order, undefined values left out), ending with a newline. */
export function toYaml(v: { [key: string]: Yaml }): string {
  const out = lines(v, 0);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Text as one Markdown table cell / inline text: Markdown's active characters escaped, line breaks as spaces. */
export function mdCell(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/([\\`*_[\]<>|#~])/g, '\\$1');
}

/** A Markdown table; cells are written as given (escape them with mdCell). */
export function mdTable(header: string[], rows: string[][]): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}
