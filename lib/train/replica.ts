// A pool thread's copy of the model (feature-pool.ts, train-worker.ts): the backend set up as the caller's, the model
// opened from the Hugging Face files it was sent, in the mode it runs. A thread is sent token ids and never tokenizes,
// so a model without tokenizer files gets a stand-in that says so.
import { initBackend } from '@/lib/backend/init';
import { memorySource } from '@/lib/io/source';
import { openModelFiles } from '@/lib/models/open';
import { createTaskModel } from '@/lib/models/task-model';
import type { FineTuneMode, TaskModel, TextTokenizer } from '@/lib/models/types';
import type { WorkerSetup } from './pool-port';

export async function openReplica(setup: WorkerSetup, mode: FineTuneMode, classifierDropout?: number): Promise<TaskModel> {
  await initBackend(setup.backend);
  const opened = await openModelFiles(memorySource('pool thread', setup.files), { requireTokenizer: false });
  const tokenizer: TextTokenizer = opened.tokenizer ?? {
    kind: 'hf',
    vocabSize: 0,
    padId: 0,
    modelMaxLength: Number.MAX_SAFE_INTEGER,
    encode: () => {
      throw new Error('a pool thread is sent token ids, it does not tokenize');
    },
    files: () => ({}),
  };
  return createTaskModel({
    encoder: opened.encoder,
    tokenizer,
    task: setup.task,
    labels: setup.labels,
    mode,
    headParams: opened.headParams,
    ...(classifierDropout !== undefined ? { classifierDropout } : {}),
  });
}
