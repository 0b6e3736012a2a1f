// Each op's gradient rule, read from its spec in the op registry (compiler/ops/): the rule
// implementations live in this folder, the per-op table in the op's own file.
import type { OpKind } from "../../ir/types";
import { OP_KINDS, specOf } from "../../ops";
import type { GradRule } from "./ctx";

export const GRAD_RULES: Readonly<Record<OpKind, GradRule>> = Object.fromEntries(
  OP_KINDS.map((k) => [k, specOf(k).gradient]),
) as Record<OpKind, GradRule>;
