// Hard data problems: a UserError with a machine-readable code, so the UI and tests can tell cases apart.
import { UserError, type ErrorLocation } from '../errors';
import type { DataErrorCode, DataWarning } from './types';

export class DataError extends UserError {
  readonly code: DataErrorCode;
  constructor(code: DataErrorCode, what: string, where: ErrorLocation = {}, fix = '') {
    super(what, where, fix);
    this.code = code;
  }
}

export function snippet(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

const MAX_LISTED_ROWS = 1000;

/** Collects warnings of one code: rows listed up to a cap, all counted. */
export class WarningSink {
  private byCode = new Map<string, DataWarning>();
  add(code: DataWarning['code'], message: string, row?: number, extra: { column?: string | number; snippet?: string } = {}): void {
    let w = this.byCode.get(code);
    if (!w) {
      w = { code, message, rows: [], count: 0, ...extra };
      this.byCode.set(code, w);
    }
    if (row !== undefined && row === w.rows[w.rows.length - 1]) return; // one entry per row
    w.count++;
    if (row !== undefined && w.rows.length < MAX_LISTED_ROWS) w.rows.push(row);
  }
  list(): DataWarning[] {
    return [...this.byCode.values()];
  }
}
