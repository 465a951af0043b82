// Named entities, the all-sub-words option: every piece of a word is trained on the word's tag (a B- as I-) instead
// of the first piece only, while evaluation still reads one prediction per word (its first piece).
import { describe, expect, it } from 'vitest';
import { fsSource } from '@/lib/io/fs-source';
import { loadHfTokenizer } from '@/lib/tokenize/hf';
import { encodeExamples, IGNORE_INDEX } from '@/lib/train/encode';
import { sentencesOf } from '@/lib/train/ner-windows';
import { tinyHfDir } from '../../helpers/tiny-hf';

const LABELS = ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'];

describe('label all sub-words', async () => {
  const tokenizer = (await loadHfTokenizer(fsSource(tinyHfDir('bert'))))!;
  // "zxqv" and "kowalczyk" are not in the tiny vocabulary: they split into several pieces
  const example = { text: '', label: '', words: ['kowalczyk', 'went', 'to', 'new', 'zxqv'], tags: ['B-PER', 'O', 'O', 'B-LOC', 'I-LOC'] };

  it('tags the rest of a word with its tag (B- as I-); the first pieces alone are scored', () => {
    const [first] = encodeExamples(tokenizer, [example], LABELS, 64, 'token-classification');
    const [all] = encodeExamples(tokenizer, [example], LABELS, 64, 'token-classification', { allSubwords: true });
    expect(all.ids).toEqual(first.ids);
    const pieces = first.tags!.filter((t) => t === IGNORE_INDEX).length;
    expect(pieces).toBeGreaterThan(2); // [CLS], [SEP] and at least one continuation piece
    first.tags!.forEach((t, k) => {
      if (t !== IGNORE_INDEX) expect(all.tags![k]).toBe(t); // first pieces: unchanged
    });
    const continued = all.tags!.filter((t, k) => first.tags![k] === IGNORE_INDEX && t !== IGNORE_INDEX);
    expect(continued.length).toBe(pieces - 2);
    // kowalczyk's pieces after the first are I-PER, zxqv's I-LOC (an O word's stay O): no B- inside a word
    const names = new Set(continued.map((t) => LABELS[t]));
    expect(names.has('I-PER') && names.has('I-LOC')).toBe(true);
    expect([...names].filter((n) => n.startsWith('B-'))).toEqual([]);
    // evaluation reads five words either way
    expect(sentencesOf([first])[0].length).toBe(5);
    expect(sentencesOf([all])[0].map((w) => w.token)).toEqual(sentencesOf([first])[0].map((w) => w.token));
  });
});
