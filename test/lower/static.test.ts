import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { Config, Graph } from "../../compiler/ir/types";
import { lowerToOnnx } from "../../compiler/lower/lower";
import { encodeModel } from "../../compiler/onnx/encode";
import type { OnnxGraph } from "../../compiler/onnx/model";
import { convNet, decodeNet, transformerNet } from "../helpers/lowering-nets";
import { checkOnnx } from "../helpers/onnx-check";
import { feeds, relativeError } from "../helpers/ort-run";
import { runReference } from "../helpers/reference-interpreter";
import { specialise } from "../helpers/specialise";
import { testInputs, testWeights } from "../helpers/test-data";

/** Op types of a graph and all its subgraphs. */
function opTypes(g: OnnxGraph): string[] {
  return g.nodes.flatMap((n) => [
    n.opType,
    ...n.attributes.flatMap((a) => (a.kind === "graph" ? opTypes(a.value) : [])),
  ]);
}

/** A middle configuration: the second choice of every group. */
const middle = (g: Graph): Config =>
  Object.fromEntries(g.groups.map((x) => [x.name, Math.min(1, x.choices.length - 1)]));

describe.each([
  ["conv net", convNet],
  ["decode net", decodeNet],
  ["transformer", transformerNet],
])("a specialised %s", (_, make) => {
  const graph = make();
  const weights = testWeights(graph, 3);
  const inputs = testInputs(graph, 5);
  const config = middle(graph);
  const fixed = specialise(graph, weights, config);

  it.each([true, false])(
    "lowers to a static model (gateTasks %s) matching the dynamic graph at that configuration",
    async (gateTasks) => {
      const model = lowerToOnnx(fixed.graph, fixed.weights, { gateTasks });
      expect(model.graph.inputs.map((i) => i.name)).toEqual([
        ...graph.inputs.map((i) => i.name),
        ...(gateTasks ? graph.tasks.map((t) => `run.${t.name}`) : []),
      ]);
      const ops = opTypes(model.graph);
      expect(ops).not.toContain("Slice");
      expect(ops.filter((o) => o === "If").length).toBe(gateTasks ? graph.tasks.length : 0);
      const bytes = encodeModel(model);
      expect(checkOnnx(bytes)).toEqual({ ok: true });
      const session = await ort.InferenceSession.create(bytes);
      const got = await session.run(feeds(fixed.graph, inputs, {}, {}, gateTasks));
      for (const [name, want] of runReference(graph, weights, config, inputs)) {
        expect(relativeError(got[name], want), name).toBeLessThan(1e-5);
      }
    },
  );
});
