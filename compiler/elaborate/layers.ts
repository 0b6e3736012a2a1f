// The primitive layers of the language, collected from the op registry (each op's file under
// compiler/ops/ holds its layers' signatures and docs), plus their aliases.
import { OPS } from "../ops";
import type { LayerDef } from "../ops/layer-def";

export { ArgError, type LayerCall, type LayerDef, type ParamSpec } from "../ops/layer-def";

const defs: LayerDef[] = Object.values(OPS).flatMap((spec) => ("layers" in spec.docs ? spec.docs.layers : []));

const aliases: Record<string, string> = { batchnorm: "bn", ln: "layernorm", global_avgpool: "gap" };

export const layers: ReadonlyMap<string, LayerDef> = new Map([
  ...defs.map((d) => [d.name, d] as const),
  ...Object.entries(aliases).map(([alias, name]) => [alias, defs.find((d) => d.name === name)!] as const),
]);
