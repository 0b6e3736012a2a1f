import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Graph } from "../../compiler/ir/types";
import { initWeights } from "../../compiler/weights/init";
import { bindWeights, exportWeights } from "../../compiler/weights/load";
import { encodeSafetensors, type SafeTensor } from "../../compiler/weights/safetensors";
import { convNet } from "../helpers/lowering-nets";
import { resnet18 } from "../helpers/reference-nets";

const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
const std = (a: Float32Array, m = mean(a)) => Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length);
/** Byte equality: deep equality of million-element arrays is far too slow in expect(). */
const same = (a: Float32Array | undefined, b: Float32Array | undefined) =>
  a !== undefined &&
  b !== undefined &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe("initWeights", () => {
  const graph = resnet18({ size: 32 });

  it("is deterministic and independent of parameter order", () => {
    const a = initWeights(graph, 1);
    const reordered: Graph = { ...graph, params: new Map([...graph.params].reverse()) };
    const b = initWeights(reordered, 1);
    for (const [name, w] of a) expect(same(b.get(name), w), name).toBe(true);
    expect(same(initWeights(graph, 2).get("conv1.weight"), a.get("conv1.weight"))).toBe(false);
  });

  it("follows each parameter's init and stores K identical rows for switchable ones", () => {
    const w = initWeights(graph, 1);
    const conv = w.get("layer1.0.conv1.weight")!; // he, fanIn 64 * 9
    expect(Math.abs(mean(conv))).toBeLessThan(0.01);
    expect(std(conv) / Math.sqrt(2 / 576)).toBeCloseTo(1, 1);
    const bn = w.get("bn1.running_var")!;
    expect(bn.length).toBe(4 * 64);
    expect([...new Set(bn)]).toEqual([1]);
    const fc = w.get("fc.weight")!;
    expect(fc.length).toBe(1000 * 512);
  });
});

describe("bindWeights and exportWeights", () => {
  const graph = convNet();
  const weights = initWeights(graph, 4);

  it("round-trips through a PyTorch-style state_dict, broadcasting plain [C] rows", () => {
    const exported = exportWeights(graph, weights);
    expect(exported.get("stem.bn.num_batches_tracked")).toEqual({
      dtype: "I64",
      shape: [],
      data: BigInt64Array.from([0n]),
    });
    expect(exported.get("stem.bn.weight")!.shape).toEqual([16]);
    const bound = bindWeights(graph, exported);
    expect(bound.ok).toBe(true);
    if (bound.ok) for (const [name, w] of weights) expect(same(bound.weights.get(name), w), name).toBe(true);
  });

  it("takes [K, C] switchable rows as they are", () => {
    const tensors = exportWeights(graph, weights);
    const rows = Float32Array.from({ length: 4 * 16 }, (_, i) => i);
    tensors.set("stem.bn.running_mean", { dtype: "F32", shape: [4, 16], data: rows });
    const bound = bindWeights(graph, tensors);
    expect(bound.ok && bound.weights.get("stem.bn.running_mean")).toEqual(rows);
  });

  it("warns when switchable statistics come without per-width rows, unless they are still initial", () => {
    // Rows that differ per width (as after training), exported as --full-width-only does.
    const trained = new Map(weights);
    for (const name of ["stem.bn.running_mean", "stem.bn.running_var"])
      trained.set(
        name,
        Float32Array.from({ length: 4 * 16 }, (_, i) => 1 + i / 64),
      );
    const full = exportWeights(graph, trained);
    expect(full.has("stem.bn.running_mean.per_width")).toBe(true);
    const withRows = bindWeights(graph, full);
    expect(withRows.ok && withRows.warnings).toEqual([]);

    const fullWidthOnly = new Map([...full].filter(([name]) => !name.endsWith(".per_width")));
    const bound = bindWeights(graph, fullWidthOnly);
    expect(bound.ok).toBe(true); // the file is valid: a warning, not a problem
    if (!bound.ok) return;
    const switchable = [...graph.params.values()].filter(
      (p) => /\.running_(mean|var)$/.test(p.name) && p.perWidth !== null,
    );
    expect(bound.warnings.map((w) => w.kind)).toEqual(["full-width-statistics"]);
    expect(bound.warnings[0].names).toEqual(["stem.bn.running_mean", "stem.bn.running_var"]);
    expect(bound.warnings[0].message).toMatch(/only full-width statistics for some switchable BatchNorm layers/);
    expect(bound.warnings[0].message).toMatch(
      new RegExp(`no \`<name>\\.per_width\` rows for 2 of the ${switchable.length} switchable statistics`),
    );
    expect(bound.warnings[0].message).toMatch(/full-width statistics until calibrated/);

    // Every statistic measured but none per width: every width is affected.
    const measured = new Map(fullWidthOnly);
    for (const p of switchable)
      measured.set(p.name, { dtype: "F32", shape: p.shape, data: new Float32Array(p.shape[0]).fill(2) });
    const all = bindWeights(graph, measured);
    expect(all.ok && all.warnings[0].message).toMatch(
      /^the weights hold only full-width BatchNorm statistics \(no `<name>\.per_width` rows for any of/,
    );
    // Statistics at their initial values (mean 0, variance 1: an untrained model) lose nothing.
    const seeded = bindWeights(graph, exportWeights(graph, weights));
    expect(seeded.ok && seeded.warnings).toEqual([]);
  });

  it("lists every problem: missing, unexpected, wrong shape, wrong dtype", () => {
    const tensors = exportWeights(graph, weights);
    tensors.delete("stem.conv.weight");
    tensors.set("stem.extra", { dtype: "F32", shape: [1], data: new Float32Array(1) });
    tensors.set("cls.fc.weight", { dtype: "F32", shape: [5, 71], data: new Float32Array(355) });
    tensors.set("stem.bn.bias", { dtype: "F32", shape: [3, 16], data: new Float32Array(48) });
    tensors.set("cls.fc.bias", { dtype: "I64", shape: [5], data: new BigInt64Array(5) });
    const bound = bindWeights(graph, tensors);
    expect(bound.ok).toBe(false);
    if (bound.ok) return;
    expect(bound.problems.map((p) => p.message).sort()).toEqual([
      "cls.fc.bias: expected F32 values, got I64",
      "cls.fc.weight: expected shape [5, 72], got [5, 71]",
      "stem.bn.bias: expected shape [16] or [4, 16] (one row per width of 'backbone'), got [3, 16]",
      "stem.conv.weight: missing (expected shape [16, 3, 3, 3])",
      "stem.extra: not a parameter of convnet (shape [1])",
    ]);
  });

  it("exports a state_dict that torch's load_state_dict(strict=True) accepts", () => {
    const g = resnet18({ size: 32 });
    const tensors = exportWeights(g, initWeights(g, 1));
    const dir = mkdtempSync(join(tmpdir(), "mtl-torch-"));
    try {
      const file = join(dir, "w.safetensors");
      writeFileSync(file, encodeSafetensors(tensors));
      // A torchvision-shaped resnet18 built from its parameter shapes, loaded with torch itself.
      const script = `
import json, struct, sys, torch
from torch import nn
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
sd = {}
for k, v in header.items():
    if k == "__metadata__": continue
    b, e = v["data_offsets"]
    dt = torch.float32 if v["dtype"] == "F32" else torch.int64
    sd[k] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=dt).reshape(v["shape"])
def block(i, o, s):
    m = nn.Module()
    m.conv1 = nn.Conv2d(i, o, 3, s, 1, bias=False); m.bn1 = nn.BatchNorm2d(o)
    m.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); m.bn2 = nn.BatchNorm2d(o)
    if s != 1 or i != o: m.downsample = nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o))
    return m
net = nn.Module()
net.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False); net.bn1 = nn.BatchNorm2d(64)
c = 64
for li, o in enumerate([64, 128, 256, 512]):
    setattr(net, f"layer{li + 1}", nn.Sequential(block(c, o, 1 if li == 0 else 2), block(o, o, 1))); c = o
net.fc = nn.Linear(512, 1000)
net.load_state_dict(sd, strict=True)
assert torch.equal(net.conv1.weight, sd["conv1.weight"])
print("ok")
`;
      expect(execFileSync("/usr/bin/python3", ["-c", script, file]).toString().trim()).toBe("ok");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
