// Reads an ONNX file back: its float32 weights by name (what an exported folder imports from), and the graph's
// opset, inputs and outputs. The writer's own constants (names starting with "/") are not weights.
import { UserError } from '../../errors';
import type { NamedTensor } from '../../io/safetensors';
import { DataType, decodeModel, type ModelProto, type TensorProto, type ValueInfoProto } from './schema';

export interface OnnxValueInfo {
  name: string;
  /** 'float32', 'int64', ... or `type <n>` for other TensorProto data types */
  elem: string;
  /** numbers for fixed axes, names for symbolic ones ('batch_size'), null where the file gives neither */
  dims: (number | string | null)[];
}

export interface OnnxGraphInfo {
  irVersion: number;
  /** the default domain's opset version (0 when not imported) */
  opset: number;
  producer: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** every initializer's name, data type and shape, constants included */
  initializers: { name: string; dataType: number; dims: number[] }[];
  nodeCount: number;
  metadata: Record<string, string>;
}

const ELEM_NAMES: Record<number, string> = { [DataType.FLOAT]: 'float32', [DataType.INT32]: 'int32', [DataType.INT64]: 'int64' };

function decode(bytes: Uint8Array, file: string): ModelProto {
  let m: ModelProto;
  try {
    m = decodeModel(bytes);
  } catch (e) {
    throw new UserError(`${file} is not an ONNX model (${(e as Error).message})`, { file }, 'export the model to ONNX again');
  }
  if (!m.graph) throw new UserError(`${file} holds no ONNX graph`, { file }, 'export the model to ONNX again');
  return m;
}

function valueInfo(v: ValueInfoProto): OnnxValueInfo {
  const t = v.type?.tensorType;
  const elem = t ? (ELEM_NAMES[t.elemType] ?? `type ${t.elemType}`) : 'unknown';
  const dims = (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined ? Number(d.dimValue) : null));
  return { name: v.name, elem, dims };
}

/** The graph's header: IR version, opset, inputs, outputs, initializer shapes. */
export function readOnnxGraph(bytes: Uint8Array, file = 'model.onnx'): OnnxGraphInfo {
  const m = decode(bytes, file);
  const g = m.graph;
  const opset = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    irVersion: Number(m.irVersion ?? 0),
    opset: Number(opset?.version ?? 0),
    producer: m.producerName ?? '',
    inputs: (g.input ?? []).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    initializers: (g.initializer ?? []).map((t) => ({ name: t.name ?? '', dataType: t.dataType ?? 0, dims: (t.dims ?? []).map(Number) })),
    nodeCount: (g.node ?? []).length,
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, p.value])),
  };
}

function floatData(t: TensorProto, file: string): Float32Array {
  const n = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  if (t.dataLocation === 1) {
    throw new UserError(
      `tensor "${t.name}" is stored outside the file`,
      { file, tensor: t.name },
      'export with the weights inside model.onnx',
    );
  }
  let out: Float32Array;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * 4) {
      throw new UserError(`tensor "${t.name}" holds ${t.rawData.length} bytes for ${n} floats`, { file, tensor: t.name }, 'export again');
    }
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else {
    out = Float32Array.from(t.floatData ?? []);
  }
  if (out.length !== n)
    throw new UserError(`tensor "${t.name}" holds ${out.length} values for ${n}`, { file, tensor: t.name }, 'export again');
  return out;
}

/** The float32 initializers (weights) by name, with their shapes; the writer's "/"-named constants left out. */
export function readOnnxInitializers(bytes: Uint8Array, file = 'model.onnx'): Map<string, NamedTensor> {
  const m = decode(bytes, file);
  const out = new Map<string, NamedTensor>();
  for (const t of m.graph.initializer ?? []) {
    const name = t.name ?? '';
    if (t.dataType !== DataType.FLOAT || name.startsWith('/')) continue;
    out.set(name, { shape: (t.dims ?? []).map(Number), data: floatData(t, file) });
  }
  return out;
}

/** producer_name of the graphs this project writes (graph.ts' default): only those import back as weights. */
export const ONNX_PRODUCER = 'finetune-studio';
