// finetune export: a trained model folder -> a Hugging Face folder with its model card, the ONNX folder transformers.js
// and onnxruntime load, a project bundle the studio imports, or the Python recipe. Arguments and writing only; the
// formats are lib/export/.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../lib/errors';
import { modelExportFiles, type ModelFormat } from '../../lib/export/formats';
import { bool, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { cardInput, readTrainedFolder, recipeInput } from '../export/from-folder';
import { mayReplace, writeFolder, writeOneFile } from '../export/write-out';
import { loadTrained } from '../models';

/** Files a `finetune train` folder keeps beside the model, copied into an hf or onnx export. */
async function runFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ['run.json', 'metrics.jsonl']) {
    try {
      out[name] = await readFile(join(dir, name), 'utf8');
    } catch {
      // a folder not written by finetune train has neither
    }
  }
  return out;
}

export async function run(opts: ParsedOptions, cli: Cli): Promise<void> {
  const dir = str(opts, 'model')!;
  const format = str(opts, 'format') as ModelFormat | 'bundle';
  const out = resolve(str(opts, 'out')!);
  await mayReplace(out, bool(opts, 'force'));
  const model = await loadTrained(dir);
  try {
    const trained = await readTrainedFolder(dir);
    if (format === 'bundle') {
      cli.log(`packing ${dir} into a project bundle`);
      // the studio's bundle code on an in-memory database: loaded only for this format
      const { bundleOfFolder } = await import('../export/bundle');
      const bytes = await bundleOfFolder(dir, model, trained, cli);
      await writeOneFile(out, bytes);
      cli.out(JSON.stringify({ format, out, bytes: bytes.byteLength }));
      return;
    }
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const files = await modelExportFiles(
      format,
      {
        model,
        card: cardInput(dir, model, trained, config),
        recipe: recipeInput(trained, model, cli),
        extras: format === 'recipe' ? {} : await runFiles(dir),
      },
      (step) => cli.log(step),
    ).catch((e: unknown) => {
      // the recipe's refusals (a NER run: "sequence tasks only") name the engine's option; here it is --format
      if (e instanceof UserError && (e.where.option === 'task' || e.where.option === 'format'))
        (e.where as { option?: string }).option = '--format';
      throw e;
    });
    await writeFolder(out, files);
    const names = Object.keys(files).sort();
    cli.log(`wrote ${names.length} files to ${out}`);
    cli.out(JSON.stringify({ format, out, files: names }));
  } finally {
    model.dispose();
  }
}
