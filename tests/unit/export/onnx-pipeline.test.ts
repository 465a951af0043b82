// The exported ONNX folder in transformers.js: pipeline('text-classification') on the folder onnxFolderFiles writes
// gives the labels and scores the engine's own predict (what `finetune predict` runs) gives, on 20 SST-2 sentences in
// one padded batch, for tiny BERT, DistilBERT and RoBERTa models (classification and multilabel); regression through
// the pipeline's model, whose logits are the predicted values (the pipeline itself would softmax one logit to 1).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { env, pipeline, type TextClassificationPipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxFolderFiles } from '@/lib/export/onnx/index';
import { fsSource } from '@/lib/io/fs-source';
import { openModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { Task, TaskModel } from '@/lib/models/types';
import { predict } from '@/lib/train/predict';
import { hasShared, sharedPath } from '../../helpers/shared';
import { useWasm } from '../../helpers/tf';
import { tinyHfDir, type TinyArch } from '../../helpers/tiny-hf';

const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'finetune-onnx-pipeline-'));
const LABELS: Partial<Record<Task, string[]>> = {
  classification: ['negative', 'neutral', 'positive'],
  multilabel: ['plot', 'acting', 'music', 'visuals'],
  regression: [],
};
const worst: string[] = [];

async function exported(arch: TinyArch, task: Task): Promise<{ model: TaskModel; folder: string }> {
  const base = await openModelFiles(fsSource(tinyHfDir(arch)));
  const model = createTaskModel({
    encoder: base.encoder,
    tokenizer: base.tokenizer!,
    task,
    labels: LABELS[task]!,
    mode: { kind: 'full' },
    seed: 5,
  });
  const folder = `${arch}-${task}`;
  for (const [path, content] of Object.entries(await onnxFolderFiles(model))) {
    const file = join(root, folder, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return { model, folder };
}

describe.skipIf(!hasShared('datasets', 'sst2'))('the exported folder in transformers.js gives the engine predictions', () => {
  let texts: string[];
  beforeAll(async () => {
    await useWasm();
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
    const lines = readFileSync(sharedPath('datasets', 'sst2', 'stsa.binary.dev')!, 'utf8')
      .split('\n')
      .filter(Boolean);
    texts = lines.slice(100, 120).map((l) => l.slice(2));
  });
  afterAll(() => console.log(`[onnx-pipeline] max |transformers.js − engine| (tolerance ${TOL}):\n  ${worst.join('\n  ')}`));

  for (const arch of ['bert', 'distilbert', 'roberta'] as const) {
    for (const task of ['classification', 'multilabel'] as const) {
      it(`${arch} ${task}: every label's score and the top label`, async () => {
        const { model, folder } = await exported(arch, task);
        const clf = (await pipeline('text-classification', folder, { dtype: 'fp32' })) as TextClassificationPipeline;
        const got = (await clf(texts, { top_k: null })) as { label: string; score: number }[][];
        const want = (await predict(
          model,
          texts.map((t) => model.tokenizer.encode(t)),
        )) as number[][];
        let d = 0;
        got.forEach((row, i) => {
          expect(row.map((r) => r.label).sort()).toEqual([...model.labels].sort());
          for (const r of row) d = Math.max(d, Math.abs(r.score - want[i][model.labels.indexOf(r.label)]));
          const top = want[i].indexOf(Math.max(...want[i]));
          expect(row[0].label, texts[i]).toBe(model.labels[top]);
        });
        worst.push(`${arch} ${task}: ${d.toExponential(1)}`);
        expect(d).toBeLessThanOrEqual(TOL);
        await clf.dispose();
        model.dispose();
      });
    }

    it(`${arch} regression: the model's logits are the engine's values`, async () => {
      const { model, folder } = await exported(arch, 'regression');
      const clf = (await pipeline('text-classification', folder, { dtype: 'fp32' })) as TextClassificationPipeline;
      const inputs = clf.tokenizer(texts, { padding: true, truncation: true });
      const { logits } = (await clf.model(inputs)) as { logits: { data: Float32Array; dims: number[] } };
      expect(logits.dims).toEqual([texts.length, 1]);
      const want = (await predict(
        model,
        texts.map((t) => model.tokenizer.encode(t)),
      )) as number[][];
      const d = Math.max(...want.map((w, i) => Math.abs(w[0] - logits.data[i])));
      worst.push(`${arch} regression: ${d.toExponential(1)}`);
      expect(d).toBeLessThanOrEqual(TOL);
      await clf.dispose();
      model.dispose();
    });
  }
});
