// Cleaning actions. Each is a pure function of the records, so a derived dataset version stores only the list of
// actions and replays it on the original rows (the original is never modified). `previewClean` says how many rows an
// action changes before it is applied.
import { labelKey } from './mapping';
import { exactKey, normalisedKey } from './report';
import type { DataRecord } from './types';

export type CleanAction =
  | { type: 'drop-duplicates'; normalised?: boolean }
  | { type: 'drop-conflicts'; mode: 'drop-all' | 'keep-majority' }
  | { type: 'drop-empty' }
  | { type: 'drop-unlabeled' }
  | { type: 'trim' }
  /** fixes from Evaluate: these file rows get this (single) label */
  | { type: 'relabel'; rows: number[]; label: string }
  /** fixes from Evaluate: these file rows are left out */
  | { type: 'drop-rows'; rows: number[] };

export interface CleanResult {
  records: DataRecord[];
  removed: number;
  modified: number;
}

export function describeAction(a: CleanAction): string {
  switch (a.type) {
    case 'drop-duplicates':
      return a.normalised
        ? 'Drop near-duplicates (ignoring case, spacing, punctuation), keep the first'
        : 'Drop exact duplicates, keep the first';
    case 'drop-conflicts':
      return a.mode === 'drop-all'
        ? 'Drop every row whose text has conflicting labels'
        : 'Keep only the majority label of conflicting texts';
    case 'drop-empty':
      return 'Drop rows with empty text';
    case 'drop-unlabeled':
      return 'Drop rows without a label';
    case 'trim':
      return 'Trim whitespace at both ends of texts';
    case 'relabel':
      return `Relabel ${a.rows.length} row${a.rows.length === 1 ? '' : 's'} as "${a.label}"`;
    case 'drop-rows':
      return `Drop ${a.rows.length} row${a.rows.length === 1 ? '' : 's'} marked on Evaluate`;
  }
}

export function applyClean(records: DataRecord[], action: CleanAction): CleanResult {
  switch (action.type) {
    case 'drop-duplicates': {
      const key = action.normalised ? normalisedKey : exactKey;
      const seen = new Set<string>();
      const out: DataRecord[] = [];
      for (const r of records) {
        const k = key(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
      return { records: out, removed: records.length - out.length, modified: 0 };
    }
    case 'drop-conflicts': {
      const byKey = new Map<string, Map<string, number>>();
      const order = new Map<string, string[]>();
      for (const r of records) {
        if (r.label === null) continue;
        const k = normalisedKey(r);
        let m = byKey.get(k);
        if (!m) {
          m = new Map();
          byKey.set(k, m);
          order.set(k, []);
        }
        const lk = labelKey(r.label);
        if (!m.has(lk)) order.get(k)!.push(lk);
        m.set(lk, (m.get(lk) ?? 0) + 1);
      }
      const keep = new Map<string, string | null>();
      for (const [k, m] of byKey) {
        if (m.size < 2) continue;
        if (action.mode === 'drop-all') keep.set(k, null);
        else {
          let best = '';
          let bestN = -1;
          for (const lk of order.get(k)!) if (m.get(lk)! > bestN) [best, bestN] = [lk, m.get(lk)!];
          keep.set(k, best);
        }
      }
      const out = records.filter((r) => {
        if (r.label === null) return true;
        const k = normalisedKey(r);
        if (!keep.has(k)) return true;
        const want = keep.get(k);
        return want !== null && labelKey(r.label) === want;
      });
      return { records: out, removed: records.length - out.length, modified: 0 };
    }
    case 'drop-empty': {
      const out = records.filter((r) => r.text.trim() !== '' && (r.textPair === undefined || r.textPair.trim() !== ''));
      return { records: out, removed: records.length - out.length, modified: 0 };
    }
    case 'drop-unlabeled': {
      const out = records.filter((r) => r.label !== null);
      return { records: out, removed: records.length - out.length, modified: 0 };
    }
    case 'relabel': {
      const rows = new Set(action.rows);
      let modified = 0;
      const out = records.map((r) => {
        if (!rows.has(r.row) || r.label === action.label) return r;
        modified++;
        return { ...r, label: action.label };
      });
      return { records: out, removed: 0, modified };
    }
    case 'drop-rows': {
      const rows = new Set(action.rows);
      const out = records.filter((r) => !rows.has(r.row));
      return { records: out, removed: records.length - out.length, modified: 0 };
    }
    case 'trim': {
      let modified = 0;
      const out = records.map((r) => {
        const t = r.text.trim();
        const p = r.textPair?.trim();
        if (t === r.text && p === r.textPair) return r;
        modified++;
        return { ...r, text: t, ...(p !== undefined ? { textPair: p } : {}) };
      });
      return { records: out, removed: 0, modified };
    }
  }
}

/** How many rows the action would remove or change, without applying it. */
export function previewClean(records: DataRecord[], action: CleanAction): { removed: number; modified: number } {
  const { removed, modified } = applyClean(records, action);
  return { removed, modified };
}

export function applyCleanAll(records: DataRecord[], actions: CleanAction[]): CleanResult {
  let removed = 0;
  let modified = 0;
  for (const a of actions) {
    const r = applyClean(records, a);
    records = r.records;
    removed += r.removed;
    modified += r.modified;
  }
  return { records, removed, modified };
}
