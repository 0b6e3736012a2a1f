// "Specialise on load": the dynamic model with its width inputs (and task switches) turned into
// constants. onnxruntime then folds the weight slices, picks the `If` branches and pre-packs
// weights when it creates the session, so a cached configuration runs at static-model speed
// while the file on disk still holds every configuration.
import type { OnnxModel, OnnxTensor } from "../compiler/onnx/model";
import { controlInput } from "../compiler/io-names";

export interface Fixed {
  /** Choice index per width group. */
  readonly widths: Readonly<Record<string, number>>;
  /** Whether each task runs. */
  readonly run: Readonly<Record<string, boolean>>;
}

export function specialiseOnnx(model: OnnxModel, fixed: Fixed): OnnxModel {
  const constants: OnnxTensor[] = [];
  const keep = model.graph.inputs.filter((input) => {
    const control = controlInput(input.name);
    if (control?.kind === "width") {
      const index = fixed.widths[control.group];
      if (index === undefined) throw new Error(`internal: no width for group ${control.group}`);
      constants.push({ name: input.name, dtype: "int64", dims: [], data: BigInt64Array.from([BigInt(index)]) });
      return false;
    }
    if (control?.kind === "run") {
      constants.push({ name: input.name, dtype: "bool", dims: [], data: Uint8Array.from([fixed.run[control.task] ? 1 : 0]) });
      return false;
    }
    return true;
  });
  return { ...model, graph: { ...model.graph, inputs: keep, initializers: [...model.graph.initializers, ...constants] } };
}
