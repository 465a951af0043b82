// Dataset versions without a database: a stored version's rows -> records (mapping, then its cleaning replayed), a
// derived version's counts and labels, a split as stored, and the LabeledData training takes from stored codes.
import { describe, expect, it } from 'vitest';
import { DataError } from '@/lib/data/errors';
import { buildLabeledData } from '@/lib/data/labeled';
import { parseFile } from '@/lib/data/parse';
import { deriveVersion, splitToStore, versionLabeledData, versionRecords, type DatasetVersion } from '@/lib/data/versions';

const table = parseFile(
  new TextEncoder().encode(
    'text,label\n' +
      'good film,pos\n' +
      'good film,pos\n' + // exact duplicate of row 2
      '  bad film ,neg\n' +
      'odd film,odd\n' +
      'fine film,pos\n' +
      'dull film,neg\n' +
      'no label,\n',
  ),
  { fileName: 'films.csv' },
);
const mapping = { task: 'classification' as const, text: 'text', label: ['label'] };
const root: DatasetVersion = {
  name: 'Films',
  mapping,
  labels: ['neg', 'odd', 'pos'],
  rowCount: 7,
  ops: [],
  source: { fileName: 'films.csv' },
};

describe('dataset versions', () => {
  it('maps the root rows and replays the version’s cleaning actions', () => {
    expect(versionRecords(table, root).records.map((r) => r.text)).toEqual([
      'good film',
      'good film',
      '  bad film ',
      'odd film',
      'fine film',
      'dull film',
      'no label',
    ]);
    const cleaned = { ...root, ops: [{ type: 'drop-duplicates' as const }, { type: 'trim' as const }] };
    const { records, labels } = versionRecords(table, cleaned);
    expect(records.map((r) => [r.row, r.text])).toEqual([
      [2, 'good film'],
      [4, 'bad film'],
      [5, 'odd film'],
      [6, 'fine film'],
      [7, 'dull film'],
      [8, 'no label'],
    ]);
    expect(labels).toEqual(['neg', 'odd', 'pos']);
  });

  it('says a version without a mapping needs one, unless a mapping is given', () => {
    const unmapped = { ...root, mapping: null };
    const err = (() => {
      try {
        versionRecords(table, unmapped);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe('Dataset "Films" has no column mapping yet');
    expect(versionRecords(table, unmapped, mapping).records.length).toBe(7);
  });

  it('derives a version: the parent’s actions plus these, the rows they leave and only the labels still present', () => {
    const v = deriveVersion(root, table, [{ type: 'drop-rows', rows: [5] }]);
    expect(v).toEqual({ name: 'Films (cleaned)', ops: [{ type: 'drop-rows', rows: [5] }], rowCount: 6, labels: ['neg', 'pos'] });
    const v2 = deriveVersion({ ...root, ...v }, table, [{ type: 'drop-duplicates' }], 'Films, deduplicated');
    expect(v2).toMatchObject({ name: 'Films, deduplicated', rowCount: 5, labels: ['neg', 'pos'] });
    expect(v2.ops.map((a) => a.type)).toEqual(['drop-rows', 'drop-duplicates']);
  });

  it('passes an unmapped parent’s row count and labels on (it has no records to replay)', () => {
    const unmapped = { ...root, mapping: null, rowCount: 7, labels: [] };
    expect(deriveVersion(unmapped, table, [{ type: 'trim' }])).toEqual({
      name: 'Films (cleaned)',
      ops: [{ type: 'trim' }],
      rowCount: 7,
      labels: [],
    });
  });

  it('stores one split code per usable record, and rebuilds the same LabeledData from the codes', () => {
    const { records, labels } = versionRecords(table, root);
    const settings = { mode: 'ratio' as const, ratios: { train: 0.5, validation: 0.25, test: 0.25 }, seed: 3, stratify: false };
    const { codes, counts } = splitToStore(records, settings);
    expect(codes.length).toBe(6); // the row without a label is not usable
    expect(counts.train + counts.validation + counts.test).toBe(6);
    const fromCodes = versionLabeledData(table, root, codes);
    expect(fromCodes).toEqual(buildLabeledData(records, mapping, labels, settings));
    expect([fromCodes.train.length, fromCodes.validation.length, fromCodes.test.length]).toEqual([
      counts.train,
      counts.validation,
      counts.test,
    ]);
  });

  it('refuses stored codes made for another version of the rows', () => {
    const cleaned = { ...root, ops: [{ type: 'drop-duplicates' as const }] };
    const { codes } = splitToStore(versionRecords(table, root).records, {
      mode: 'ratio',
      ratios: { train: 1, validation: 0, test: 0 },
      seed: 1,
    });
    expect(() => versionLabeledData(table, cleaned, codes)).toThrow(/stored split has 6 rows but the dataset has 5 usable rows/);
  });
});
