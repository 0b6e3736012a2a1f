// Which parameters train and which take weight decay. BatchNorm running statistics are buffers
// (updated from batch statistics, never by the optimiser). Weight decay skips BatchNorm and
// LayerNorm parameters and every bias, the usual practice (and US-Nets' `nowd` for BN).
import type { Graph } from "../ir/types";

const BUFFER_ROLES = new Set(["running_mean", "running_var"]);
const NORM_OPS = new Set(["batchnorm", "layernorm"]);

export interface ParamRole {
  readonly trainable: boolean;
  readonly decay: boolean;
}

export function paramRoles(graph: Graph): Map<string, ParamRole> {
  const roles = new Map<string, ParamRole>();
  for (const name of graph.params.keys()) roles.set(name, { trainable: true, decay: true });
  for (const n of graph.nodes) {
    for (const [role, name] of Object.entries(n.params)) {
      if (BUFFER_ROLES.has(role) && n.op === "batchnorm") roles.set(name, { trainable: false, decay: false });
      else if (NORM_OPS.has(n.op) || role === "bias" || role.endsWith("bias"))
        roles.set(name, { trainable: true, decay: false });
    }
  }
  return roles;
}
