// Named-entity data: tag schemes (detection, conversion to BIO as seqeval chunks, invalid sequences), CoNLL and JSONL
// token files, the real WNUT-17 files, the NER report and splits stratified by entity types.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, sharedPath } from '@/tests/helpers/shared';
import { DataError } from '@/lib/data/errors';
import { importData } from '@/lib/data/import';
import { NER_INVALID_SEQUENCE, detectScheme, entities, entityTypes, sortBioLabels, toBio, validateBio } from '@/lib/data/ner';
import { parseFile } from '@/lib/data/parse';
import { analyse } from '@/lib/data/report';
import { assignSplits, splitOf } from '@/lib/data/split';
import type { DataRecord } from '@/lib/data/types';

const u8 = (s: string) => new TextEncoder().encode(s);
const t = (s: string) => s.split(' ');
const conll = (sentences: string[][], sep = '\t') => sentences.map((s) => s.map((l) => l.replace(' ', sep)).join('\n')).join('\n\n');

describe('tag schemes', () => {
  it('detects BIO, IOB1, BIOES (and BILOU) and IO', () => {
    expect(detectScheme([t('B-PER I-PER O B-LOC'), t('O B-ORG B-ORG')])).toBe('BIO');
    // IOB1: entities start with I-, B- only where two same-type entities touch
    expect(detectScheme([t('I-PER I-PER B-PER O I-LOC'), t('I-ORG O')])).toBe('IOB1');
    expect(detectScheme([t('S-PER O B-LOC E-LOC'), t('B-ORG I-ORG E-ORG')])).toBe('BIOES');
    expect(detectScheme([t('U-PER O B-LOC L-LOC')])).toBe('BIOES');
    expect(detectScheme([t('I-PER I-PER O I-LOC I-ORG')])).toBe('IO');
    expect(detectScheme([t('O O'), []])).toBe('BIO');
    // a few stray I- tags do not make BIO data IOB1
    expect(detectScheme([t('B-PER I-PER O B-LOC'), t('O I-LOC O B-PER'), t('B-ORG O')])).toBe('BIO');
  });

  it('converts each scheme to BIO as seqeval chunks it', () => {
    expect(toBio(t('I-PER I-PER B-PER O I-LOC I-ORG'), 'IOB1')).toEqual(t('B-PER I-PER B-PER O B-LOC B-ORG'));
    expect(toBio(t('S-PER O B-LOC I-LOC E-LOC S-LOC S-LOC'), 'BIOES')).toEqual(t('B-PER O B-LOC I-LOC I-LOC B-LOC B-LOC'));
    expect(toBio(t('U-PER B-ORG I-ORG L-ORG O'), 'BIOES')).toEqual(t('B-PER B-ORG I-ORG I-ORG O'));
    expect(toBio(t('I-PER I-PER O I-LOC I-ORG'), 'IO')).toEqual(t('B-PER I-PER O B-LOC B-ORG'));
    // stray I- tags in BIO start an entity (seqeval's default mode)
    expect(toBio(t('O I-PER I-PER B-LOC I-ORG I-ORG'), 'BIO')).toEqual(t('O B-PER I-PER B-LOC B-ORG I-ORG'));
    expect(toBio(t('B-PER I-PER O B-LOC'), 'BIO')).toEqual(t('B-PER I-PER O B-LOC'));
  });

  it("chunks entities as seqeval's get_entities (end exclusive here)", () => {
    expect(entities(t('B-PER I-PER O B-LOC'))).toEqual([
      { type: 'PER', start: 0, end: 2 },
      { type: 'LOC', start: 3, end: 4 },
    ]);
    // E- then I- of the same type: two entities; B-X I-Y: two entities
    expect(entities(t('B-X E-X I-X B-X I-Y')).map((e) => [e.type, e.start, e.end])).toEqual([
      ['X', 0, 2],
      ['X', 2, 3],
      ['X', 3, 4],
      ['Y', 4, 5],
    ]);
    expect(entityTypes(t('O B-person I-person B-location O I-group'))).toEqual(['group', 'location', 'person']);
  });

  it('orders labels O first, then B-/I- per type alphabetically', () => {
    expect(sortBioLabels(['I-PER', 'B-LOC', 'O', 'B-PER', 'I-LOC', 'B-MISC'])).toEqual(['O', 'B-LOC', 'I-LOC', 'B-MISC', 'B-PER', 'I-PER']);
  });

  it('reports stray I- tags with sentence (and row) and token index, with a count and examples', () => {
    const check = validateBio([
      { tags: t('B-PER I-PER O'), row: 1 },
      { tags: t('I-LOC O B-PER I-LOC'), row: 5 },
      { tags: t('O O I-ORG'), row: 10 },
    ]);
    expect(check.count).toBe(3);
    expect(check.issues).toEqual([
      { sentence: 2, row: 5, token: 1, tag: 'I-LOC', previous: null },
      { sentence: 2, row: 5, token: 4, tag: 'I-LOC', previous: 'B-PER' },
      { sentence: 3, row: 10, token: 3, tag: 'I-ORG', previous: 'O' },
    ]);
    expect(check.warnings).toHaveLength(1);
    const w = check.warnings[0];
    expect(w).toMatchObject({ code: 'ner-invalid-sequence', count: 3, rows: [5, 10] });
    expect(w.message).toContain('3 I- tags');
    expect(w.message).toContain('sentence 2 (row 5), token 1: start of sentence → I-LOC');
    expect(w.message).toContain('sentence 3 (row 10), token 3: O → I-ORG');
    expect(validateBio([{ tags: t('B-PER I-PER O B-PER') }]).warnings).toEqual([]);
  });
});

describe('CoNLL files', () => {
  it('reads CoNLL-2003 (four columns, -DOCSTART-, CRLF, no blank line at the end): the tag is the last column', () => {
    const text =
      '-DOCSTART- -X- -X- O\r\n\r\nEU NNP B-NP B-ORG\r\nrejects VBZ B-VP O\r\nGerman JJ B-NP B-MISC\r\n\r\n' +
      'Peter NNP B-NP B-PER\r\nBlackburn NNP I-NP I-PER\r\n\r\n-DOCSTART- -X- -X- O\r\n\r\nBRUSSELS NNP B-NP B-LOC';
    const r = importData(u8(text), { fileName: 'train.txt' });
    expect(r.table.format).toBe('conll');
    expect(r.table.lineEnding).toBe('crlf');
    expect(r.table.rows).toEqual([
      ['EU rejects German', 'B-ORG O B-MISC'],
      ['Peter Blackburn', 'B-PER I-PER'],
      ['BRUSSELS', 'B-LOC'],
    ]);
    expect(r.table.rowNumbers).toEqual([3, 7, 12]);
    expect(r.mapping.task).toBe('token-classification');
    expect(r.data.labels).toEqual(['O', 'B-LOC', 'B-MISC', 'B-ORG', 'B-PER', 'I-PER']);
    expect(r.warnings).toEqual([]);
  });

  it('never lets a word or a tag hold a space (the table joins them with spaces)', () => {
    const r = parseFile(u8('New York\tB-LOC\nis\tO\ngreat\tB-X extra\n'), { fileName: 'x.conll' });
    expect(r.rows).toEqual([['New_York is', 'B-LOC O']]);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'conll-bad-line', rows: [3] })]);
  });
});

describe('JSON lines with token and tag lists', () => {
  it('reads tokens/tags, words/labels and ner_tags (names) into the tokens/tags table', () => {
    for (const [wk, tk] of [
      ['tokens', 'tags'],
      ['words', 'labels'],
      ['tokens', 'ner_tags'],
    ]) {
      const lines = [
        { id: 1, [wk]: ['Ada', 'Lovelace', 'wrote'], [tk]: ['B-PER', 'I-PER', 'O'], split: 'train' },
        { id: 2, [wk]: ['in', 'New York'], [tk]: ['O', 'B-LOC'], split: 'dev' },
      ];
      const r = importData(u8(lines.map((l) => JSON.stringify(l)).join('\n')), { fileName: 'ner.jsonl' });
      expect(r.table.format).toBe('jsonl');
      expect(r.table.columns).toEqual(['tokens', 'tags', 'id', 'split']);
      expect(r.mapping).toEqual({ task: 'token-classification', text: 'tokens', tags: 'tags', split: 'split' });
      expect(r.data.records.map((x) => [x.words, x.tags, x.split])).toEqual([
        [['Ada', 'Lovelace', 'wrote'], ['B-PER', 'I-PER', 'O'], 'train'],
        [['in', 'New_York'], ['O', 'B-LOC'], 'validation'],
      ]);
      expect(r.data.labels).toEqual(['O', 'B-LOC', 'B-PER', 'I-PER']);
    }
  });

  it('is sniffed without the .jsonl extension, and skips a line whose lists differ in length', () => {
    const text = '{"tokens":["a","b"],"tags":["O","B-X"]}\n{"tokens":["c"],"tags":["O","O"]}\n';
    const r = importData(u8(text), { fileName: 'data.txt' });
    expect(r.mapping.task).toBe('token-classification');
    expect(r.data.records).toHaveLength(1);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'bad-json-line', rows: [2] })]);
  });

  it('rejects ner_tags given as ids without names, saying names are needed', () => {
    const text = '{"tokens":["EU","rejects"],"ner_tags":[3,0]}\n{"tokens":["x"],"ner_tags":[0]}\n';
    const err = (() => {
      try {
        parseFile(u8(text), { fileName: 'conll2003.jsonl' });
      } catch (e) {
        return e;
      }
    })() as DataError;
    expect(err).toBeInstanceOf(DataError);
    expect(err.code).toBe('no-labels');
    expect(err.message).toContain('without tag names');
    expect(err.where).toMatchObject({ row: 1, column: 'ner_tags' });
    expect(() => parseFile(u8('{"tokens":["a"],"ner_tags":["1"]}'), { fileName: 'x.jsonl' })).toThrow(DataError);
  });
});

describe('mapping token classification to BIO', () => {
  const rows = (r: ReturnType<typeof importData>) => r.data.records.map((x) => x.tags!.join(' '));

  it('converts IOB1 to BIO once, with a note', () => {
    const r = importData(
      u8(
        conll([
          ['A I-PER', 'B I-PER', 'C B-PER'],
          ['D O', 'E I-LOC'],
        ]),
      ),
      { fileName: 'x.conll' },
    );
    expect(rows(r)).toEqual(['B-PER I-PER B-PER', 'O B-LOC']);
    expect(r.data.records[0].label).toEqual(r.data.records[0].tags);
    expect(r.data.labels).toEqual(['O', 'B-LOC', 'B-PER', 'I-PER']);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'ner-scheme-converted', count: 2 })]);
    expect(r.warnings[0].message).toContain('IOB1');
  });

  it('converts BIOES to BIO', () => {
    const r = importData(u8(conll([['A S-PER', 'B O', 'C B-LOC', 'D E-LOC']])), { fileName: 'x.conll' });
    expect(rows(r)).toEqual(['B-PER O B-LOC I-LOC']);
    expect(r.data.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-PER']);
  });

  it('reads a stray I- tag in BIO as B- and warns where it is', () => {
    const r = importData(u8(conll([['A B-PER', 'B I-PER'], ['C O', 'D I-LOC'], ['E B-LOC']])), { fileName: 'x.conll' });
    expect(rows(r)).toEqual(['B-PER I-PER', 'O B-LOC', 'B-LOC']);
    const w = r.warnings.find((x) => x.code === NER_INVALID_SEQUENCE)!;
    expect(w).toMatchObject({ count: 1, rows: [4] });
    expect(w.message).toContain('sentence 2 (row 4), token 2: O → I-LOC');
  });

  it('leaves tags that are not entity tags (part of speech) as they are', () => {
    const r = importData(u8(conll([['the DT', 'cat NN'], ['sat VBD']])), { fileName: 'pos.conll' });
    expect(rows(r)).toEqual(['DT NN', 'VBD']);
    expect(r.data.labels).toEqual(['DT', 'NN', 'VBD']);
    expect(r.warnings).toEqual([]);
  });

  it('leaves out a tokens/tags row without one tag per word', () => {
    const lines = [...Array.from({ length: 10 }, () => 'Ada wrote,B-PER O'), 'in London,O'];
    const r = importData(u8(`tokens,tags\n${lines.join('\n')}\n`), { fileName: 'x.csv' });
    expect(r.mapping).toEqual({ task: 'token-classification', text: 'tokens', tags: 'tags' });
    expect(r.data.records.filter((x) => x.label === null).map((x) => x.row)).toEqual([12]);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'ner-tag-count', rows: [12] })]);
  });
});

describe('report and split for NER', () => {
  const rec = (row: number, line: string): DataRecord => {
    const pairs = line.split(' ').map((p) => p.split('/'));
    const words = pairs.map((p) => p[0]);
    const tags = pairs.map((p) => p[1]);
    return { row, text: words.join(' '), words, tags, label: tags };
  };

  it('counts entities (not tags) per type, sentence lengths in words, and sentences over max length', () => {
    const records = [
      rec(1, 'Ada/B-PER Lovelace/I-PER met/O Charles/B-PER Babbage/I-PER in/O London/B-LOC'),
      rec(2, 'it/O rained/O'),
      rec(3, 'Paris/B-LOC'),
      rec(4, 'a/O b/O c/O d/O e/O f/O g/O h/O i/O j/O'),
    ];
    const lengthOf = (s: string) => s.split(' ').length + 2; // [CLS] ... [SEP], one piece per word
    const report = analyse(records, { lengthOf, maxLength: 9 });
    expect(report.ner).toEqual({
      entityCounts: [
        { type: 'LOC', count: 2 },
        { type: 'PER', count: 2 },
      ],
      sentences: 4,
      sentencesWithoutEntities: 2,
      words: { min: 1, median: 7, p95: 10, max: 10 },
      overMaxLength: { count: 1, checked: 4, maxLength: 9 },
    });
    expect(analyse(records).ner!.overMaxLength).toBeUndefined();
  });

  it('stratifies on the entity types of each sentence, so a rare type lands in every split', () => {
    const records: DataRecord[] = [];
    for (let i = 0; i < 60; i++) records.push(rec(i + 1, i % 3 === 0 ? 'x/B-PER y/O' : 'x/O y/O'));
    for (let i = 0; i < 5; i++) records.push(rec(100 + i, i % 2 ? 'r/B-RARE s/B-PER' : 'r/B-RARE s/O'));
    for (let i = 0; i < 5; i++) records.push(rec(200 + i, 'q/B-LOC'));
    for (const seed of [1, 2, 3, 4, 5]) {
      const s = splitOf(records, assignSplits(records, { mode: 'ratio', ratios: { train: 0.8, validation: 0.2, test: 0 }, seed }));
      for (const part of [s.train, s.validation]) expect(entityTypes(part.flatMap((r) => r.tags!))).toEqual(['LOC', 'PER', 'RARE']);
      expect(s.validation.filter((r) => r.tags!.includes('B-RARE'))).toHaveLength(1);
    }
  });
});

const WNUT = {
  'wnut17train.conll': {
    sentences: 3394,
    entities: { person: 660, location: 548, group: 264, corporation: 221, product: 142, 'creative-work': 140 },
    words: { min: 1, median: 18, p95: 30, max: 41 },
  },
  'emerging.dev.conll': {
    sentences: 1009,
    entities: { person: 470, 'creative-work': 105, product: 114, location: 74, group: 39, corporation: 34 },
    words: { min: 1, median: 13, p95: 38, max: 82 },
  },
  'emerging.test.annotated': {
    sentences: 1287,
    entities: { person: 429, group: 165, location: 150, 'creative-work': 142, product: 127, corporation: 66 },
    words: { min: 1, median: 15, p95: 42, max: 105 },
  },
} as const;

describe.skipIf(!hasShared('datasets/wnut17'))('WNUT-17 (token<TAB>tag, sentences separated by blank or tab-only lines)', () => {
  const read = (f: string) => readFileSync(sharedPath('datasets', 'wnut17', f)!);
  for (const [file, want] of Object.entries(WNUT)) {
    it(`${file}: ${want.sentences} sentences, entities per type, BIO labels in order`, () => {
      const bytes = read(file);
      // the sentence count straight from the text: runs of non-blank lines
      const blocks = bytes
        .toString('utf8')
        .split(/\n(?:[ \t]*\n)+/)
        .filter((b) => b.trim() !== '');
      expect(blocks.length).toBe(want.sentences);
      const r = importData(new Uint8Array(bytes), { fileName: file });
      expect(r.table.format).toBe('conll');
      expect(r.data.records.length).toBe(want.sentences);
      expect(r.warnings).toEqual([]);
      const types = ['corporation', 'creative-work', 'group', 'location', 'person', 'product'];
      expect(r.data.labels).toEqual(['O', ...types.flatMap((x) => [`B-${x}`, `I-${x}`])]);
      const ner = analyse(r.data.records).ner!;
      expect(Object.fromEntries(ner.entityCounts.map((e) => [e.type, e.count]))).toEqual(want.entities);
      expect(ner.words).toEqual(want.words);
      expect(r.data.records.every((x) => x.words!.every((w) => w !== '' && !/\s/.test(w)))).toBe(true);
    });
  }

  it('a stratified 80/20 split of the training file keeps every entity type in both parts', () => {
    const r = importData(new Uint8Array(read('wnut17train.conll')), { fileName: 'wnut17train.conll' });
    const s = splitOf(
      r.data.records,
      assignSplits(r.data.records, { mode: 'ratio', ratios: { train: 0.8, validation: 0.2, test: 0 }, seed: 7 }),
    );
    const count = (rs: DataRecord[]) => analyse(rs).ner!.entityCounts;
    expect(
      count(s.validation)
        .map((e) => e.type)
        .sort(),
    ).toEqual(Object.keys(WNUT['wnut17train.conll'].entities).sort());
    // each type's share of sentences in validation stays near 20%
    for (const { type, count: n } of count(s.validation)) {
      const total = WNUT['wnut17train.conll'].entities[type as keyof (typeof WNUT)['wnut17train.conll']['entities']];
      expect(n / total).toBeGreaterThan(0.12);
      expect(n / total).toBeLessThan(0.28);
    }
  });
});
