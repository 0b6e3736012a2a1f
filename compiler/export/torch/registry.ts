// Each op's PyTorch mapping, read from its spec in the op registry (compiler/ops/); kept as a table
// for callers that want one (the export itself reads `specOf(op).pytorch`).
import type { OpKind } from "../../ir/types";
import { OP_KINDS, specOf } from "../../ops";
import type { TorchOp } from "./ops";

export const TORCH_OPS: Readonly<Record<OpKind, TorchOp>> = Object.fromEntries(
  OP_KINDS.map((k) => [k, specOf(k).pytorch]),
) as Record<OpKind, TorchOp>;
