// `If` nodes: the only construct onnxruntime skips when not taken, used for task gating and for
// choosing a depthwise conv's static `group` at run time.
import type { OnnxDType, OnnxGraph } from "../onnx/model";
import { attr, type Emitter } from "./scope";

export interface BranchOutput {
  readonly dtype: OnnxDType;
  readonly rank: number;
}

/**
 * Emits `If(cond)` whose outputs are `outputs`. `build` fills each branch (through the Emitter it
 * is given) and returns the names of that branch's results, in order.
 */
export function emitIf(
  e: Emitter,
  cond: string,
  outputs: readonly string[],
  types: readonly BranchOutput[],
  build: (branch: Emitter, isThen: boolean) => readonly string[],
): void {
  const branch = (isThen: boolean): OnnxGraph => {
    const scope = e.scope.child();
    const results = build(e.in(scope), isThen);
    if (results.length !== outputs.length)
      throw new Error(`internal: If branch of ${e.label} yields ${results.length} values, expected ${outputs.length}`);
    return {
      name: `${e.label}/${isThen ? "then" : "else"}`,
      nodes: scope.nodes,
      inputs: [],
      outputs: results.map((name, i) => ({
        name,
        dtype: types[i].dtype,
        shape: Array.from({ length: types[i].rank }, () => null),
      })),
      initializers: [],
      valueInfo: [],
      docString: "",
    };
  };
  e.op("If", [cond], [attr.graph("then_branch", branch(true)), attr.graph("else_branch", branch(false))], outputs);
}
