// The op registry is complete: every op kind has a spec with each stage filled in (gradient rule and
// PyTorch mapping included), a reference kernel for the interpreter, and an entry in
// docs/language.md; no stage falls back silently.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeMacs } from "../cost/node-cost";
import { TORCH_OPS } from "../export/torch";
import { layers } from "../elaborate/layers";
import type { Graph, Node, OpKind } from "../ir/types";
import { GRAD_RULES } from "../train/grad/rules";
import { KERNELS } from "../../test/helpers/reference-kernels";
import { OPS, OP_KINDS, specOf } from "./index";

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "language.md"), "utf8");
const layerRows = doc.split("\n").filter((l) => l.startsWith("| `"));

describe("the op registry", () => {
  it("has one spec per op kind, each under its own kind", () => {
    for (const [key, spec] of Object.entries(OPS)) expect(spec.kind).toBe(key);
    expect(new Set(OP_KINDS).size).toBe(OP_KINDS.length);
  });

  it.each(OP_KINDS)("%s: every stage is present", (kind) => {
    const spec = specOf(kind);
    for (const stage of ["shape", "macs", "lower", "specialise", "dump", "gradient", "pytorch"] as const)
      expect(typeof spec[stage], stage).toBe("function");
    expect(spec.summary.length).toBeGreaterThan(0);
    expect(spec.arity === "variadic" || Number.isInteger(spec.arity)).toBe(true);
    for (const role of spec.buffers ?? []) expect(spec.params, `buffer ${role} is a parameter`).toContain(role);
  });

  it("is where training and the PyTorch export find each op's gradient rule and mapping", () => {
    for (const kind of OP_KINDS) {
      expect(GRAD_RULES[kind], kind).toBe(specOf(kind).gradient);
      expect(TORCH_OPS[kind], kind).toBe(specOf(kind).pytorch);
    }
    expect(Object.keys(GRAD_RULES).sort()).toEqual([...OP_KINDS].sort());
    expect(Object.keys(TORCH_OPS).sort()).toEqual([...OP_KINDS].sort());
  });

  it.each(OP_KINDS)("%s: has a reference kernel", (kind) => {
    expect(typeof KERNELS[kind]).toBe("function");
  });

  it("has no reference kernel for an op it does not know", () => {
    expect(Object.keys(KERNELS).sort()).toEqual([...OP_KINDS].sort());
  });

  it.each(OP_KINDS)("%s: is documented in docs/language.md", (kind) => {
    const docs = specOf(kind).docs;
    if ("mention" in docs) return void expect(doc).toContain(docs.mention);
    expect(docs.layers.length).toBeGreaterThan(0);
    for (const layer of docs.layers) {
      expect(
        layerRows.some((r) => r.startsWith(`| \`${layer.name}\` |`)),
        `row for layer ${layer.name}`,
      ).toBe(true);
      expect(layers.get(layer.name), `layer ${layer.name} is callable`).toBe(layer);
    }
  });

  it("refuses an op it has no spec for instead of costing it 0", () => {
    const graph = { values: new Map(), params: new Map(), groups: [] } as unknown as Graph;
    const node = {
      id: "x",
      op: "conv3d" as OpKind,
      inputs: [],
      outputs: ["x"],
      attrs: {},
      params: {},
      part: "shared",
    } as unknown as Node;
    expect(() => nodeMacs(graph, node, {})).toThrow(/no op spec for 'conv3d'/);
  });
});
