// "Specialise on load": the dynamic model with its width inputs (and task switches) turned into
// constants. onnxruntime then folds the weight slices, picks the `If` branches and pre-packs
// weights when it creates the session, so a cached configuration runs at static-model speed
// while the file on disk still holds every configuration.
import type { OnnxModel, OnnxTensor } from "../compiler/onnx/model";
import { inputsToConstants } from "../compiler/onnx/patch-inputs";
import { controlInput } from "../compiler/io-names";

export interface Fixed {
  /** Choice index per width group. */
  readonly widths: Readonly<Record<string, number>>;
  /** Whether each task runs. */
  readonly run: Readonly<Record<string, boolean>>;
}

/** The constant a control input (width choice, task switch) takes in `fixed`; undefined for data inputs. */
function controlConstant(name: string, fixed: Fixed): OnnxTensor | undefined {
  const control = controlInput(name);
  if (control?.kind === "width") {
    const index = fixed.widths[control.group];
    if (index === undefined) throw new Error(`internal: no width for group ${control.group}`);
    return { name, dtype: "int64", dims: [], data: BigInt64Array.from([BigInt(index)]) };
  }
  if (control?.kind === "run")
    return { name, dtype: "bool", dims: [], data: Uint8Array.from([fixed.run[control.task] ? 1 : 0]) };
  return undefined;
}

/**
 * The specialised model's bytes straight from the file's bytes (compiler/onnx/patch-inputs.ts):
 * the model `specialiseOnnx(decodeModel(bytes), fixed)` (its fields in another order), made
 * with one copy and no decode, so first use of a configuration does not materialise the weights.
 */
export function specialiseBytes(bytes: Uint8Array, fixed: Fixed): Uint8Array {
  return inputsToConstants(bytes, (name) => controlConstant(name, fixed));
}

export function specialiseOnnx(model: OnnxModel, fixed: Fixed): OnnxModel {
  const constants: OnnxTensor[] = [];
  const keep = model.graph.inputs.filter((input) => {
    const constant = controlConstant(input.name, fixed);
    if (constant) constants.push(constant);
    return !constant;
  });
  return {
    ...model,
    graph: { ...model.graph, inputs: keep, initializers: [...model.graph.initializers, ...constants] },
  };
}
