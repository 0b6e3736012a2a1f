// "Specialise on load": the dynamic model with its width inputs (and task switches) turned into
// constants. onnxruntime then folds the weight slices, picks the `If` branches and pre-packs
// weights when it creates the session, so a cached configuration runs at static-model speed
// while the file on disk still holds every configuration.
import type { OnnxModel, OnnxTensor } from "../compiler/onnx/model";

export interface Fixed {
  /** Choice index per width group. */
  readonly widths: Readonly<Record<string, number>>;
  /** Whether each task runs. */
  readonly run: Readonly<Record<string, boolean>>;
}

export function specialiseOnnx(model: OnnxModel, fixed: Fixed): OnnxModel {
  const constants: OnnxTensor[] = [];
  const keep = model.graph.inputs.filter((input) => {
    if (input.name.startsWith("width.")) {
      const group = input.name.slice("width.".length);
      const index = fixed.widths[group];
      if (index === undefined) throw new Error(`internal: no width for group ${group}`);
      constants.push({ name: input.name, dtype: "int64", dims: [], data: BigInt64Array.from([BigInt(index)]) });
      return false;
    }
    if (input.name.startsWith("run.")) {
      const task = input.name.slice("run.".length);
      constants.push({ name: input.name, dtype: "bool", dims: [], data: Uint8Array.from([fixed.run[task] ? 1 : 0]) });
      return false;
    }
    return true;
  });
  return { ...model, graph: { ...model.graph, inputs: keep, initializers: [...model.graph.initializers, ...constants] } };
}
