// Our special-token layout against transformers.js' AutoTokenizer (run offline from local files): same ids and token
// types for single texts and pairs. Truncation is not compared: transformers.js cuts the finished sequence (dropping
// the final [SEP]), while Python transformers truncates the texts and keeps the specials, which is what we follow
// (tested in hf.test.ts).
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memorySource } from '@/lib/io/source';
import { loadHfTokenizer } from '@/lib/tokenize/hf';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'un', '##aff', '##able', 'run', '##ning', 'dog', '.', ',', '!', 'a', 'b'];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS];
const TEXTS = ['the cat sat on the mat.', 'Unaffable dog, running!', 'a b a b a b a b a b a', 'zebra the cat', 'b', 'the [MASK] sat'];

describe('HF tokenizer vs transformers.js AutoTokenizer (offline, local files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-tok-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ids and token_type_ids match for singles and pairs, incl. [UNK], a special token in text, lowercasing and subwords', async () => {
    const ours = (await loadHfTokenizer(
      memorySource('t', {
        'vocab.txt': VOCAB.join('\n'),
        'tokenizer_config.json': JSON.stringify({ do_lower_case: true, model_max_length: 512 }),
      }),
    ))!;
    mkdirSync(join(dir, 'tiny'));
    for (const [k, v] of Object.entries(ours.files())) writeFileSync(join(dir, 'tiny', k), v);
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = dir + '/';
    const ref = await AutoTokenizer.from_pretrained('tiny');
    let compared = 0;
    for (const a of TEXTS) {
      for (const b of [undefined, ...TEXTS]) {
        const r = ref(a, { text_pair: b ?? null, return_tensor: false, return_token_type_ids: true }) as unknown as {
          input_ids: number[];
          token_type_ids: number[];
        };
        const o = ours.encode(a, b);
        expect(o.ids, `${a} | ${b}`).toEqual(r.input_ids.map(Number));
        expect(o.typeIds, `${a} | ${b}`).toEqual(r.token_type_ids.map(Number));
        compared++;
      }
    }
    expect(compared).toBe(TEXTS.length * (TEXTS.length + 1));
  });
});
