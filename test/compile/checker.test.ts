// Every example's dynamic file (every configuration in one graph) and one static export of it
// pass the independent ONNX checker with full_check (type and shape inference included).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitModel, prepareModel } from "../../compiler/compile";
import type { Config, Graph } from "../../compiler/ir/types";
import { fileHost } from "../../cli/host";
import { checkOnnx } from "../helpers/onnx-check";

const root = join(import.meta.dirname, "..", "..");
const examples = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".mtl"))
  .sort();

/** A middle configuration (the second-smallest choice of every group): neither end is special-cased. */
const middle = (g: Graph): Config =>
  Object.fromEntries(g.groups.map((x) => [x.name, Math.min(1, x.choices.length - 1)]));

describe.each(examples)("examples/%s", (file) => {
  const source = `examples/${file}`;
  it("passes onnx.checker.check_model(full_check=True), dynamic and static", () => {
    const r = prepareModel(source, fileHost(join(root, source), root));
    if (!r.ok)
      throw new Error(`${source} does not compile: ${r.message ?? r.diagnostics.map((d) => d.message).join("; ")}`);
    expect(checkOnnx(emitModel(r.prepared, null, source).bytes), "dynamic").toEqual({ ok: true });
    const config = middle(r.prepared.graph);
    const fixed = emitModel(r.prepared, config, source);
    expect(
      fixed.onnx.graph.inputs.some((i) => i.name.startsWith("width.")),
      "a static model has no width inputs",
    ).toBe(false);
    expect(checkOnnx(fixed.bytes), `static ${JSON.stringify(config)}`).toEqual({ ok: true });
  }, 120_000);
});
