// finetune train --test FILE: the trained model evaluated on a held-back file once training is done.
import type { Example } from '../../lib/data/types';
import type { TaskModel } from '../../lib/models/types';
import type { RunConfig } from '../../lib/run/config';
import type { EvalResult } from '../../lib/train/events';
import type { ParsedOptions } from '../args';
import type { Cli } from '../context';
import { withFeaturePool } from '../threads';
import { evaluateOn } from '../commands/eval';

/** The encoder's features are computed on the pool threads (each opens the trained weights; the head runs here), in
 *  every mode; without a pool, in this thread. */
export async function testOn(
  model: TaskModel,
  path: string,
  config: RunConfig,
  opts: ParsedOptions,
  cli: Cli,
  maxLength: number,
  threads: number,
  onExamples?: (examples: Example[]) => void,
): Promise<EvalResult> {
  return withFeaturePool(model, threads, cli, 'test features', (extract) =>
    evaluateOn(
      model,
      path,
      '--test',
      opts,
      cli,
      { maxLength, windows: config.textWindows },
      64,
      extract,
      config.multilabelThreshold,
      undefined,
      onExamples,
    ),
  );
}
