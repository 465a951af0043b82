// Errors people can act on: a UserError says what was wrong, where, and what to do. Anything else is a bug.

export interface ErrorLocation {
  file?: string;
  row?: number; // 1-based, as a spreadsheet shows it
  column?: string | number;
  tensor?: string;
  option?: string;
  snippet?: string;
}

export class UserError extends Error {
  readonly where: ErrorLocation;
  readonly fix: string;
  constructor(what: string, where: ErrorLocation = {}, fix = '') {
    super(what);
    this.name = 'UserError';
    this.where = where;
    this.fix = fix;
  }
  /** One line a person can read: what, where, what to do. */
  describe(): string {
    return describeError({ message: this.message, where: this.where, fix: this.fix });
  }
}

/** Plain-object form that crosses the worker boundary (Error instances lose fields in structured clone). */
export interface ErrorInfo {
  kind: 'user' | 'internal';
  message: string;
  where?: ErrorLocation;
  fix?: string;
  stack?: string;
}

export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof UserError) return { kind: 'user', message: e.message, where: e.where, fix: e.fix };
  if (e instanceof Error) return { kind: 'internal', message: e.message, stack: e.stack };
  return { kind: 'internal', message: String(e) };
}

export function describeError(e: { message: string; where?: ErrorLocation; fix?: string }): string {
  const w = e.where ?? {};
  const parts: string[] = [];
  if (w.file) parts.push(w.file);
  if (w.row !== undefined) parts.push(`row ${w.row}`);
  if (w.column !== undefined) parts.push(`column ${typeof w.column === 'number' ? w.column : `"${w.column}"`}`);
  if (w.tensor) parts.push(`tensor "${w.tensor}"`);
  if (w.option) parts.push(`option ${w.option}`);
  let s = parts.length ? `${parts.join(', ')}: ${e.message}` : e.message;
  if (w.snippet) s += ` (near: ${JSON.stringify(w.snippet.slice(0, 80))})`;
  if (e.fix) s += ` — ${e.fix}`;
  return s;
}
