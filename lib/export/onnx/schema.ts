// The subset of ONNX's protobuf schema this project writes and reads (field numbers from onnx/onnx.proto3), and the
// encode/decode of a ModelProto with protobufjs. No fs: runs in Node and in a Web Worker alike.
import protobuf from 'protobufjs';

export const ONNX_SCHEMA = `
syntax = "proto3";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
  }
  string name = 1;
  string ref_attr_name = 21;
  string doc_string = 13;
  AttributeType type = 20;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}

message ValueInfoProto {
  string name = 1;
  TypeProto type = 2;
  string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  string domain = 7;
  repeated AttributeProto attribute = 5;
  string doc_string = 6;
}

message ModelProto {
  int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  string key = 1;
  string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5; INT32 = 6; INT64 = 7;
    STRING = 8; BOOL = 9; FLOAT16 = 10; DOUBLE = 11; UINT32 = 12; UINT64 = 13;
  }
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  string name = 8;
  string doc_string = 12;
  bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
  DataLocation data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    };
    string denotation = 3;
  };
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    int32 elem_type = 1;
    TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  string denotation = 6;
}

message OperatorSetIdProto {
  string domain = 1;
  int64 version = 2;
}
`;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

// Plain-object forms of the messages (protobufjs `toObject` with longs as numbers, bytes as Uint8Array).
export interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  dataLocation?: number;
}
export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}
export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: AttributeProto[];
}
export interface DimProto {
  dimValue?: number;
  dimParam?: string;
}
export interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim?: DimProto[] } } };
}
export interface GraphProto {
  name?: string;
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  docString?: string;
}
export interface ModelProto {
  irVersion: number;
  opsetImport: { domain?: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph: GraphProto;
  metadataProps?: { key: string; value: string }[];
}

type Obj = Record<string, unknown>;

let modelType: protobuf.Type | null = null;
function model(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_SCHEMA, { keepCase: false }).root.lookupType('onnx.ModelProto');
  return modelType;
}

// Encoding and decoding walk the parsed schema with protobufjs' Writer and Reader instead of Type.encode/decode: those
// (and Field.resolve, through Type.ctor) are generated at run time with Function(), which the studio's
// Content-Security-Policy (no 'unsafe-eval') forbids. Message-typed fields are looked up here for the same reason.
const WIRE: Record<string, number> = { double: 1, float: 5, int32: 0, int64: 0, uint64: 0, bool: 0, string: 2, bytes: 2 };

const messageTypes = new Map<protobuf.Field, protobuf.Type | null>();
/** The message type of a field, or null for scalars and enums. */
function messageOf(f: protobuf.Field): protobuf.Type | null {
  if (!messageTypes.has(f)) {
    const t = f.type in WIRE ? null : f.parent!.lookupTypeOrEnum(f.type);
    messageTypes.set(f, t instanceof protobuf.Type ? t : null);
  }
  return messageTypes.get(f)!;
}

function wireType(f: protobuf.Field): number {
  return messageOf(f) ? 2 : (WIRE[f.type] ?? 0); // enums are varints
}

function writeScalar(w: protobuf.Writer, type: string, v: unknown): void {
  if (type === 'double') w.double(v as number);
  else if (type === 'float') w.float(v as number);
  else if (type === 'int64') w.int64(v as number);
  else if (type === 'uint64') w.uint64(v as number);
  else if (type === 'bool') w.bool(v as boolean);
  else if (type === 'string') w.string(v as string);
  else if (type === 'bytes') w.bytes(v as Uint8Array);
  else w.int32(v as number); // int32 and enums
}

function writeMessage(w: protobuf.Writer, type: protobuf.Type, obj: Obj): void {
  for (const f of type.fieldsArray) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    const msg = messageOf(f);
    const tag = (id: number, wt: number) => w.uint32(((id << 3) | wt) >>> 0);
    if (f.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      if (!msg && wireType(f) !== 2) {
        // proto3 packs repeated numbers
        tag(f.id, 2).fork();
        for (const x of list) writeScalar(w, f.type, x);
        w.ldelim();
        continue;
      }
      for (const x of list) {
        if (!msg) {
          writeScalar(tag(f.id, wireType(f)), f.type, x);
          continue;
        }
        writeMessage(tag(f.id, 2).fork(), msg, x as Obj);
        w.ldelim();
      }
      continue;
    }
    if (msg) {
      writeMessage(tag(f.id, 2).fork(), msg, v as Obj);
      w.ldelim();
      continue;
    }
    // proto3 leaves default scalars out, except a set member of a oneof
    const isDefault = v === 0 || v === '' || v === false || (v instanceof Uint8Array && v.length === 0);
    if (isDefault && !f.partOf) continue;
    writeScalar(tag(f.id, wireType(f)), f.type, v);
  }
}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

function readScalar(r: protobuf.Reader, type: string): unknown {
  if (type === 'double') return r.double();
  if (type === 'float') return r.float();
  if (type === 'int64') return toNumber(r.int64());
  if (type === 'uint64') return toNumber(r.uint64());
  if (type === 'bool') return r.bool();
  if (type === 'string') return r.string();
  if (type === 'bytes') return r.bytes();
  return r.int32();
}

function readMessage(r: protobuf.Reader, type: protobuf.Type, end: number): Obj {
  const out: Obj = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const f = type.fieldsById[tag >>> 3];
    const wt = tag & 7;
    if (!f) {
      r.skipType(wt);
      continue;
    }
    const msg = messageOf(f);
    let values: unknown[];
    if (msg) {
      const len = r.uint32();
      values = [readMessage(r, msg, r.pos + len)];
    } else if (wt === 2 && wireType(f) !== 2) {
      const stop = r.uint32() + r.pos;
      values = [];
      while (r.pos < stop) values.push(readScalar(r, f.type));
    } else {
      values = [readScalar(r, f.type)];
    }
    if (f.repeated) out[f.name] = [...((out[f.name] as unknown[]) ?? []), ...values];
    else out[f.name] = values[values.length - 1];
  }
  if (r.pos !== end) throw new Error('truncated message');
  return out;
}

export function encodeModel(m: ModelProto): Uint8Array {
  const w = protobuf.Writer.create();
  writeMessage(w, model(), m as unknown as Obj);
  return w.finish();
}

/** Decodes a ModelProto; int64 fields come back as numbers, bytes as Uint8Array (Buffer in Node). Throws on malformed bytes. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = protobuf.Reader.create(bytes);
  return readMessage(r, model(), bytes.length) as unknown as ModelProto;
}
