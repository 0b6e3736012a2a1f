// Request tensors -> model inputs: datatypes checked against what the model declares, images
// (BYTES tensors holding PNG/JPEG files) decoded and preprocessed as the input declares, and
// Triton-style control inputs (`width.<group>`, `run.<task>`) turned into a configuration.
import type { Config } from "../../compiler/ir/types";
import { imageInput } from "../image";
import { checkInputs, type InputTensor } from "../inputs";
import type { MtlModel } from "../model";
import { badRequest } from "./errors";
import type { TypedData, WireTensor } from "./tensors";

export interface ModelInputs {
  readonly inputs: Record<string, InputTensor>;
  /** Rows along the batch axis (the first axis of the first input). */
  readonly rows: number;
  /** Set when the request carried width.* / run.* inputs. */
  readonly controls?: { config: Config; tasks: string[] };
}

const message = (e: unknown): { message: string; hint?: string } => ({
  message: (e as Error).message,
  hint: (e as { hint?: string }).hint,
});

function images(model: MtlModel, where: string, t: WireTensor, decl: MtlModel["meta"]["inputs"][number]): InputTensor {
  const files = t.data as readonly Uint8Array[];
  if (!files.length) throw badRequest(`${where} holds no images`, "send at least one PNG or JPEG file");
  const parts = files.map((bytes, i) => {
    try {
      return imageInput(bytes, `${where}[${i}]`, decl);
    } catch (e) {
      const m = message(e);
      throw badRequest(m.message, m.hint);
    }
  });
  const one = parts[0].data.length;
  const data = new Float32Array(one * parts.length);
  parts.forEach((p, i) => data.set(p.data as Float32Array, i * one));
  return { data, dims: [parts.length, ...parts[0].dims.slice(1)] };
}

function numbers(where: string, t: WireTensor, dtype: string): InputTensor {
  const d = t.data as TypedData;
  const want = { f32: ["FP32", "FP64"], i64: ["INT64", "INT32", "UINT8"], bool: ["BOOL"] }[dtype] ?? [];
  if (!want.includes(t.datatype))
    throw badRequest(
      `${where}.datatype is ${t.datatype}, but input \`${t.name}\` takes ${dtype}`,
      `send ${want[0] ?? "a supported datatype"}${dtype === "f32" ? " (or BYTES holding PNG/JPEG images)" : ""}`,
    );
  let data: InputTensor["data"];
  if (dtype === "f32") data = d instanceof Float32Array ? d : Float32Array.from(d as Float64Array);
  else if (dtype === "i64")
    data = d instanceof BigInt64Array ? d : BigInt64Array.from(Array.from(d as Int32Array), (v) => BigInt(v));
  else data = d as Uint8Array;
  return { data, dims: t.shape };
}

function scalar(where: string, t: WireTensor, datatype: "INT64" | "BOOL"): number {
  if (t.datatype !== datatype && !(datatype === "INT64" && t.datatype === "INT32"))
    throw badRequest(
      `${where}.datatype is ${t.datatype}, but \`${t.name}\` takes ${datatype}`,
      `send ${datatype} with shape [1]`,
    );
  const d = t.data as TypedData;
  if (d.length !== 1) throw badRequest(`${where} must hold one value (shape [1] or [])`);
  return Number(d[0]);
}

export function toModelInputs(model: MtlModel, tensors: readonly WireTensor[]): ModelInputs {
  const inputs: Record<string, InputTensor> = {};
  const meta = model.meta;
  let config: Record<string, number> | undefined;
  let run: Record<string, boolean> | undefined;
  tensors.forEach((t, i) => {
    const where = `inputs[${i}] (${t.name})`;
    if (t.name in inputs) throw badRequest(`${where} is given twice`, "send each input once");
    if (t.name.startsWith("width.")) {
      const group = meta.groups.find((g) => `width.${g.name}` === t.name);
      if (!group) throw badRequest(`${where}: the model has no width group \`${t.name.slice(6)}\``);
      const choice = scalar(where, t, "INT64");
      if (!Number.isInteger(choice) || choice < 0 || choice >= group.choices.length)
        throw badRequest(`${where}: choice ${choice} is out of range`, `use 0 to ${group.choices.length - 1}`);
      (config ??= {})[group.name] = choice;
      return;
    }
    if (t.name.startsWith("run.")) {
      if (!model.tasks.includes(t.name.slice(4)))
        throw badRequest(`${where}: the model has no task \`${t.name.slice(4)}\``);
      (run ??= {})[t.name.slice(4)] = scalar(where, t, "BOOL") !== 0;
      return;
    }
    const decl = meta.inputs.find((x) => x.name === t.name);
    if (!decl)
      throw badRequest(
        `${where}: model ${meta.name} has no input \`${t.name}\``,
        `its inputs are ${meta.inputs.map((x) => x.name).join(", ")}`,
      );
    inputs[t.name] = t.datatype === "BYTES" ? images(model, where, t, decl) : numbers(where, t, decl.dtype);
  });
  try {
    checkInputs(meta, inputs);
  } catch (e) {
    const m = message(e);
    throw badRequest(`inputs: ${m.message}`, m.hint);
  }
  const rows = inputs[meta.inputs[0].name].dims[0];
  if (!config && !run) return { inputs, rows };
  const full = Object.fromEntries(meta.groups.map((g) => [g.name, config?.[g.name] ?? g.choices.length - 1]));
  const tasks = run ? model.tasks.filter((t) => run![t] ?? true) : model.tasks;
  if (!tasks.length)
    throw badRequest("every run.* input is false: no task would run", "set run.<task> to true for at least one task");
  return { inputs, rows, controls: { config: full, tasks } };
}
