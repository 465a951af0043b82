// finetune predict for a NER (token-classification) model: --text -> one JSON line with the entities (character
// offsets into the text); --data -> OUT as CoNLL (word<TAB>tag, a blank line after each sentence) or JSONL
// ({text, tokens, tags, entities}), chosen by OUT's extension. The words come from a CoNLL or token JSONL file as
// they are, or from a text column split into words as predictEntities splits raw text.
import { extname } from 'node:path';
import { UserError } from '../../lib/errors';
import type { TaskModel } from '../../lib/models/types';
import { entitiesOf } from '../../lib/train/ner-metrics';
import { entitySpans, predictEntities, predictTags, splitWords, type WordSpan } from '../../lib/train/ner-predict';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { headerHintFrom, loadTable, mappingFor, tokenFieldsFrom } from '../data';
import { withFeaturePool } from '../threads';
import { writeOneFile } from '../export/write-out';

export type NerOutFormat = 'conll' | 'jsonl';

const FORMAT_OF_EXT: Record<string, NerOutFormat> = { '.conll': 'conll', '.txt': 'conll', '.jsonl': 'jsonl' };

/** OUT's format from its extension; any other extension is a UserError naming --out. */
export function nerOutFormat(out: string): NerOutFormat {
  const format = FORMAT_OF_EXT[extname(out).toLowerCase()];
  if (!format)
    throw new UserError(
      `a NER model's predictions are written as CoNLL (.conll, .txt) or JSON lines (.jsonl), and "${out}" is neither`,
      { option: '--out', file: out },
      'name the file e.g. preds.conll or preds.jsonl',
    );
  return format;
}

/** One input sentence: its words as spans into `text` (pre-split words are joined with single spaces). */
interface Sentence {
  text: string;
  words: WordSpan[];
}

function joined(words: string[]): Sentence {
  const spans: WordSpan[] = [];
  let at = 0;
  for (const word of words) {
    spans.push({ word, start: at, end: at + word.length });
    at += word.length + 1;
  }
  return { text: words.join(' '), words: spans };
}

/** The sentences of --data: a CoNLL or token JSONL file's words as they are, else a text column's words. */
async function sentencesOf(path: string, opts: ParsedOptions, cli: Cli): Promise<Sentence[]> {
  const t = await loadTable(path, '--data', tokenFieldsFrom(opts), headerHintFrom(opts));
  const { mapping, guessed } = mappingFor(t, { text: str(opts, 'text-column') }, false);
  const j = t.table.columns.indexOf(mapping.text);
  if (j < 0)
    throw new UserError(
      `there is no column "${mapping.text}"`,
      { file: path, option: '--text-column', column: mapping.text },
      `choose one of: ${t.table.columns.join(', ')}`,
    );
  if (mapping.task === 'token-classification') return t.table.rows.map((r) => joined((r[j] ?? '').split(' ').filter((w) => w !== '')));
  if (guessed.length) cli.log(`${path}: using ${guessed.join(' ')}, split into words`);
  return t.table.rows.map((r) => ({ text: r[j] ?? '', words: splitWords(r[j] ?? '') }));
}

/** --text: the entities of one text, as one JSON line. */
export async function predictNerText(model: TaskModel, text: string, maxLength: number, cli: Cli): Promise<void> {
  const entities = await predictEntities(model, text, { maxLength });
  cli.out(JSON.stringify({ text, entities }));
}

/** --data FILE --out OUT: every sentence's tags (and, in JSONL, its entities) in OUT. */
export async function predictNerFile(
  model: TaskModel,
  opts: ParsedOptions,
  cli: Cli,
  paths: { data: string; out: string },
  maxLength: number,
  threads: number,
): Promise<void> {
  const format = nerOutFormat(paths.out);
  const sentences = await sentencesOf(paths.data, opts, cli);
  cli.progress.update({ label: 'predict', done: 0, total: sentences.length });
  const words = sentences.map((s) => s.words.map((w) => w.word));
  const predicted = await withFeaturePool(model, threads, cli, 'predict', (extract) =>
    predictTags(model, words, { maxLength, batchSize: num(opts, 'batch-size') ?? 64, extract }),
  );
  const lines = sentences.map((s, i) => {
    const { tags, probs } = predicted[i];
    if (format === 'conll') return s.words.map((w, k) => `${w.word}\t${tags[k]}\n`).join('') + '\n';
    const entities = entitySpans(s.text, s.words, tags, probs);
    return `${JSON.stringify({ text: s.text, tokens: words[i], tags, entities })}\n`;
  });
  await writeOneFile(paths.out, lines.join(''));
  cli.progress.update({ label: 'predict', done: sentences.length, total: sentences.length });
  const entities = predicted.reduce((a, p) => a + entitiesOf(p.tags).length, 0);
  cli.out(JSON.stringify({ out: paths.out, format, sentences: sentences.length, words: words.flat().length, entities }));
}
