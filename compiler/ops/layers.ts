// The primitive layers of the language, collected from the op registry (each op's file holds its
// layers' signatures and docs), plus their aliases.
import type { LayerDef } from "./layer-def";
import { OPS } from "./index";

const defs: LayerDef[] = Object.values(OPS).flatMap((spec) => ("layers" in spec.docs ? spec.docs.layers : []));

const aliases: Record<string, string> = { batchnorm: "bn", ln: "layernorm", global_avgpool: "gap" };

export const layers: ReadonlyMap<string, LayerDef> = new Map([
  ...defs.map((d) => [d.name, d] as const),
  ...Object.entries(aliases).map(([alias, name]) => [alias, defs.find((d) => d.name === name)!] as const),
]);
