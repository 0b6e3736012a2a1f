// model.py from the IR: a SlimmableModel subclass whose tables (groups, parameters with their
// per-axis segments, tasks) come from the graph, with one method for the shared part and one per
// task head, each a straight-line list of PyTorch calls commented with the .mtl line it came from.
import type { Diagnostic } from "../../diagnostics";
import { diag } from "../../messages";
import type { DecodeSpec, Graph, Node, Param, Task, ValueType } from "../../ir/types";
import { MODEL_RUNTIME, SAFETENSORS_IO } from "./model-runtime";
import { blockRuns, runInterface } from "./blocks";
import { specOf } from "../../ops";
import { segmentTuple, type TorchOpCtx } from "./ops";
import { indent, py, pyAssign, pyIdent, pyNumber } from "./python";
import { lossOf } from "./spec";

export interface TorchModelSource {
  readonly text: string;
  readonly className: string;
  readonly diagnostics: readonly Diagnostic[];
}

const PY_KEYWORDS = new Set([
  ..."False None True and as assert async await break class continue def del elif else except finally for from".split(
    " ",
  ),
  ..."global if import in is lambda nonlocal not or pass raise return try while with yield".split(" "),
  ..."self cfg inputs shared device math torch nn F np json os struct".split(" "), // names the methods use
]);

/** Unique Python local names for IR values. */
class Names {
  private readonly used = new Set<string>();
  private readonly byValue = new Map<string, string>();
  get(id: string): string {
    const known = this.byValue.get(id);
    if (known) return known;
    let base = pyIdent(id);
    if (PY_KEYWORDS.has(base)) base += "_";
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    this.byValue.set(id, name);
    return name;
  }
}

const MAX_COMMENT = 110;

/** "# file:line  the source text", when the source is at hand. */
function sourceComment(node: Node, sourceOf: (file: string) => string | undefined): string {
  const text = sourceOf(node.source.file)?.split(/\r?\n/)[node.source.line - 1]?.trim() ?? "";
  const head = `# ${node.source.file}:${node.source.line}`;
  const full = text ? `${head}  ${text}` : head;
  return full.length > MAX_COMMENT ? `${full.slice(0, MAX_COMMENT - 3)}...` : full;
}

interface Emit {
  readonly graph: Graph;
  readonly sourceOf: (file: string) => string | undefined;
  readonly diags: Diagnostic[];
  /** Helper methods (one per block call), collected for the class body. */
  readonly helpers: string[];
  readonly helperNames: Set<string>;
}

/** Lines computing `nodes` in order into locals named by `names`. */
function emitNodes(x: Emit, nodes: readonly Node[], names: Names, lines: string[]): void {
  const typeOf = (id: string): ValueType => x.graph.values.get(id)!.type;
  if (nodes.some((n) => n.op === "const")) lines.push("device = next(self.parameters()).device");
  let lastSource = "";
  for (const node of nodes) {
    const ctx: TorchOpCtx = {
      node,
      in: (i) => names.get(node.inputs[i]),
      inType: (i) => typeOf(node.inputs[i]),
      outType: () => typeOf(node.outputs[0]),
      param: (role) => `self.cut(${py(node.params[role])}, cfg)`,
      hasParam: (role) => node.params[role] !== undefined,
    };
    const where = `${node.source.file}:${node.source.line}`;
    if (where !== lastSource) {
      lines.push(sourceComment(node, x.sourceOf));
      lastSource = where;
    }
    const r = specOf(node.op).pytorch(ctx);
    if (!r.ok) {
      const span = { file: node.source.file, start: 0, end: 0, line: node.source.line, col: node.source.col };
      const message = `\`${node.id}\` (${node.op}) cannot be exported to PyTorch: ${r.reason}`;
      x.diags.push(diag("MTL6001", span, message, "change the layer, or compile to ONNX only"));
      lines.push(`raise NotImplementedError(${py(`${node.id}: ${r.reason}`)})`);
      continue;
    }
    lines.push(`${names.get(node.outputs[0])} = ${r.expr}`);
  }
}

const MIN_BLOCK = 3; // shorter runs stay inline

/**
 * A method body: each run of nodes of one block call (see blocks.ts) becomes a helper method
 * called here; `keep` are the values the method returns.
 */
function methodBody(x: Emit, nodes: readonly Node[], keep: ReadonlySet<string>) {
  const names = new Names();
  const lines: string[] = [];
  const runs = blockRuns(nodes);
  runs.forEach((run, k) => {
    const later = new Set([...runs.slice(k + 1).flatMap((r) => r.nodes.flatMap((n) => n.inputs)), ...keep]);
    const { ins, outs } = runInterface(run, later);
    if (run.key === null || run.nodes.length < MIN_BLOCK || runs.length === 1 || outs.length === 0) {
      emitNodes(x, run.nodes, names, lines);
      return;
    }
    let method = `block_${pyIdent(run.key)}`;
    for (let i = 2; x.helperNames.has(method); i++) method = `block_${pyIdent(run.key)}_${i}`;
    x.helperNames.add(method);
    const inner = new Names();
    const params = ins.map((v) => inner.get(v));
    const body: string[] = [];
    emitNodes(x, run.nodes, inner, body);
    const first = run.nodes[0].source;
    x.helpers.push(
      "",
      `def ${method}(self, cfg, ${params.join(", ")}):`,
      `    """Module \`${run.key}\`: one call of the block at ${first.file}:${first.line}."""`,
      ...indent([...body, `return ${outs.map((v) => inner.get(v)).join(", ")}`], 1),
    );
    lines.push(
      `${outs.map((v) => names.get(v)).join(", ")} = self.${method}(cfg, ${ins.map((v) => names.get(v)).join(", ")})`,
    );
  });
  return { lines, names };
}

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** decode() lines for one task, as compiler/lower/decode.ts names and computes its outputs. */
function decodeLines(task: Task, rank: number): string[] {
  const x = `outputs[${py(task.name)}]`;
  const d: DecodeSpec = task.decode;
  const set = (name: string, expr: string) => `decoded[${py(name)}] = ${expr}`;
  switch (d.kind) {
    case "argmax":
      return [set(task.name, `torch.argmax(${x}, ${norm(d.axis, rank)})`)];
    case "softmax":
      return [set(task.name, `torch.softmax(${x}, ${norm(d.axis, rank)})`)];
    case "topk":
      return [
        `values, indices = torch.topk(${x}, ${d.k}, ${norm(d.axis, rank)}, largest=True, sorted=True)`,
        set(`${task.name}.values`, "values"),
        set(`${task.name}.indices`, "indices"),
      ];
    case "threshold":
      return [set(task.name, `torch.sigmoid(${x}) > ${pyNumber(d.value)}`)];
    case "l2norm": // x / max(||x||, 1e-12), as the lowering
      return [set(task.name, `F.normalize(${x}, p=2.0, dim=${norm(d.axis, rank)}, eps=1e-12)`)];
    case "identity":
      return [set(task.name, x)];
    default: // sequence strategies: logits out, decoded step by step by the caller (as mtl's runtime does)
      return [set(`${task.name}.logits`, x)];
  }
}

/** One PARAMS entry, broken after its key when the line (indented in the class) would pass 120 characters. */
function paramLines(name: string, entry: string): string[] {
  const flat = `    ${py(name)}: (${entry}),`;
  return flat.length <= 112 ? [flat] : [`    ${py(name)}: (`, `        ${entry},`, "    ),"];
}

/** Shape, per-axis segments, per-width group, statistic flag, initialiser: the fields of a PARAMS entry. */
function paramEntry(p: Param, statistic: boolean): string {
  const axes = p.axes.map((segs) => (segs === null ? null : segs.map(segmentTuple)));
  const init = p.init;
  let initTuple: unknown[];
  if (init.kind === "he") initTuple = ["he", init.fanIn];
  else if (init.kind === "xavier") initTuple = ["xavier", init.fanIn, init.fanOut];
  else if (init.kind === "normal") initTuple = ["normal", init.std];
  else initTuple = ["const", init.value];
  return `${py(p.shape)}, ${py(axes)}, ${py(p.perWidth)}, ${py(statistic)}, ${py(initTuple)}`;
}

export function className(graph: Graph): string {
  const base = pyIdent(graph.name);
  return /^[A-Z]/.test(base) ? base : `Model_${base}`;
}

/** Shared values the heads read (or that are task outputs): the encoder features. */
function encoderFeatures(graph: Graph): string[] {
  const shared = new Set(graph.inputs.map((i) => i.value));
  for (const n of graph.nodes) if (n.part === "shared") n.outputs.forEach((o) => shared.add(o));
  const used = new Set<string>();
  for (const n of graph.nodes)
    if (n.part !== "shared") n.inputs.filter((i) => shared.has(i)).forEach((i) => used.add(i));
  for (const t of graph.tasks) if (shared.has(t.output)) used.add(t.output);
  return [...used];
}

export function generateModel(
  graph: Graph,
  entry: string,
  sourceOf: (file: string) => string | undefined,
): TorchModelSource {
  const diags: Diagnostic[] = [];
  const cls = className(graph);
  const statistics = new Set<string>();
  const normParams = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op === "batchnorm")
      ["running_mean", "running_var"].forEach((r) => n.params[r] && statistics.add(n.params[r]));
    if (n.op === "batchnorm" || n.op === "layernorm") Object.values(n.params).forEach((p) => normParams.add(p));
  }
  const features = encoderFeatures(graph);

  // The shared part: inputs in, every shared value a head reads out.
  const sharedNodes = graph.nodes.filter((n) => n.part === "shared");
  const emit: Emit = { graph, sourceOf, diags, helpers: [], helperNames: new Set() };
  const shared = methodBody(emit, sharedNodes, new Set(features));
  const sharedIns = graph.inputs.map((i) => `${shared.names.get(i.value)} = inputs[${py(i.name)}]`);
  const sharedRet = ["return {", ...features.map((f) => `    ${py(f)}: ${shared.names.get(f)},`), "}"];

  const heads: string[] = [];
  const methods: Record<string, string> = {};
  for (const t of graph.tasks) {
    const method = pyIdent(t.name);
    methods[t.name] = method;
    const nodes = graph.nodes.filter((n) => n.part === t.name);
    const reads = [...new Set(nodes.flatMap((n) => n.inputs))].filter((id) => features.includes(id));
    if (features.includes(t.output) && !reads.includes(t.output)) reads.push(t.output);
    const body = methodBody(emit, nodes, new Set([t.output]));
    const inLines = reads.map((id) => `${body.names.get(id)} = shared[${py(id)}]`);
    heads.push(
      "",
      `def head_${method}(self, shared, cfg):`,
      `    """Task ${t.name}: raw output ${py(graph.values.get(t.output)!.type.shape)} (decoded by decode(): ${t.decode.kind})."""`,
      ...indent([...inLines, ...body.lines, `return ${body.names.get(t.output)}`], 1),
    );
  }

  const decode = [
    "",
    "def decode(self, outputs):",
    '    """The declared in-graph decoding, with the output names of the compiled ONNX model."""',
    "    decoded = {}",
    ...graph.tasks.flatMap((t) => [
      `    if ${py(t.name)} in outputs:`,
      ...indent(decodeLines(t, graph.values.get(t.output)!.type.shape.length), 2),
    ]),
    "    return decoded",
  ];

  const params = [...graph.params.values()];
  const outputShape = (t: Task) => graph.values.get(t.output)!.type.shape;
  const inputs = Object.fromEntries(
    graph.inputs.map((i) => {
      const t = graph.values.get(i.value)!.type;
      return [i.name, { dtype: t.dtype, shape: t.shape }];
    }),
  );
  const losses = Object.fromEntries(
    graph.tasks.map((t) => {
      const l = lossOf(t);
      return [t.name, l === null ? null : { kind: l.kind, ignore_index: l.ignoreIndex }];
    }),
  );
  const featureEntries = features.map((f) => {
    const t = graph.values.get(f)!.type;
    return `        ${py(f)}: (${py(t.channelAxis)}, ${py(t.channels.map(segmentTuple))}),`;
  });

  const body = [
    `"""${graph.name} from ${entry}, as a slimmable PyTorch module (see README.md)."""`,
    "",
    ...pyAssign("GROUPS", Object.fromEntries(graph.groups.map((g) => [g.name, g.choices]))),
    ...pyAssign("GROUP_PARTS", Object.fromEntries(graph.groups.map((g) => [g.name, g.part]))),
    ...pyAssign(
      "TASKS",
      graph.tasks.map((t) => t.name),
    ),
    ...pyAssign("TASK_METHODS", methods),
    ...pyAssign("INPUTS", inputs),
    ...pyAssign("PREPROCESS", graph.preprocess ?? {}),
    ...pyAssign(
      "OUTPUTS",
      Object.fromEntries(graph.tasks.map((t) => [t.name, { shape: outputShape(t), decode: t.decode }])),
    ),
    ...pyAssign("LOSSES", losses),
    ...pyAssign("METRICS", Object.fromEntries(graph.tasks.map((t) => [t.name, t.metric]))),
    ...pyAssign("NORM_PARAMS", [...normParams].sort()),
    "PARAMS = {",
    ...params.flatMap((p) => paramLines(p.name, paramEntry(p, statistics.has(p.name)))),
    "}",
    "FEATURES = {",
    ...featureEntries.map((l) => l.slice(4)),
    "}",
    "",
    "def shared(self, inputs, cfg):",
    '    """The shared part (encoders): every value the task heads read, by IR value id."""',
    ...indent([...sharedIns, ...shared.lines, ...sharedRet], 1),
    ...heads,
    ...decode,
    ...emit.helpers,
  ];

  const text = [
    `# Generated by \`mtl export torch\` from ${entry} (model ${graph.name}, source hash ${graph.sourceHash}).`,
    "# Regenerate it rather than editing it: the tables and methods below are the compiled .mtl network.",
    "import json",
    "import math",
    "import os",
    "import struct",
    "from typing import Dict, List",
    "",
    "import numpy as np",
    "import torch",
    "import torch.nn as nn",
    "import torch.nn.functional as F",
    "",
    "",
    SAFETENSORS_IO.trimEnd(),
    "",
    "",
    MODEL_RUNTIME.trimEnd(),
    "",
    "",
    `class ${cls}(SlimmableModel):`,
    ...indent(body, 1),
    "",
    "",
    `Model = ${cls}`,
    "",
  ].join("\n");
  return { text, className: cls, diagnostics: diags };
}
