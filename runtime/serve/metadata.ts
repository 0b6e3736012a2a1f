// Server and model metadata in KServe v2 form: inputs and outputs with datatypes and shapes
// (-1 for a dimension of any size), plus the width groups and tasks a request may choose.
import type { MtlModel } from "../model";

const DTYPE: Record<string, string> = { f32: "FP32", i64: "INT64", bool: "BOOL" };
const ONNX_DTYPE: Record<string, string> = { float: "FP32", int64: "INT64", bool: "BOOL" };

export const SERVER_VERSION = "0.1.0";

export const serverMetadata = () => ({
  name: "mtl",
  version: SERVER_VERSION,
  extensions: ["binary_tensor_data", "mtl_budgets"],
});

export interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

export function modelMetadata(
  name: string,
  m: MtlModel,
): { name: string; versions: string[]; platform: string; inputs: TensorMeta[]; outputs: TensorMeta[] } {
  const outs = m.outputInfo();
  return {
    name,
    versions: ["1"],
    platform: "mtl",
    inputs: m.meta.inputs.map((i) => ({
      name: i.name,
      datatype: DTYPE[i.dtype] ?? i.dtype,
      shape: i.shape.map((d) => (typeof d === "number" ? d : -1)),
    })),
    outputs: outs.map((o) => ({
      name: o.name,
      datatype: ONNX_DTYPE[o.dtype] ?? o.dtype.toUpperCase(),
      shape: (o.shape ?? []).map((d) => (typeof d === "number" ? d : -1)),
    })),
  };
}
