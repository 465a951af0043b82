import { robertaTokenizerJson } from '../../helpers/tiny-hf';
import { describe, expect, it } from 'vitest';
import { memorySource } from '@/lib/io/source';
import { HfTokenizer, loadHfTokenizer, wordPieceTokenizerJson } from '@/lib/tokenize/hf';
import { UserError } from '@/lib/errors';

// A small WordPiece vocab in BERT's layout (ids are line numbers).
const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'un',
  '##aff',
  '##able',
  'cat',
  'sat',
  'on',
  'mat',
  '.',
  ',',
  'hello',
  'world',
  '!',
  'runn',
  '##ing',
  'cafe',
  '##s',
  'a',
  'b',
];
const id = (t: string) => VOCAB.indexOf(t);

async function bertTok(cfg: Record<string, unknown> = { do_lower_case: true, model_max_length: 512 }) {
  const t = await loadHfTokenizer(
    memorySource('test', { 'vocab.txt': VOCAB.join('\n') + '\n', 'tokenizer_config.json': JSON.stringify(cfg) }),
  );
  return t!;
}

describe('Hugging Face tokenizer from model files', () => {
  it('WordPiece from vocab.txt: greedy longest-match subwords, lowercasing, accent stripping, punctuation splitting, [UNK]', async () => {
    const t = await bertTok();
    expect(t.kind).toBe('hf');
    expect(t.padId).toBe(0);
    expect(t.vocabSize).toBe(VOCAB.length);
    expect(t.encode('UnAffable').ids).toEqual([id('[CLS]'), id('un'), id('##aff'), id('##able'), id('[SEP]')]);
    expect(t.encode('The cat sat on the mat.').ids).toEqual([
      2,
      id('the'),
      id('cat'),
      id('sat'),
      id('on'),
      id('the'),
      id('mat'),
      id('.'),
      3,
    ]);
    expect(t.encode('Hello, world! Running cafés').ids).toEqual([
      2,
      id('hello'),
      id(','),
      id('world'),
      id('!'),
      id('runn'),
      id('##ing'),
      id('cafe'),
      id('##s'),
      3,
    ]);
    expect(t.encode('dog').ids).toEqual([2, id('[UNK]'), 3]);
    expect(t.encode('the [MASK] sat').ids).toEqual([2, id('the'), id('[MASK]'), id('sat'), 3]);
    expect(t.decode(t.encode('the cat sat').ids)).toBe('the cat sat');
  });

  it('pairs get [CLS] A [SEP] B [SEP] with token types 0…0 1…1', async () => {
    const t = await bertTok();
    const e = t.encode('the cat', 'sat on the mat');
    expect(e.ids).toEqual([2, id('the'), id('cat'), 3, id('sat'), id('on'), id('the'), id('mat'), 3]);
    expect(e.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('truncates to max length: single from the end, pairs longest-first, special tokens kept', async () => {
    const t = await bertTok();
    expect(t.encode('the cat sat on the mat', undefined, { maxLength: 5 }).ids).toEqual([2, id('the'), id('cat'), id('sat'), 3]);
    // 4 + 2 tokens into 8 - 3 specials = 5: the longer first loses one
    const e = t.encode('the cat sat on', 'the mat', { maxLength: 8 });
    expect(e.ids).toEqual([2, id('the'), id('cat'), id('sat'), 3, id('the'), id('mat'), 3]);
    // 3 + 3 into 4: ties remove from the second first -> 2 + 2
    expect(t.encode('a b a', 'b a b', { maxLength: 7 }).ids).toEqual([2, id('a'), id('b'), 3, id('b'), id('a'), 3]);
    expect(() => t.encode('the', 'cat', { maxLength: 3 })).toThrow(UserError);
  });

  it("model_max_length and the model's position count cap the length", async () => {
    const t = await bertTok({ do_lower_case: true, model_max_length: 6 });
    expect(t.modelMaxLength).toBe(6);
    expect(t.encode('the cat sat on the mat').ids.length).toBe(6);
    const u = await loadHfTokenizer(memorySource('m', { 'vocab.txt': VOCAB.join('\n') }), { modelPositions: 4 });
    expect(u!.modelMaxLength).toBe(4);
    expect(u!.encode('the cat sat on', undefined, { maxLength: 100 }).ids.length).toBe(4);
  });

  it('pre-split words get wordIds (null for specials), subwords share their word', async () => {
    const t = await bertTok();
    const e = t.encodeWords(['Unaffable', 'cat', 'running']);
    expect(e.ids).toEqual([2, id('un'), id('##aff'), id('##able'), id('cat'), id('runn'), id('##ing'), 3]);
    expect(e.wordIds).toEqual([null, 0, 0, 0, 1, 2, 2, null]);
    expect(t.encodeWords(['Unaffable', 'cat'], { maxLength: 4 }).wordIds).toEqual([null, 0, 0, null]);
  });

  it('round-trips through files(): tokenizer.json gives the same ids', async () => {
    const t = await bertTok();
    const u = await loadHfTokenizer(memorySource('export', t.files()));
    for (const s of ['The cat sat on the mat.', 'unaffable running', 'hello world !'])
      expect(u!.encode(s, 'the mat').ids).toEqual(t.encode(s, 'the mat').ids);
    expect(Object.keys(t.files())).toContain('tokenizer.json');
  });

  it('BPE tokenizer.json with RoBERTa post-processing: <s> A </s></s> B </s>, pad from tokenizer_config, one token type', () => {
    const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, h: 4, i: 5, hi: 6, Ġ: 7, Ġhi: 8, Ġh: 9 };
    const tj = robertaTokenizerJson(vocab, ['Ġ h', 'Ġh i', 'h i']);
    const t = new HfTokenizer(tj, { pad_token: '<pad>', model_max_length: 512 }, null, { modelPositions: 512, typeVocabSize: 1 });
    expect(t.padId).toBe(1);
    expect(t.encode('hi hi').ids).toEqual([0, 6, 8, 2]);
    expect(t.encode('hi', 'hi').ids).toEqual([0, 6, 2, 2, 6, 2]);
    expect(t.encode('hi', 'hi').typeIds).toEqual([0, 0, 0, 0, 0, 0]);
    // pre-split words are encoded as with add_prefix_space=True: every word starts with Ġ
    expect(t.encodeWords(['hi', 'hi'])).toEqual({ ids: [0, 8, 8, 2], typeIds: [0, 0, 0, 0], wordIds: [null, 0, 1, null] });
  });

  it('bad files are UserErrors naming the file', async () => {
    await expect(loadHfTokenizer(memorySource('x', { 'tokenizer.json': '{nope' }))).rejects.toThrow(/tokenizer\.json/);
    await expect(loadHfTokenizer(memorySource('x', { 'vocab.txt': 'a\nb\n' }))).rejects.toBeInstanceOf(UserError);
    expect(await loadHfTokenizer(memorySource('x', {}))).toBeNull();
    expect(wordPieceTokenizerJson('[CLS]\n[SEP]\n[UNK]\n', {}).model).toMatchObject({ type: 'WordPiece' });
  });
});
