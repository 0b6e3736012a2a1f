import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import type { Config, Graph, WeightMap } from "../../compiler/ir/types";
import { lowerToOnnx } from "../../compiler/lower/lower";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import type { OnnxGraph, OnnxNode } from "../../compiler/onnx/model";
import { convNet, decodeNet, transformerNet } from "../helpers/lowering-nets";
import { checkOnnx } from "../helpers/onnx-check";
import { allConfigs, feeds, relativeError } from "../helpers/ort-run";
import { mobilenetV2, twoTaskNet } from "../helpers/reference-nets";
import { runReference } from "../helpers/reference-interpreter";
import type { Tensor } from "../helpers/reference-ops";
import { testInputs, testWeights } from "../helpers/test-data";

async function expectMatches(
  session: ort.InferenceSession,
  graph: Graph,
  weights: WeightMap,
  config: Config,
  inputs: Record<string, Tensor>,
  run: Record<string, boolean> = {},
) {
  const got = await session.run(feeds(graph, inputs, config, run));
  const want = runReference(
    graph,
    weights,
    config,
    inputs,
    graph.tasks.filter((t) => run[t.name] !== false).map((t) => t.name),
  );
  for (const [name, w] of want) {
    const err = relativeError(got[name], w);
    expect(err, `${name} at ${JSON.stringify(config)}: dims ${got[name].dims} vs ${w.shape}`).toBeLessThan(1e-5);
  }
  return got;
}

const NETS: [string, () => Graph][] = [
  ["conv net", convNet],
  ["decode net", decodeNet],
  ["transformer", transformerNet],
  ["two-task net", () => twoTaskNet({ size: 16 })],
  ["mobilenet v2", () => mobilenetV2({ size: 32, classes: 10, widths: [0.35, 0.5, 0.75, 1.0] })],
];

describe.each(NETS)("lowering the %s", (_, make) => {
  const graph = make();
  const weights = testWeights(graph, 7);
  const inputs = testInputs(graph, 11);
  let bytes: Uint8Array;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    bytes = encodeModel(lowerToOnnx(graph, weights));
    session = await ort.InferenceSession.create(bytes);
  });

  it("passes the ONNX checker with full_check", () => {
    expect(checkOnnx(bytes)).toEqual({ ok: true });
  });

  it("matches the reference interpreter at every configuration", async () => {
    for (const config of allConfigs(graph)) await expectMatches(session, graph, weights, config, inputs);
  });

  it("returns empty outputs for each disabled task and still matches for the others", async () => {
    const config = allConfigs(graph)[0];
    for (const off of graph.tasks) {
      const got = await expectMatches(session, graph, weights, config, inputs, { [off.name]: false });
      const names = Object.keys(got).filter((n) => n === off.name || n.startsWith(`${off.name}.`));
      expect(names.length).toBeGreaterThan(0);
      const rank = graph.values.get(off.output)!.type.shape.length - (off.decode.kind === "argmax" ? 1 : 0);
      for (const n of names) {
        expect(got[n].size, n).toBe(0);
        expect(got[n].dims.length, n).toBe(rank);
      }
    }
  });

  it("emits identical bytes for the same graph and weights", () => {
    expect(Buffer.from(encodeModel(lowerToOnnx(make(), testWeights(make(), 7)))).equals(Buffer.from(bytes))).toBe(true);
  });

  it("names nodes after IR ids and documents their source", () => {
    const all = (g: OnnxGraph): OnnxNode[] =>
      g.nodes.flatMap((n) => [n, ...n.attributes.flatMap((a) => (a.kind === "graph" ? all(a.value) : []))]);
    const byName = new Map(all(decodeModel(bytes).graph).map((n) => [n.name, n]));
    const named = graph.nodes.map((n) => byName.get(n.id)).filter((n) => n !== undefined);
    expect(named.length).toBeGreaterThan(graph.nodes.length / 2);
    for (const n of named) expect(n.docString).toMatch(/^[^:]+\.mtl:\d+:\d+$/);
  });

  it("records tasks, groups and inputs in the mtl metadata", () => {
    const meta = JSON.parse(decodeModel(bytes).metadata.mtl);
    expect(meta.format).toBe(1);
    expect(meta.tasks.map((t: { name: string }) => t.name)).toEqual(graph.tasks.map((t) => t.name));
    expect(meta.groups).toEqual(graph.groups.map((g) => ({ name: g.name, part: g.part, choices: g.choices })));
    expect(meta.inputs[0].name).toBe(graph.inputs[0].name);
  });
});

describe("lowering options", () => {
  it("adds extra metadata entries beside the mtl entry", () => {
    const graph = decodeNet();
    const model = lowerToOnnx(graph, testWeights(graph, 1), { extraMetadata: { "mtl.costs": "{}" } });
    expect(Object.keys(model.metadata).sort()).toEqual(["mtl", "mtl.costs"]);
    expect(JSON.parse(model.metadata.mtl).gated).toBe(true);
  });

  it("leaves tasks ungated when asked, with no run inputs", () => {
    const graph = decodeNet();
    const model = lowerToOnnx(graph, testWeights(graph, 1), { gateTasks: false });
    expect(model.graph.inputs.map((i) => i.name)).toEqual(["features", "width.backbone"]);
    expect(model.graph.nodes.some((n) => n.opType === "If")).toBe(false);
  });
});
