// The part of Triton's ModelConfig (model_config.proto) that `mtl export triton` writes, with the
// field numbers and types from Triton's documentation. A config.pbtxt is checked by building
// these messages as a protobuf descriptor in Python and parsing the file with Google's own
// text-format parser: unknown fields, wrong types and bad enum values are errors.
import { execFileSync } from "node:child_process";

type Field = [name: string, number: number, type: string, label?: "repeated"];

export const SCHEMA: { enums: Record<string, Record<string, number>>; messages: Record<string, Field[]> } = {
  enums: {
    DataType: {
      TYPE_INVALID: 0,
      TYPE_BOOL: 1,
      TYPE_UINT8: 2,
      TYPE_UINT16: 3,
      TYPE_UINT32: 4,
      TYPE_UINT64: 5,
      TYPE_INT8: 6,
      TYPE_INT16: 7,
      TYPE_INT32: 8,
      TYPE_INT64: 9,
      TYPE_FP16: 10,
      TYPE_FP32: 11,
      TYPE_FP64: 12,
      TYPE_STRING: 13,
      TYPE_BF16: 14,
    },
    Kind: { KIND_AUTO: 0, KIND_GPU: 1, KIND_CPU: 2, KIND_MODEL: 3 },
  },
  messages: {
    ModelConfig: [
      ["name", 1, "string"],
      ["platform", 2, "string"],
      ["backend", 17, "string"],
      ["max_batch_size", 4, "int32"],
      ["input", 5, "ModelInput", "repeated"],
      ["output", 6, "ModelOutput", "repeated"],
      ["instance_group", 7, "ModelInstanceGroup", "repeated"],
      ["default_model_filename", 8, "string"],
      ["dynamic_batching", 11, "ModelDynamicBatching"],
      ["model_warmup", 16, "ModelWarmup", "repeated"],
    ],
    ModelInput: [
      ["name", 1, "string"],
      ["data_type", 2, "enum:DataType"],
      ["dims", 4, "int64", "repeated"],
      ["reshape", 5, "ModelTensorReshape"],
      ["optional", 8, "bool"],
    ],
    ModelOutput: [
      ["name", 1, "string"],
      ["data_type", 2, "enum:DataType"],
      ["dims", 3, "int64", "repeated"],
      ["label_filename", 4, "string"],
      ["reshape", 5, "ModelTensorReshape"],
    ],
    ModelTensorReshape: [["shape", 1, "int64", "repeated"]],
    ModelInstanceGroup: [
      ["name", 1, "string"],
      ["count", 2, "int32"],
      ["gpus", 3, "int32", "repeated"],
      ["kind", 4, "enum:Kind"],
    ],
    ModelDynamicBatching: [
      ["preferred_batch_size", 1, "int32", "repeated"],
      ["max_queue_delay_microseconds", 2, "uint64"],
    ],
    ModelWarmup: [
      ["name", 1, "string"],
      ["batch_size", 2, "uint32"],
      ["inputs", 3, "map:WarmupInput"],
      ["count", 4, "uint32"],
    ],
    WarmupInput: [
      ["data_type", 1, "enum:DataType"],
      ["dims", 2, "int64", "repeated"],
      ["zero_data", 3, "bool"],
      ["random_data", 4, "bool"],
      ["input_data_file", 5, "string"],
    ],
  },
};

const SCRIPT = String.raw`
import json, sys
from google.protobuf import descriptor_pb2, descriptor_pool, text_format
try:
    from google.protobuf import message_factory
    get = lambda pool, name: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
except Exception:
    pass
schema = json.loads(sys.argv[1])
T = descriptor_pb2.FieldDescriptorProto
SCALAR = {"string": T.TYPE_STRING, "int32": T.TYPE_INT32, "int64": T.TYPE_INT64,
          "uint32": T.TYPE_UINT32, "uint64": T.TYPE_UINT64, "bool": T.TYPE_BOOL}
f = descriptor_pb2.FileDescriptorProto(name="model_config_subset.proto", package="inference", syntax="proto3")
for ename, values in schema["enums"].items():
    e = f.enum_type.add(name=ename)
    for k, v in values.items(): e.value.add(name=k, number=v)
for mname, fields in schema["messages"].items():
    m = f.message_type.add(name=mname)
    for fd in fields:
        name, number, typ = fd[0], fd[1], fd[2]
        label = T.LABEL_REPEATED if len(fd) > 3 else T.LABEL_OPTIONAL
        x = m.field.add(name=name, number=number, label=label)
        if typ in SCALAR: x.type = SCALAR[typ]
        elif typ.startswith("enum:"): x.type = T.TYPE_ENUM; x.type_name = ".inference." + typ[5:]
        elif typ.startswith("map:"):
            entry = m.nested_type.add(name=name.capitalize() + "Entry")
            entry.options.map_entry = True
            entry.field.add(name="key", number=1, label=T.LABEL_OPTIONAL, type=T.TYPE_STRING)
            entry.field.add(name="value", number=2, label=T.LABEL_OPTIONAL, type=T.TYPE_MESSAGE, type_name=".inference." + typ[4:])
            x.label = T.LABEL_REPEATED; x.type = T.TYPE_MESSAGE; x.type_name = ".inference." + mname + "." + entry.name
        else: x.type = T.TYPE_MESSAGE; x.type_name = ".inference." + typ
pool = descriptor_pool.DescriptorPool()
pool.Add(f)
desc = pool.FindMessageTypeByName("inference.ModelConfig")
try:
    cls = message_factory.GetMessageClass(desc)
except AttributeError:
    cls = message_factory.MessageFactory(pool).GetPrototype(desc)
bad = []
for path in sys.argv[2:]:
    try:
        text_format.Parse(open(path).read(), cls())
    except text_format.ParseError as e:
        bad.append(path + ": " + str(e))
print(json.dumps(bad))
`;

/** Parses each file as a ModelConfig; returns the failures (empty: all valid). */
export function checkPbtxt(paths: readonly string[]): string[] {
  const out = execFileSync("/usr/bin/python3", ["-c", SCRIPT, JSON.stringify(SCHEMA), ...paths], { encoding: "utf8" });
  return JSON.parse(out) as string[];
}
