// finetune forward: token ids in, every output of the network out (hidden states after the embeddings and after each
// layer, pooler output, and the task logits of a trained folder) — for checking numerics against reference runs.
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../lib/errors';
import { createTaskModel } from '../../lib/models/task-model';
import type { TensorBatch } from '../../lib/models/types';
import { str, type ParsedOptions } from '../args';
import type { Cli } from '../context';
import { loadBase } from '../models';
import { writeOneFile } from '../export/write-out';

interface Dense {
  dims: number[];
  data: number[];
}

/** `{dims, data}` (the reference fixtures' form) or a nested array of rows. */
function readMatrix(v: unknown, name: string, file: string): Dense {
  const where = { file, tensor: name };
  if (Array.isArray(v)) {
    if (!v.length || !v.every((r) => Array.isArray(r) && r.length === (v[0] as unknown[]).length))
      throw new UserError(`"${name}" must be a list of equally long rows`, where, 'pad every row to the same length');
    return { dims: [v.length, (v[0] as unknown[]).length], data: (v as unknown[][]).flat() as number[] };
  }
  const o = v as Partial<Dense> | null;
  if (o && Array.isArray(o.dims) && Array.isArray(o.data)) {
    if (o.dims.length !== 2 || o.dims[0] * o.dims[1] !== o.data.length)
      throw new UserError(
        `"${name}" has dims [${o.dims.join(', ')}] but ${o.data.length} values`,
        where,
        'give [batch, length] dims matching the data',
      );
    return { dims: o.dims, data: o.data };
  }
  throw new UserError(`"${name}" is neither a list of rows nor {dims, data}`, where, 'see finetune forward --help');
}

function dense(t: tf.Tensor): Dense {
  return { dims: [...t.shape], data: Array.from(t.dataSync()) };
}

export async function run(opts: ParsedOptions, cli: Cli): Promise<void> {
  const inputsPath = str(opts, 'inputs')!;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(inputsPath, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError('file not found', { file: inputsPath, option: '--inputs' }, 'check the path given to --inputs');
    if (e instanceof SyntaxError)
      throw new UserError(`not valid JSON (${e.message})`, { file: inputsPath, option: '--inputs' }, 'fix the JSON');
    throw e;
  }
  const src = (json.inputs && typeof json.inputs === 'object' ? json.inputs : json) as Record<string, unknown>;
  if (src.input_ids === undefined)
    throw new UserError('no "input_ids"', { file: inputsPath, option: '--inputs' }, 'give input_ids as a list of rows of token ids');
  const ids = readMatrix(src.input_ids, 'input_ids', inputsPath);
  const maskRaw = src.attention_mask ?? src.input_mask;
  const mask = maskRaw === undefined ? { dims: ids.dims, data: ids.data.map(() => 1) } : readMatrix(maskRaw, 'attention_mask', inputsPath);
  const types = src.token_type_ids === undefined ? null : readMatrix(src.token_type_ids, 'token_type_ids', inputsPath);
  for (const [n, m] of [
    ['attention_mask', mask],
    ['token_type_ids', types],
  ] as const) {
    if (m && m.dims.join() !== ids.dims.join())
      throw new UserError(
        `"${n}" has dims [${m.dims.join(', ')}], input_ids [${ids.dims.join(', ')}]`,
        { file: inputsPath, tensor: n },
        'give every input the same [batch, length]',
      );
  }

  const base = await loadBase(str(opts, 'model')!, { requireTokenizer: false });
  const vocab = Number(base.encoder.config.vocab_size ?? Infinity);
  const bad = ids.data.findIndex((x) => !Number.isInteger(x) || x < 0 || x >= vocab);
  if (bad >= 0) {
    base.encoder.dispose();
    throw new UserError(
      `token id ${ids.data[bad]} at row ${Math.floor(bad / ids.dims[1]) + 1}, position ${(bad % ids.dims[1]) + 1} ` +
        `is outside the vocabulary 0..${vocab - 1}`,
      { file: inputsPath, tensor: 'input_ids' },
      "use ids from this model's tokenizer",
    );
  }
  const batch: TensorBatch = {
    inputIds: tf.tensor2d(ids.data, ids.dims as [number, number], 'int32'),
    attentionMask: tf.tensor2d(mask.data, mask.dims as [number, number], 'int32'),
    ...(types ? { tokenTypeIds: tf.tensor2d(types.data, types.dims as [number, number], 'int32') } : {}),
  };
  const outputs: Record<string, Dense> = {};
  const headed = base.headParams.size > 0 && base.task !== undefined && base.tokenizer !== null;
  const model = headed
    ? createTaskModel({
        encoder: base.encoder,
        tokenizer: base.tokenizer!,
        task: base.task!,
        labels: base.task === 'regression' ? [] : base.labels,
        mode: { kind: 'full' },
        headParams: base.headParams,
      })
    : null;
  try {
    tf.tidy(() => {
      const r = base.encoder.forward(batch, { training: false, outputHiddenStates: true });
      r.hiddenStates?.forEach((h, i) => (outputs[`hidden_state_${i}`] = dense(h)));
      outputs.last_hidden_state = dense(r.sequence);
      outputs.pooler_output = dense(r.pooled);
      if (model) outputs.logits = dense(model.forward(batch, { training: false }));
    });
  } finally {
    tf.dispose([batch.inputIds, batch.attentionMask, ...(batch.tokenTypeIds ? [batch.tokenTypeIds] : [])]);
    if (model) model.dispose();
    else base.encoder.dispose();
  }
  const outPath = str(opts, 'out')!;
  await writeOneFile(
    outPath,
    JSON.stringify({
      model: base.source,
      arch: base.encoder.arch,
      inputs: { input_ids: ids, attention_mask: mask, ...(types ? { token_type_ids: types } : {}) },
      outputs,
    }),
  );
  cli.out(JSON.stringify({ out: outPath, outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.dims])) }));
}
