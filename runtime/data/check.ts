// Does a data set feed a model? Every model input needs a data set input of the same per-sample
// shape (symbolic dimensions match anything) and a fitting dtype; every task that trains needs a
// target shaped like its output (class indices for cross-entropy: the output without its class axis).
import type { Dim, Graph } from "../../compiler/ir/types";
import type { LossKind } from "../../compiler/train/spec";
import { DataError } from "./errors";
import type { DataDType, Manifest } from "./manifest";

/** What the check needs of a model; `modelDataSpec` reads it from a compiled graph. */
export interface ModelDataSpec {
  readonly inputs: readonly { name: string; dtype: string; shape: readonly Dim[] }[];
  /** outputShape includes the batch axis, as the head produces it. */
  readonly tasks: readonly {
    name: string;
    loss: LossKind | null;
    outputShape: readonly Dim[];
    /** The class axis of the output (1 for [N, C, ...], the last for sequences [N, T, V]); default 1. */
    classAxis?: number;
    /** cross_entropy's ignore index (targets equal to it count nothing), if declared. */
    ignoreIndex?: number | null;
  }[];
}

export function modelDataSpec(g: Graph): ModelDataSpec {
  return {
    inputs: g.inputs.map((i) => ({
      name: i.name,
      dtype: g.values.get(i.value)!.type.dtype,
      shape: g.values.get(i.value)!.type.shape,
    })),
    tasks: g.tasks.map((t) => ({
      name: t.name,
      loss: t.loss?.kind ?? null,
      outputShape: g.values.get(t.output)!.type.shape,
      classAxis: g.values.get(t.output)!.type.channelAxis ?? 1,
      ignoreIndex: t.loss?.ignoreIndex ?? null,
    })),
  };
}

const show = (s: readonly Dim[]) => `[${s.join(", ")}]`;
const fits = (data: readonly number[], model: readonly Dim[]) =>
  data.length === model.length && model.every((d, i) => typeof d === "string" || d === data[i]);

/** The per-sample target shape a task's loss needs, from the head's output shape (with batch axis). */
export function targetShape(loss: LossKind | null, output: readonly Dim[]): readonly Dim[] {
  const perSample = output.slice(1);
  return loss === "cross_entropy" ? perSample.slice(1) : perSample; // class indices: no class axis
}

/**
 * Throws a DataError naming the input or task and the data set's manifest when they do not fit.
 * `tasks` limits the check to the tasks being trained (default: all tasks with a loss).
 */
export function checkDataFitsModel(m: Manifest, model: ModelDataSpec, where: string, tasks?: readonly string[]): void {
  const misfit = (message: string, hint: string): never => {
    throw new DataError("MTL-DATA-005", `${where}: ${message}`, hint);
  };
  for (const input of model.inputs) {
    const f = m.inputs[input.name];
    if (!f)
      misfit(
        `the model's input \`${input.name}\` is not in the data set (its inputs are ${Object.keys(m.inputs).join(", ")})`,
        "name the data set's input as the model does",
      );
    const want = input.dtype === "i64" ? ["int64"] : input.dtype === "f32" ? ["float32", "uint8"] : [];
    if (!want.includes(f.dtype))
      misfit(
        `input \`${input.name}\` is ${f.dtype} in the data set but ${input.dtype} in the model`,
        `store it as ${want.join(" or ") || "a supported type"}`,
      );
    const shape = input.shape.slice(1);
    if (!fits(f.shape, shape))
      misfit(
        `input \`${input.name}\` has per-sample shape ${show(f.shape)} in the data set but ${show(shape)} in the model`,
        "resize the data or change the model's input declaration",
      );
  }
  const trained = model.tasks.filter((t) => (tasks ? tasks.includes(t.name) : t.loss !== null));
  for (const t of trained) {
    if (!t.loss)
      misfit(
        `task \`${t.name}\` has no loss, so it cannot be trained`,
        "declare one in the task, e.g. `loss cross_entropy`",
      );
    const f = m.targets[t.name];
    if (!f)
      misfit(
        `task \`${t.name}\` has no target in the data set (its targets are ${Object.keys(m.targets).join(", ") || "none"})`,
        "add the task's target, named as the task",
      );
    const integral: readonly DataDType[] = ["int64", "uint8"];
    const needs = t.loss === "cross_entropy" ? "int64 (or uint8) class indices" : "float32 values";
    if (t.loss === "cross_entropy" ? !integral.includes(f.dtype) : f.dtype !== "float32")
      misfit(
        `target \`${t.name}\` is ${f.dtype}, but its loss ${t.loss} needs ${needs}`,
        "convert the target when building the data set",
      );
    const shape = targetShape(t.loss, t.outputShape);
    if (!fits(f.shape, shape))
      misfit(
        `target \`${t.name}\` has per-sample shape ${show(f.shape)}, ` +
          `but the task's output ${show(t.outputShape)} with loss ${t.loss} needs ${show(shape)}`,
        t.loss === "cross_entropy"
          ? "cross-entropy targets are class indices: the output's shape without the batch and class axes"
          : "the target must have the output's per-sample shape",
      );
  }
}
