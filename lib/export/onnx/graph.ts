// A small builder for ONNX graphs (default domain, opset 14): inputs, initializers, nodes, outputs, then a ModelProto
// as bytes. The architecture writers (bert.ts, use-lite.ts, heads.ts) only speak this API.
import { AttrType, DataType, encodeModel, type AttributeProto, type TensorProto, type ValueInfoProto } from './schema';

export type OnnxElem = 'float32' | 'int64';

/** A float attribute whose value looks integral (e.g. `{ alpha: f(1) }`); see `OnnxAttr`. */
export class OnnxFloat {
  constructor(readonly value: number) {}
}
export const f = (value: number): OnnxFloat => new OnnxFloat(value);

/**
 * How an attribute value is typed: a number is an INT when `Number.isInteger`, else a FLOAT, except for the names
 * in FLOAT_ATTRS (always FLOAT, so `epsilon: 1` or `alpha: 1` stay floats) and for `f(v)` (always FLOAT); a
 * number[] is INTS (axes, perm), a Float32Array is FLOATS, a string is STRING.
 */
export type OnnxAttr = number | number[] | string | Float32Array | OnnxFloat;
export const FLOAT_ATTRS: ReadonlySet<string> = new Set(['epsilon', 'alpha', 'beta', 'gamma', 'min', 'max', 'value_float']);

export const OPSET = 14;
export const IR_VERSION = 8;

const ELEM: Record<OnnxElem, number> = { float32: DataType.FLOAT, int64: DataType.INT64 };

function valueInfo(name: string, elem: OnnxElem, dims: (number | string)[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ELEM[elem], shape: { dim } } } };
}

function attribute(name: string, v: OnnxAttr): AttributeProto {
  if (v instanceof OnnxFloat) return { name, type: AttrType.FLOAT, f: v.value };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (v instanceof Float32Array) return { name, type: AttrType.FLOATS, floats: Array.from(v) };
  if (Array.isArray(v)) {
    if (!v.every(Number.isInteger)) throw new Error(`attribute "${name}": a number[] is INTS; pass a Float32Array for FLOATS`);
    return { name, type: AttrType.INTS, ints: v };
  }
  if (FLOAT_ATTRS.has(name) || !Number.isInteger(v)) return { name, type: AttrType.FLOAT, f: v };
  return { name, type: AttrType.INT, i: v };
}

/** Little-endian bytes of a typed array (ONNX raw_data), copied so the proto owns them. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function rawBytes(a: Float32Array | BigInt64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  if (a instanceof Float32Array) a.forEach((x, i) => view.setFloat32(i * 4, x, true));
  else a.forEach((x, i) => view.setBigInt64(i * 8, x, true));
  return out;
}

export class OnnxGraph {
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly nodes: { input: string[]; output: string[]; name: string; opType: string; attribute: AttributeProto[] }[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX value "${name}" is defined twice`);
    this.names.add(name);
    return name;
  }

  private fresh(prefix: string): string {
    let n: string;
    do n = `/${prefix}_${this.counter++}`;
    while (this.names.has(n));
    return n;
  }

  /** whether a value (input, initializer or node output) of this name exists */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /** a graph input; dims: numbers or symbolic names ('batch_size', 'sequence_length') */
  input(name: string, elem: OnnxElem, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(this.claim(name), elem, dims));
    return name;
  }

  /** marks an existing value as a graph output (through an Identity node when the names differ) */
  output(value: string, name: string, elem: OnnxElem, dims: (number | string)[]): void {
    if (!this.names.has(value)) throw new Error(`ONNX output "${name}": no value "${value}"`);
    if (value !== name) this.op('Identity', [value], {}, { output: name });
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** a float32 initializer stored under exactly this name (Hugging Face / checkpoint parameter names) */
  weight(name: string, data: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`ONNX weight "${name}": ${data.length} values for shape [${dims}]`);
    this.initializers.push({ name: this.claim(name), dims, dataType: DataType.FLOAT, rawData: rawBytes(data) });
    return name;
  }

  /** auto-named float32 constant (an initializer); dims default to [n] (a scalar with dims = []) */
  constFloat(values: number[] | Float32Array, dims?: number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    const name = this.fresh('const');
    this.names.add(name);
    this.initializers.push({ name, dims: dims ?? [data.length], dataType: DataType.FLOAT, rawData: rawBytes(data) });
    return name;
  }

  /** auto-named int64 constant (an initializer); dims default to [n] */
  constInt64(values: number[], dims?: number[]): string {
    const name = this.fresh('const');
    this.names.add(name);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: dims ?? [values.length], dataType: DataType.INT64, rawData: rawBytes(data) });
    return name;
  }

  /** one node; returns its (auto-named, unless opts.output is given) first output. An input '' is an omitted one. */
  op(opType: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, opts: { output?: string } = {}): string {
    const out = opts.output !== undefined ? this.claim(opts.output) : this.claim(this.fresh(opType));
    this.addNode(opType, inputs, [out], attrs);
    return out;
  }

  /** a node with several outputs */
  opN(opType: string, inputs: string[], outputs: number, attrs: Record<string, OnnxAttr> = {}): string[] {
    const base = this.fresh(opType);
    const outs = Array.from({ length: outputs }, (_, i) => this.claim(`${base}_${i}`));
    this.addNode(opType, inputs, outs, attrs);
    return outs;
  }

  private addNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, OnnxAttr>): void {
    for (const i of inputs) if (i !== '' && !this.names.has(i)) throw new Error(`ONNX ${opType}: unknown input "${i}"`);
    const list = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push({ input: inputs, output: outputs, name: `${opType}_${this.nodes.length}`, opType, attribute: list });
  }

  /** Convenience: x·Wᵀ + b for a PyTorch [out, in] weight (Transpose of the initializer, then MatMul and Add). */
  linear(x: string, weight: string, bias?: string): string {
    const y = this.op('MatMul', [x, this.op('Transpose', [weight], { perm: [1, 0] })]);
    return bias ? this.op('Add', [y, bias]) : y;
  }

  /** ModelProto bytes: opset 14 of the default domain, IR version 8. */
  toBytes(meta: { producer?: string; docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: meta.producer ?? 'finetune-studio',
      docString: meta.docString ?? '',
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }
}
