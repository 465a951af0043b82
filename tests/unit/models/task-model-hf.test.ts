// Heads against checkpoints that Hugging Face code wrote (../shared/fixtures): a BertForSequenceClassification and a
// DistilBertForSequenceClassification load into a TaskModel whose logits match the recorded ones, and export back
// under exactly the checkpoint's own tensor names and shapes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fsSource } from '@/lib/io/fs-source';
import { readSafetensors } from '@/lib/io/safetensors';
import { loadPretrained } from '@/lib/models/load';
import { exportTaskWeights, hfTaskConfig } from '@/lib/models/param-io';
import { createTaskModel } from '@/lib/models/task-model';
import type { TensorBatch } from '@/lib/models/types';
import { hasShared, sharedPath } from '../../helpers/shared';
import { useWasm } from '../../helpers/tf';
import { toyTokenizer } from './task-model.helpers';

beforeAll(useWasm);

interface Arr {
  dims: number[];
  data: number[];
}

const FIXTURES: [string, string, string][] = [
  ['ort-tf-bert-mrpc-tiny', 'BertForSequenceClassification', 'output_1'],
  ['optimum-tiny-distilbert-onnx', 'DistilBertForSequenceClassification', 'logits'],
];

for (const [folder, cls, logitsKey] of FIXTURES) {
  describe.skipIf(!hasShared('fixtures', folder, 'hf'))(`${cls} from ../shared/fixtures/${folder}`, () => {
    const roundTripTest =
      'loads into a TaskModel whose logits match the recorded ones (≤ 1e-6 absolute) and exports under the same tensor names';
    it(roundTripTest, async () => {
      const dir = sharedPath('fixtures', folder)!;
      const loaded = await loadPretrained(fsSource(join(dir, 'hf')), { requireTokenizer: false });
      const labels = loaded.labels.length ? loaded.labels : ['LABEL_0', 'LABEL_1'];
      const model = createTaskModel({
        encoder: loaded.encoder,
        tokenizer: toyTokenizer(),
        task: 'classification',
        labels,
        mode: { kind: 'full' },
        headParams: loaded.headParams,
      });

      const expected = JSON.parse(readFileSync(join(dir, 'expected_outputs.json'), 'utf8')) as {
        inputs: Record<string, Arr>;
        outputs: Record<string, Arr>;
      };
      const t = (a: Arr) => tf.tensor2d(a.data, a.dims as [number, number], 'int32');
      const batch: TensorBatch = {
        inputIds: t(expected.inputs.input_ids),
        attentionMask: t(expected.inputs.attention_mask),
        tokenTypeIds: expected.inputs.token_type_ids ? t(expected.inputs.token_type_ids) : undefined,
      };
      const logits = model.forward(batch, { training: false });
      const want = expected.outputs[logitsKey];
      expect(logits.shape).toEqual(want.dims);
      const got = Array.from(logits.dataSync());
      got.forEach((v, i) => expect(Math.abs(v - want.data[i]), `logit ${i}: ${v} vs ${want.data[i]}`).toBeLessThanOrEqual(1e-6));

      // export: the checkpoint's own names and shapes, no more, no less
      const original = readSafetensors(new Uint8Array(readFileSync(join(dir, 'hf', 'model.safetensors')))).tensors;
      const exported = await exportTaskWeights(model);
      const shapes = (m: Map<string, { shape: number[] }>) =>
        Object.fromEntries([...m].filter(([n]) => !/position_ids$/.test(n)).map(([n, e]) => [n, e.shape]));
      expect(shapes(exported)).toEqual(shapes(original));
      for (const [n, e] of exported) if (original.has(n)) expect(e.data, n).toEqual(original.get(n)!.data);
      expect(hfTaskConfig(model).architectures).toEqual([cls]);

      tf.dispose([logits, batch.inputIds, batch.attentionMask, ...(batch.tokenTypeIds ? [batch.tokenTypeIds] : [])]);
      model.dispose();
    });
  });
}
