// The primitive layers, as the evaluator sees them: the op registry's layer table.
export { layers } from "../ops/layers";
export { ArgError, type LayerCall, type LayerDef, type ParamSpec } from "../ops/layer-def";
