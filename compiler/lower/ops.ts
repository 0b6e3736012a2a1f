// Lowers one IR node through its op's spec (compiler/ops/): the registry holds every op's lowering.
import { specOf } from "../ops";
import type { Node, TypedNode } from "../ir/types";
import { NodeCtx } from "./node-ctx";
import { Emitter, type Scope } from "./scope";

/** Lowers one IR node into a scope; helper nodes are named and documented after it. */
export function lowerNode(scope: Scope, node: Node): void {
  const doc = `${node.source.file}:${node.source.line}:${node.source.col}`;
  specOf(node.op).lower(new NodeCtx(new Emitter(scope, node.id, doc), node), node as TypedNode<typeof node.op>);
}
