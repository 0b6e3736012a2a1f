// The training graph's emission state: the lowering's Lowerer, except that parameters are graph
// inputs (the loop owns the weights and feeds them, cut to the configuration) instead of
// initializers. The graph it lowers is already specialised, so no parameter needs cutting.
// `nchwcBlock` (0: off) puts ungrouped convs on onnxruntime's blocked kernels (nchwc.ts).
import type { Graph, Param } from "../ir/types";
import { Lowerer } from "../lower/scope";

export class TrainLowerer extends Lowerer {
  constructor(
    graph: Graph,
    readonly nchwcBlock = 0,
  ) {
    super(graph, new Map());
  }
  override paramInitializer(p: Param): string {
    return p.name;
  }
}
