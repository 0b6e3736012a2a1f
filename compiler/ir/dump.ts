// A readable, deterministic text form of a graph, one line per item, for golden tests and
// debugging. Node lines read like
//   %backbone.conv1 = conv(%image) [k=7x7 s=2 p=3] out=64@backbone : f32[N,64,112,112]  part=shared  @file:3:5

import { formatLayout } from "./layout";
import { specOf } from "../ops";
import type { Graph, InitKind, Node, Param, TypedNode, ValueType } from "./types";
import { DEFAULT_TRAIN, type LossSpec } from "../train/spec";

const list = (xs: readonly unknown[]): string => `[${xs.join(",")}]`;

const formatType = (t: ValueType): string => `${t.dtype}${list(t.shape)}`;

/** The op's attribute words (compiler/ops/ states each op's format). */
function formatAttrs(n: Node): string {
  const parts = specOf(n.op).dump(n as TypedNode<typeof n.op>);
  return parts.length > 0 ? ` [${parts.join(" ")}]` : "";
}

function formatInit(i: InitKind): string {
  switch (i.kind) {
    case "he":
      return `he(${i.fanIn})`;
    case "xavier":
      return `xavier(${i.fanIn},${i.fanOut})`;
    case "normal":
      return `normal(${i.std})`;
    case "const":
      return String(i.value);
  }
}

function formatParam(p: Param): string {
  const axes = p.axes.map((a) => (a === null ? "-" : formatLayout(a)));
  const perWidth = p.perWidth === null ? "" : ` perWidth=${p.perWidth.join("*")}`;
  return `param ${p.name} ${list(p.shape)} axes=${list(axes)}${perWidth} init=${formatInit(p.init)}`;
}

function formatNode(graph: Graph, n: Node): string {
  const t = graph.values.get(n.outputs[0])?.type;
  const out = t && t.channelAxis !== null ? ` out=${formatLayout(t.channels)}` : "";
  const type = t ? ` : ${formatType(t)}` : "";
  const src = `@${n.source.file}:${n.source.line}:${n.source.col}`;
  return `%${n.id} = ${n.op}(${n.inputs.map((i) => `%${i}`).join(", ")})${formatAttrs(n)}${out}${type}  part=${n.part}  ${src}`;
}

function formatLoss(l: LossSpec): string {
  return l.ignoreIndex === null ? l.kind : `${l.kind}(ignore=${l.ignoreIndex})`;
}

export function dump(graph: Graph): string {
  const lines = [
    `graph ${graph.name} widths=${list(graph.widths)}${graph.sourceHash ? ` hash=${graph.sourceHash}` : ""}`,
  ];
  for (const g of graph.groups) lines.push(`group ${g.name} choices=${list(g.choices)} part=${g.part}`);
  for (const i of graph.inputs) {
    const t = graph.values.get(i.value)?.type;
    lines.push(`input %${i.value}${i.name === i.value ? "" : ` (${i.name})`}${t ? ` : ${formatType(t)}` : ""}`);
  }
  for (const n of graph.nodes) lines.push(formatNode(graph, n));
  for (const p of graph.params.values()) lines.push(formatParam(p));
  for (const t of graph.tasks) {
    const { kind, ...args } = t.decode;
    const decode = `${kind}(${Object.entries(args)
      .map(([k, v]) => `${k}=${v}`)
      .join(",")})`;
    const loss = t.loss ? ` loss=${formatLoss(t.loss)}` : "";
    lines.push(`task ${t.name} = %${t.output} decode=${decode}${loss}${t.metric ? ` metric=${t.metric}` : ""}`);
  }
  for (const b of graph.budgets) lines.push(`budget ${b.metric} <= ${b.value}${b.relative ? " (relative)" : ""}`);
  const prefer = Object.entries(graph.prefer);
  if (prefer.length > 0) lines.push(`prefer ${prefer.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  // Only a declared (non-default) training setup is listed, so dumps of models without one stay short.
  if (JSON.stringify(graph.train) !== JSON.stringify(DEFAULT_TRAIN)) lines.push(`train ${JSON.stringify(graph.train)}`);
  return lines.join("\n") + "\n";
}
