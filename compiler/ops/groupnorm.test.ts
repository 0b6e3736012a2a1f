// groupnorm against PyTorch's nn.GroupNorm (via /usr/bin/python3): a slimmable conv -> groupnorm
// -> 1x1 conv model, lowered to ONNX and run in onnxruntime at every width, must match
// torch with the same cut weights, and the cost table must count what torch counts. The
// reference interpreter's kernel is checked against the same runs.
import { execFileSync } from "node:child_process";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { directCost } from "../cost/node-cost";
import { memoryHost } from "../host";
import { checkProgram } from "../index";
import type { Graph } from "../ir/types";
import { verify } from "../ir/verify";
import { lowerToOnnx } from "../lower/lower";
import { encodeModel } from "../onnx/encode";
import { specialise } from "../passes/specialise";
import { allConfigs, feeds, relativeError } from "../../test/helpers/ort-run";
import { runReference } from "../../test/helpers/reference-interpreter";
import { testInputs, testWeights } from "../../test/helpers/test-data";

const SOURCE = `
model Net {
  input image: f32[2, 3, 6, 6]
  widths 0.25, 0.5, 1.0
  encoder backbone = image |> conv(32, k: 3) |> groupnorm(groups: 4, eps: 0.001)
  task out { head backbone |> fixed conv(5, k: 1) decode identity }
}
`;

function build(): Graph {
  const r = checkProgram("main.mtl", memoryHost({ "main.mtl": SOURCE }));
  expect(r.diagnostics).toEqual([]);
  return r.graphs[0];
}

// Builds the same network in torch from the specialised (cut) weights and prints its output and
// parameter count as JSON.
const PYTHON = `
import json, sys, torch
job = json.load(sys.stdin)
out = []
for case in job["cases"]:
    w = {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in case["weights"].items()}
    c = w["conv.weight"].shape[0]
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, c, 3, padding=1), torch.nn.GroupNorm(4, c, eps=0.001), torch.nn.Conv2d(c, 5, 1))
    state = {"0.weight": w["conv.weight"], "0.bias": w["conv.bias"], "1.weight": w["groupnorm.weight"],
             "1.bias": w["groupnorm.bias"], "2.weight": w["out.conv.weight"], "2.bias": w["out.conv.bias"]}
    net.load_state_dict(state, strict=True)
    x = torch.tensor(job["input"]["data"], dtype=torch.float32).reshape(job["input"]["shape"])
    with torch.no_grad():
        y = net(x)
    out.append({"y": y.flatten().tolist(), "params": sum(p.numel() for p in net.parameters())})
print(json.dumps(out))
`;

describe("groupnorm", () => {
  const graph = build();
  const weights = testWeights(graph, 3);
  const inputs = testInputs(graph, 5);
  const configs = allConfigs(graph);

  it("builds a verified graph whose parameters slim with the channels", () => {
    expect(verify(graph)).toEqual([]);
    const gn = graph.nodes.find((n) => n.op === "groupnorm")!;
    expect(gn.attrs).toEqual({ groups: 4, eps: 0.001 });
    expect(graph.params.get("groupnorm.weight")!.axes[0]).toEqual([
      { max: 32, group: "backbone", scale: 1, divisor: 8 },
    ]);
  });

  it("matches nn.GroupNorm in torch, and the reference kernel, at every width; costs count torch's parameters", async () => {
    const session = await ort.InferenceSession.create(encodeModel(lowerToOnnx(graph, weights)));
    const cases = configs.map((config) => {
      const cut = specialise(graph, weights, config);
      const named = Object.fromEntries(
        [...cut.graph.params.values()].map((p) => [
          p.name,
          { shape: p.shape, data: Array.from(cut.weights.get(p.name)!) },
        ]),
      );
      return { weights: named };
    });
    const input = { shape: inputs.image.shape, data: Array.from(inputs.image.data) };
    const torch = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", PYTHON], { input: JSON.stringify({ cases, input }), encoding: "utf8" }),
    ) as { y: number[]; params: number }[];
    for (const [i, config] of configs.entries()) {
      const got = (await session.run(feeds(graph, inputs, config))).out;
      const want = torch[i];
      expect(
        relativeError(got, { shape: [...got.dims], data: Float32Array.from(want.y) }),
        JSON.stringify(config),
      ).toBeLessThan(1e-5);
      const ref = runReference(graph, weights, config, inputs).get("out")!;
      expect(relativeError(got, ref), `reference at ${JSON.stringify(config)}`).toBeLessThan(1e-5);
      expect(directCost(graph, config).params, `params at ${JSON.stringify(config)}`).toBe(want.params);
    }
    expect(new Set(torch.map((t) => t.params)).size).toBe(3); // the widths really differ
  });

  it("counts no multiply-accumulates of its own", () => {
    const full = Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));
    const convOnly = 32 * 3 * 9 * 36 + 5 * 32 * 36;
    expect(directCost(graph, full).macs).toBe(convOnly);
  });
});
