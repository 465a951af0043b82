// What a run's data must be for its model (label ids in range, one tag per token, no empty or over-long example) and
// the class weights its loss takes: checked once before the first step, each failure a UserError naming the example.
import type { TaskModel } from '@/lib/models/types';
import { UserError } from '@/lib/errors';
import type { ResolvedConfig } from './config';
import type { EncodedExample } from './encode';
import { balancedClassWeights } from './losses';

export function numOutputs(model: TaskModel): number {
  return model.task === 'regression' ? 1 : model.labels.length;
}

/** Checks labels against the model: class ids in range, one tag per token. A bad one is a UserError naming the example. */
export function validateData(model: TaskModel, examples: EncodedExample[], split: string): void {
  const k = numOutputs(model);
  examples.forEach((e, i) => {
    // rows count examples of the split (after cleaning and splitting), not lines of the uploaded file
    const where = { row: i + 1, column: 'label' };
    if (!e.ids.length) throw new UserError(`${split} example ${i + 1} has no tokens`, where, 'remove empty rows');
    if (e.ids.length > model.tokenizer.modelMaxLength)
      throw new UserError(
        `${split} example ${i + 1}: example has ${e.ids.length} tokens, more than the model's ${model.tokenizer.modelMaxLength}`,
        where,
        'encode with a smaller maxLength',
      );
    const bad = (c: unknown) => typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= k;
    if (model.task === 'classification' && bad(e.label))
      throw new UserError(
        `${split} example ${i + 1}: label id ${String(e.label)} is outside 0..${k - 1}`,
        where,
        "encode the labels with the model's label list",
      );
    if (model.task === 'multilabel' && (!Array.isArray(e.label) || e.label.some(bad)))
      throw new UserError(
        `${split} example ${i + 1}: multi-label ids ${JSON.stringify(e.label)} are not all in 0..${k - 1}`,
        where,
        "encode the labels with the model's label list",
      );
    if (model.task === 'regression' && (typeof e.label !== 'number' || !Number.isFinite(e.label)))
      throw new UserError(
        `${split} example ${i + 1}: regression target ${String(e.label)} is not a finite number`,
        where,
        'fill the label column with numbers',
      );
    if (model.task === 'token-classification') {
      if (!e.tags || e.tags.length !== e.ids.length)
        throw new UserError(
          `${split} example ${i + 1}: token classification needs one tag per token (${e.ids.length} tokens, ${e.tags?.length ?? 0} tags)`,
          where,
          'encode with encodeExamples',
        );
      if (e.tags.some((t) => t >= k || (t < 0 && t !== -100)))
        throw new UserError(`${split} example ${i + 1}: tag id outside 0..${k - 1}`, where, "encode the tags with the model's label list");
    }
  });
}

/** The loss's class weights: the given list (one per label), balanced from the training counts, or none. */
export function classWeightsFor(model: TaskModel, cfg: ResolvedConfig, train: EncodedExample[]): number[] | undefined {
  const k = numOutputs(model);
  if (cfg.classWeights === undefined) return undefined;
  if (Array.isArray(cfg.classWeights)) {
    if (cfg.classWeights.length !== k)
      throw new UserError(
        `${cfg.classWeights.length} class weights for ${k} labels`,
        { option: 'classWeights' },
        'give one weight per label',
      );
    return cfg.classWeights;
  }
  const counts = new Array<number>(k).fill(0);
  for (const e of train) {
    if (model.task === 'classification') counts[e.label as number]++;
    else if (model.task === 'multilabel') for (const c of e.label as number[]) counts[c]++;
    else if (model.task === 'token-classification') for (const t of e.tags ?? []) if (t >= 0) counts[t]++;
  }
  if (model.task === 'regression')
    throw new UserError('class weights do not apply to regression', { option: 'classWeights' }, 'leave class weights out');
  return balancedClassWeights(counts);
}
