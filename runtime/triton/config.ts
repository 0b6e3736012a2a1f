// config.pbtxt contents for the exported models (Triton's ModelConfig, fields as documented):
// static configurations batch dynamically; the all-configurations model declares its width and
// task inputs as dims [1] reshaped to scalars and does not batch (Triton's batcher compares
// shapes only, so it would put requests of different widths into one batch).
import type { MtlMetadata } from "../../compiler/lower/metadata";
import type { OnnxValueInfo } from "../../compiler/onnx/model";
import { Enum, type TextMessage } from "./pbtxt";

const TYPE: Record<string, string> = {
  f32: "TYPE_FP32",
  i64: "TYPE_INT64",
  bool: "TYPE_BOOL",
  float: "TYPE_FP32",
  int64: "TYPE_INT64",
};

export interface BatchingOptions {
  readonly maxBatch: number;
  readonly instances: number;
  readonly queueDelayUs: number;
}

type Dim = number | string | null;
const dimsOf = (shape: readonly Dim[]): number[] => shape.map((d) => (typeof d === "number" ? d : -1));

/** Whether every input has the same symbolic first axis (a batch axis Triton may own). */
export const batchable = (meta: MtlMetadata): boolean =>
  typeof meta.inputs[0]?.shape[0] === "string" && meta.inputs.every((i) => i.shape[0] === meta.inputs[0].shape[0]);

function tensor(name: string, dtype: string, dims: number[]): TextMessage {
  // A scalar per batch row: Triton needs a non-empty dims, so [1] reshaped to [].
  if (!dims.length) return { name, data_type: new Enum(TYPE[dtype]), dims: [1], reshape: { shape: [] } };
  return { name, data_type: new Enum(TYPE[dtype]), dims };
}

function warmupInputs(meta: MtlMetadata, batched: boolean): Map<string, TextValueInput> {
  const m = new Map<string, TextValueInput>();
  for (const i of meta.inputs) {
    const full = i.shape.map((d) => (typeof d === "number" ? d : 1));
    m.set(i.name, { data_type: new Enum(TYPE[i.dtype]), dims: batched ? full.slice(1) : full, zero_data: true });
  }
  return m;
}
type TextValueInput = TextMessage;

export function staticConfig(
  name: string,
  meta: MtlMetadata,
  outputs: readonly OnnxValueInfo[],
  o: BatchingOptions,
): TextMessage {
  const batched = batchable(meta);
  const cut = (shape: readonly Dim[]) => (batched ? dimsOf(shape).slice(1) : dimsOf(shape));
  const preferred = [1, 2, 4, 8, 16, 32, 64, 128].filter((n) => n > 1 && n <= o.maxBatch);
  return {
    name,
    platform: "onnxruntime_onnx",
    max_batch_size: batched ? o.maxBatch : 0,
    input: meta.inputs.map((i) => tensor(i.name, i.dtype, cut(i.shape))),
    output: outputs.map((v) => tensor(v.name, v.dtype, cut(v.shape ?? [null]))),
    instance_group: [{ count: o.instances, kind: new Enum("KIND_CPU") }],
    dynamic_batching: batched
      ? { preferred_batch_size: preferred.length ? preferred : [1], max_queue_delay_microseconds: o.queueDelayUs }
      : undefined,
    model_warmup: [{ name: "zeros", batch_size: 1, inputs: warmupInputs(meta, batched) }],
  };
}

/** The all-configurations model: width.<group> INT64 and run.<task> BOOL inputs, dims [1] -> scalar. */
export function dynamicConfig(
  name: string,
  meta: MtlMetadata,
  outputs: readonly OnnxValueInfo[],
  o: BatchingOptions,
): TextMessage {
  const controls: TextMessage[] = [
    ...meta.groups.map((g) => ({
      name: `width.${g.name}`,
      data_type: new Enum("TYPE_INT64"),
      dims: [1],
      reshape: { shape: [] },
    })),
    ...(meta.gated
      ? meta.tasks.map((t) => ({
          name: `run.${t.name}`,
          data_type: new Enum("TYPE_BOOL"),
          dims: [1],
          reshape: { shape: [] },
        }))
      : []),
  ];
  const warm = warmupInputs(meta, false);
  for (const g of meta.groups)
    warm.set(`width.${g.name}`, { data_type: new Enum("TYPE_INT64"), dims: [1], zero_data: true });
  // Every task on for the warm-up: the file holds a single true byte.
  if (meta.gated)
    for (const t of meta.tasks)
      warm.set(`run.${t.name}`, { data_type: new Enum("TYPE_BOOL"), dims: [1], input_data_file: "true_bool" });
  return {
    name,
    platform: "onnxruntime_onnx",
    max_batch_size: 0,
    input: [...meta.inputs.map((i) => tensor(i.name, i.dtype, dimsOf(i.shape))), ...controls],
    output: outputs.map((v) => tensor(v.name, v.dtype, dimsOf(v.shape ?? [null]))),
    instance_group: [{ count: o.instances, kind: new Enum("KIND_CPU") }],
    model_warmup: [{ name: "narrowest_every_task", batch_size: 1, inputs: warm }],
  };
}
