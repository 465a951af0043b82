// Task heads as ONNX nodes, for every architecture (lib/models/heads.ts at inference: no dropout): 'linear' on the
// pooled output, the first token or every token; DistilBERT's pre_classifier → ReLU → classifier; RoBERTa's
// classifier.dense → tanh → classifier.out_proj. Head weights keep their checkpoint names (classifier.*).
import type { NamedTensor } from '../../io/safetensors';
import type { HeadSpec } from '../../models/heads';
import type { OnnxGraph } from './graph';

/** Which encoder outputs the head may read (value names in the graph). */
export interface HeadInputs {
  sequence: string;
  pooled?: string;
}

/** The head's logits: [B, numLabels], or [B, T, numLabels] for token classification. */
export function headGraph(g: OnnxGraph, spec: HeadSpec, weights: Map<string, NamedTensor>, enc: HeadInputs): string {
  const w = (name: string): string => {
    if (g.has(name)) return name;
    const t = weights.get(name);
    const want = spec.shapes.get(name);
    if (!t || !want) throw new Error(`ONNX export: head weight "${name}" is missing`);
    if (t.shape.join(',') !== want.join(',')) {
      throw new Error(`ONNX export: head weight "${name}" has shape [${t.shape.join(', ')}], expected [${want.join(', ')}]`);
    }
    return g.weight(name, t.data, t.shape);
  };
  // x·Wᵀ + b: Gemm on [B, F], MatMul on the transposed weight for [B, T, F]
  const lin = (x: string, prefix: string, rank: 2 | 3): string => {
    const [wt, b] = [w(`${prefix}.weight`), w(`${prefix}.bias`)];
    return rank === 2 ? g.op('Gemm', [x, wt, b], { transB: 1 }) : g.linear(x, wt, b);
  };

  let features: string;
  if (spec.input === 'sequence') features = enc.sequence;
  else if (spec.input === 'first-token') features = g.op('Gather', [enc.sequence, g.constInt64([0], [])], { axis: 1 });
  else if (enc.pooled) features = enc.pooled;
  // a BERT checkpoint without pooler weights pools as the engine does: the first token's state
  else features = g.op('Gather', [enc.sequence, g.constInt64([0], [])], { axis: 1 });

  const rank = spec.input === 'sequence' ? 3 : 2;
  switch (spec.kind) {
    case 'linear':
      return lin(features, 'classifier', rank);
    case 'distilbert':
      return lin(g.op('Relu', [lin(features, 'pre_classifier', rank)]), 'classifier', rank);
    case 'roberta':
      return lin(g.op('Tanh', [lin(features, 'classifier.dense', rank)]), 'classifier.out_proj', rank);
  }
}
