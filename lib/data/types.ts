// Plain data shapes that cross from datasets to training. No tensors here.

/** One labeled example after column mapping. */
export interface Example {
  text: string;
  textPair?: string;
  /** classification: a label name; multilabel: names; regression: a number */
  label: string | string[] | number;
  /** token classification (NER): words and one tag per word */
  words?: string[];
  tags?: string[];
}

export type SplitName = 'train' | 'validation' | 'test';

export interface LabeledData {
  task: 'classification' | 'multilabel' | 'regression' | 'token-classification';
  /** label names in id order (empty for regression) */
  labels: string[];
  train: Example[];
  validation: Example[];
  test: Example[];
}
