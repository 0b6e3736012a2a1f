// Golden IR of every example: dump(optimise(graph)) in test/golden/ir/<example>.dump, and the
// structure of the emitted ONNX graph of the cifar example (one line per node: op type, node name,
// inputs -> outputs; If branches indented) in test/golden/onnx/cifar_mtl.graph.
// Review a changed reference like code; `npm run golden:accept` (MTL_ACCEPT=1) rewrites them.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitModel, optimise, prepareModel } from "../../compiler/compile";
import { checkProgram } from "../../compiler/index";
import { dump } from "../../compiler/ir/dump";
import type { OnnxGraph, OnnxValueInfo } from "../../compiler/onnx/model";
import { fileHost } from "../../cli/host";
import { expectGolden } from "../helpers/golden";

const root = join(import.meta.dirname, "..", "..");
const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".mtl")).sort();
const here = import.meta.dirname;

describe.each(examples)("examples/%s", (file) => {
  it("optimised IR equals the golden dump", () => {
    const source = `examples/${file}`;
    const checked = checkProgram(source, fileHost(join(root, source), root));
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(checked.graphs.length).toBeGreaterThan(0);
    expectGolden(checked.graphs.map((g) => dump(optimise(g))).join("\n"), join(here, "ir", file.replace(/\.mtl$/, ".dump")));
  });
});

const valueInfo = (v: OnnxValueInfo) => {
  const dims = v.shape === null ? "?" : v.shape.map((d) => (d === null ? "?" : d)).join(",");
  return `${v.name}: ${v.dtype}[${dims}]`;
};

/** One line per node (op type, name, inputs -> outputs), subgraphs indented under their node. */
function formatOnnxGraph(g: OnnxGraph, indent = ""): string[] {
  const lines: string[] = [];
  if (!indent) {
    for (const i of g.inputs) lines.push(`input ${valueInfo(i)}`);
    for (const t of g.initializers) lines.push(`initializer ${t.name}: ${t.dtype}[${t.dims.join(",")}]`);
  }
  for (const n of g.nodes) {
    lines.push(`${indent}${n.opType} ${n.name} (${n.inputs.join(", ")}) -> (${n.outputs.join(", ")})`);
    for (const a of n.attributes) {
      if (a.kind !== "graph") continue;
      const returns = `${indent}    return (${a.value.outputs.map((o) => o.name).join(", ")})`;
      lines.push(`${indent}  ${a.name}:`, ...formatOnnxGraph(a.value, `${indent}    `), returns);
    }
  }
  if (!indent) for (const o of g.outputs) lines.push(`output ${valueInfo(o)}`);
  return lines;
}

describe("the emitted ONNX graph of examples/cifar_mtl.mtl", () => {
  it("equals the golden graph structure", () => {
    const source = "examples/cifar_mtl.mtl";
    const r = prepareModel(source, fileHost(join(root, source), root));
    if (!r.ok) throw new Error(`${source} does not compile`);
    const g = emitModel(r.prepared, null, source).onnx.graph;
    expectGolden(formatOnnxGraph(g).join("\n") + "\n", join(here, "onnx", "cifar_mtl.graph"));
  });
});
