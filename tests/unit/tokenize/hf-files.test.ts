// The tokenizer files of an exported Hugging Face folder: WordPiece writes a vocab.txt that alone reloads to the same
// ids, byte-level BPE writes vocab.json + merges.txt that rebuild the same tokenizer, and tokenizer_config.json /
// special_tokens_map.json name the class, max length, casing and special tokens.
import { describe, expect, it } from 'vitest';
import { memorySource } from '@/lib/io/source';
import { HfTokenizer, loadHfTokenizer } from '@/lib/tokenize/hf';
import { bpeFiles, vocabTxt } from '@/lib/tokenize/hf-files';
import { byteLevel, robertaTokenizerJson as robertaJson, trainByteBpe } from '../../helpers/tiny-hf';

const SENTENCES = [
  'The cat sat on the mat.',
  'Hello, world!',
  'Running cats run faster than dogs',
  'an unaffable dog ran at the cafe',
  'CAFÉS are running out of coffee',
  'the the the',
  'Dogs, cats and birds.',
  'a b c d e f g',
  'Nobody expected the zebra',
  'she is running; he sat',
  'hello hello world',
  'What a mat!',
  'unaffable, unable, undone',
  'x',
  'the running of the cats',
  "it's a dog's life",
  'Birds sat on the wire?',
  '12 cats and 3 dogs',
  'The END',
  '   spaces   around   ',
];

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'hello', 'world', 'run', 'dog', 'cafe', 'bird', 'and', 'is', 'he', 'she'];
const VOCAB = [
  ...['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
  ...".,!?;'0123456789abcdefghijklmnopqrstuvwxyz".split(''),
  ...WORDS,
  ...['##s', '##ning', '##ing', '##aff', '##able', 'un', '##done', 'runn', 'ran', 'faster', 'than', 'out', 'of', 'coffee'],
];
const VOCAB_TXT = VOCAB.join('\n') + '\n';

async function wordPiece(cfg: Record<string, unknown>, opts: ConstructorParameters<typeof HfTokenizer>[3] = {}) {
  return (await loadHfTokenizer(memorySource('wp', { 'vocab.txt': VOCAB_TXT, 'tokenizer_config.json': JSON.stringify(cfg) }), opts))!;
}

function sameIds(a: HfTokenizer, b: HfTokenizer): void {
  for (const s of SENTENCES) {
    expect(b.encode(s).ids, s).toEqual(a.encode(s).ids);
    expect(b.encode(s, 'the cat').typeIds, s).toEqual(a.encode(s, 'the cat').typeIds);
  }
}

describe('WordPiece (BERT, DistilBERT) files', () => {
  it('vocab.txt alone (with tokenizer_config.json) reloads to the same ids as tokenizer.json does', async () => {
    const t = await wordPiece({ do_lower_case: true, model_max_length: 512 }, { modelType: 'bert', typeVocabSize: 2 });
    const files = t.files();
    expect(Object.keys(files).sort()).toEqual(['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    expect(files['vocab.txt']).toBe(VOCAB_TXT);
    const fromVocab = await loadHfTokenizer(
      memorySource('v', { 'vocab.txt': files['vocab.txt'], 'tokenizer_config.json': files['tokenizer_config.json'] }),
    );
    const fromJson = await loadHfTokenizer(memorySource('j', { 'tokenizer.json': files['tokenizer.json'] }));
    sameIds(t, fromVocab!);
    sameIds(t, fromJson!);
    expect(t.encode('Unaffable cafés').ids.length).toBeGreaterThan(3);
  });

  it('tokenizer_config.json names the class, max length, casing and special tokens; special_tokens_map.json too', async () => {
    const bert = await wordPiece({ model_max_length: 128 }, { modelType: 'bert', modelPositions: 512 });
    const cfg = JSON.parse(bert.files()['tokenizer_config.json']) as Record<string, unknown>;
    expect(cfg).toMatchObject({ tokenizer_class: 'BertTokenizer', model_max_length: 128, do_lower_case: true });
    expect(cfg).toMatchObject({ unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' });
    expect(JSON.parse(bert.files()['special_tokens_map.json'])).toEqual({
      unk_token: '[UNK]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      cls_token: '[CLS]',
      mask_token: '[MASK]',
    });
    // DistilBERT: named by model_type, or told apart from BERT by its single token type
    const named = await wordPiece({}, { modelType: 'distilbert' });
    const inferred = await wordPiece({}, { typeVocabSize: 1 });
    for (const t of [named, inferred]) expect(JSON.parse(t.files()['tokenizer_config.json']).tokenizer_class).toBe('DistilBertTokenizer');
    expect(JSON.parse((await wordPiece({})).files()['tokenizer_config.json']).tokenizer_class).toBe('BertTokenizer');
  });

  it('a cased vocabulary stays cased through vocab.txt (do_lower_case from the normalizer)', async () => {
    const cased = await wordPiece({ do_lower_case: false });
    const files = cased.files();
    expect(JSON.parse(files['tokenizer_config.json']).do_lower_case).toBe(false);
    const back = await loadHfTokenizer(
      memorySource('v', { 'vocab.txt': files['vocab.txt'], 'tokenizer_config.json': files['tokenizer_config.json'] }),
    );
    sameIds(cased, back!);
    expect(cased.encode('The').ids).not.toEqual((await wordPiece({})).encode('The').ids);
  });

  it('vocab.txt keeps ids in place: added tokens after the vocabulary are appended, a gap gets a placeholder', () => {
    const tj = { model: { type: 'WordPiece', vocab: { a: 0, b: 1, d: 3 } }, added_tokens: [{ id: 4, content: '[NEW]' }] };
    expect(vocabTxt(tj)).toBe('a\nb\n[unused_gap_2]\nd\n[NEW]\n');
  });
});

/** A tiny byte-level BPE (RoBERTa layout) trained by 60 greedy merges on the sentences; merges as strings or pairs. */
function robertaTokenizerJson(mergeForm: 'strings' | 'pairs'): Record<string, unknown> {
  const words = SENTENCES.join(' ')
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => byteLevel(` ${w}`));
  const { vocab, merges } = trainByteBpe(words, 60);
  return robertaJson(vocab, mergeForm === 'pairs' ? merges : merges.map((m) => m.join(' ')));
}

const ROBERTA_OPTS = { modelPositions: 512, typeVocabSize: 1 };

describe('byte-level BPE (RoBERTa) files', () => {
  for (const form of ['strings', 'pairs'] as const) {
    it(`vocab.json + merges.txt agree with tokenizer.json (merges as ${form}) and rebuild the same ids`, async () => {
      const tj = robertaTokenizerJson(form);
      const t = new HfTokenizer(tj, { pad_token: '<pad>' }, null, ROBERTA_OPTS);
      const files = t.files();
      expect(Object.keys(files).sort()).toEqual([
        'merges.txt',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.json',
      ]);
      const model = tj.model as { vocab: Record<string, number>; merges: (string | string[])[] };
      expect(JSON.parse(files['vocab.json'])).toEqual(model.vocab);
      const lines = files['merges.txt'].split('\n');
      expect(lines[0]).toBe('#version: 0.2');
      expect(lines.at(-1)).toBe('');
      expect(lines.slice(1, -1)).toEqual(model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m)));

      // vocab.json + merges.txt in place of tokenizer.json's model: the same tokenizer
      const rebuilt = {
        ...tj,
        model: { ...model, vocab: JSON.parse(files['vocab.json']), merges: lines.slice(1, -1).filter((l) => l !== '') },
      };
      sameIds(t, new HfTokenizer(rebuilt, { pad_token: '<pad>' }, null, ROBERTA_OPTS));
      sameIds(t, (await loadHfTokenizer(memorySource('export', files), ROBERTA_OPTS))!);
      expect(t.encode('the cat sat').ids.length).toBeLessThan(3 + 'the cat sat'.length); // merges do apply
    });
  }

  it('tokenizer_config.json says RobertaTokenizer with its seven special tokens; special_tokens_map.json lists them', () => {
    const t = new HfTokenizer(robertaTokenizerJson('strings'), { pad_token: '<pad>', model_max_length: 512 }, null, ROBERTA_OPTS);
    const cfg = JSON.parse(t.files()['tokenizer_config.json']) as Record<string, unknown>;
    const specials = {
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      sep_token: '</s>',
      pad_token: '<pad>',
      cls_token: '<s>',
      mask_token: '<mask>',
    };
    expect(cfg).toMatchObject({ tokenizer_class: 'RobertaTokenizer', model_max_length: 512, ...specials });
    expect(cfg.do_lower_case).toBeUndefined();
    expect(JSON.parse(t.files()['special_tokens_map.json'])).toEqual(specials);
  });

  it('a merge whose piece holds a space has no merges.txt form: only tokenizer.json is written', () => {
    const tj = { model: { type: 'BPE', vocab: { a: 0, 'b c': 1 }, merges: [['a', 'b c']] } };
    expect(bpeFiles(tj)).toBeNull();
    expect(bpeFiles({ model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: [['a', 'b']] } })).toEqual({
      'vocab.json': '{"a":0,"b":1,"ab":2}\n',
      'merges.txt': '#version: 0.2\na b\n',
    });
  });
});
