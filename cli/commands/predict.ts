// finetune predict: a trained model folder + texts -> predictions (a CSV with the input columns plus the prediction
// and its score, or one JSON line for --text). A NER model's predictions are ./predict-ner.ts's.
import Papa from 'papaparse';
import { UserError } from '../../lib/errors';
import { writeOneFile } from '../export/write-out';
import type { TaskModel } from '../../lib/models/types';
import { predict } from '../../lib/train/predict';
import { encodeInputs } from '../../lib/train/text-windows';
import { argmax } from '../../lib/train/metrics';
import { num, str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { headerHintFrom, loadTable, mappingFor, taskFlag, type TaskFlag } from '../data';
import { predictNerFile, predictNerText } from './predict-ner';
import { loadTrained, pairColumnFor, trainedRun } from '../models';
import { threadsPort, withFeaturePool } from '../threads';

/** One example's output as named values: label + score (classification), labels over the threshold, or a value. */
function describe(model: TaskModel, probs: number[], threshold: number) {
  if (model.task === 'regression') return { value: probs[0] };
  if (model.task === 'multilabel') {
    const labels = model.labels.filter((_, i) => probs[i] >= threshold);
    return { labels, scores: Object.fromEntries(model.labels.map((l, i) => [l, probs[i]])) };
  }
  const k = argmax(probs);
  return { label: model.labels[k], score: probs[k], scores: Object.fromEntries(model.labels.map((l, i) => [l, probs[i]])) };
}

/** --task, where given, must be the model's own (read from its config.json). */
function checkTask(model: TaskModel, task: TaskFlag | undefined, dir: string): void {
  if (task === undefined || task === model.task) return;
  const name = (t: string) => (t === 'token-classification' ? 'ner (token classification)' : t);
  throw new UserError(
    `--task ${name(task)} does not match the model, which is for ${name(model.task)}`,
    { option: '--task', file: `${dir}/config.json` },
    'leave out --task: the model folder says its task',
  );
}

export async function run(opts: ParsedOptions, cli: Cli): Promise<void> {
  const dataPath = str(opts, 'data');
  const outPath = str(opts, 'out');
  if (dataPath && !outPath) throw new UserError('--data needs --out for the predictions file', { option: '--out' }, 'add --out preds.csv');
  if (!dataPath && (str(opts, 'text') ?? '').trim() === '')
    throw new UserError('--text is empty: there is nothing to predict', { option: '--text' }, 'give the text to classify in quotes');
  const threads = dataPath ? threadsPort(num(opts, 'threads')).threads : 1;
  const model = await loadTrained(str(opts, 'model')!);
  const trained = await trainedRun(str(opts, 'model')!);
  const maxLength = Math.min(num(opts, 'max-length') ?? trained.maxLength ?? 128, model.tokenizer.modelMaxLength);
  const windows = num(opts, 'windows') ?? trained.textWindows ?? 1;
  const pairColumn = trained.pairColumn;
  const threshold = num(opts, 'threshold') ?? 0.5;
  try {
    checkTask(model, taskFlag(opts), str(opts, 'model')!);
    if (model.task === 'token-classification') {
      if (dataPath) return await predictNerFile(model, opts, cli, { data: dataPath, out: outPath! }, maxLength, threads);
      return await predictNerText(model, str(opts, 'text')!, maxLength, cli);
    }
    if (!dataPath) {
      const text = str(opts, 'text')!;
      if (pairColumn && str(opts, 'text-pair') === undefined)
        cli.log(`warning: this model was trained on text pairs (second column "${pairColumn}"); give the second text with --text-pair`);
      const [probs] = await predict(model, encodeInputs(model.tokenizer, [{ text, pair: str(opts, 'text-pair') }], maxLength, windows));
      cli.out(JSON.stringify({ text, ...describe(model, probs as number[], threshold) }));
      return;
    }
    const t = await loadTable(dataPath, '--data', undefined, headerHintFrom(opts));
    const textPair = pairColumnFor(t.table.columns, str(opts, 'text-pair-column'), pairColumn, dataPath, cli.log);
    const { mapping } = mappingFor(t, { text: str(opts, 'text-column'), textPair }, false);
    const jt = t.table.columns.indexOf(mapping.text);
    const jp = mapping.textPair ? t.table.columns.indexOf(mapping.textPair) : -1;
    if (jt < 0)
      throw new UserError(
        `there is no column "${mapping.text}"`,
        { file: dataPath, option: '--text-column', column: mapping.text },
        `choose one of: ${t.table.columns.join(', ')}`,
      );
    if (mapping.textPair && jp < 0)
      throw new UserError(
        `there is no column "${mapping.textPair}"`,
        { file: dataPath, option: '--text-pair-column', column: mapping.textPair },
        `choose one of: ${t.table.columns.join(', ')}`,
      );
    const inputs = t.table.rows.map((r) => ({ text: r[jt] ?? '', pair: jp >= 0 ? (r[jp] ?? '') : undefined }));
    const enc = encodeInputs(model.tokenizer, inputs, maxLength, windows);
    cli.progress.update({ label: 'predict', done: 0, total: enc.length });
    const outputs = await withFeaturePool(model, threads, cli, 'predict', (extract) =>
      predict(model, enc, { batchSize: num(opts, 'batch-size') ?? 64, extract }),
    );
    const extra =
      model.task === 'regression'
        ? ['prediction']
        : model.task === 'multilabel'
          ? ['prediction', ...model.labels.map((l) => `p(${l})`)]
          : ['prediction', 'score', ...model.labels.map((l) => `p(${l})`)];
    const rows = t.table.rows.map((r, i) => {
      const p = outputs[i] as number[];
      const d = describe(model, p, threshold);
      if ('value' in d) return [...r, String(d.value)];
      if ('label' in d) return [...r, d.label, String(d.score), ...p.map(String)];
      return [...r, d.labels.join('|'), ...p.map(String)];
    });
    await writeOneFile(outPath!, Papa.unparse({ fields: [...t.table.columns, ...extra], data: rows }, { newline: '\n' }) + '\n');
    cli.progress.update({ label: 'predict', done: enc.length, total: enc.length });
    cli.out(JSON.stringify({ out: outPath, rows: rows.length }));
  } finally {
    model.dispose();
  }
}
