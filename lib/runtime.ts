// The `mtl` package entry: the runtime (load a compiled model, plan a configuration, run it).
export * from "../runtime/index";
export type { RunOptions, RunResult, OutputTensor } from "../runtime/model";
export type {
  Plan,
  PlanOptions,
  ConstraintsInput,
  SearchError,
  StrategyName,
  StrategyOption,
} from "../runtime/search/index";
export type { InputTensor } from "../runtime/inputs";
export type { Config } from "../compiler/ir/types";
