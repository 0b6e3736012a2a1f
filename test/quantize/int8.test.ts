// int8 quantisation end to end on MultiMNIST (seeded weights, a small generated data set; the
// example at four widths):
// `mtl compile --quantize int8 --calibrate DIR`, then int8 runs agree with fp32, the session's
// optimised graph holds integer kernels (QLinearConv) and no float Conv, and mistakes are coded.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { quantizeWeight } from "../../compiler/quantize/scales";
import { load } from "../../runtime/index";
import { readArtifact } from "../../runtime/artifact";
import { flattenConfiguration } from "../../runtime/quantize/flatten";
import { readSamples } from "../../runtime/quantize/samples";
import { quantizeFlat } from "../../runtime/quantize/session";
import { parseQuantSpec, QUANT_KEY } from "../../runtime/quantize/spec";
import { decodeMetadata } from "../../compiler/onnx/decode-metadata";
import { multiMnist4 } from "../helpers/multimnist4";

const work = mkdtempSync(join(tmpdir(), "mtl-int8-"));
const mm4 = multiMnist4(work);
const data = join(work, "mm");
const model = join(work, "mm.onnx");
const fp32 = join(work, "fp32.onnx");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  expect(await main(["data", "multimnist", "-o", data, "--train", "8", "--test", "64"])).toBe(0);
  const q = ["--quantize", "int8", "--calibrate", data, "--calibration-samples", "32", "--check-samples", "0"];
  expect(await main(["compile", mm4, "-o", model, ...q])).toBe(0);
  expect(await main(["compile", mm4, "-o", fp32])).toBe(0);
  vi.restoreAllMocks();
}, 120_000);

const FULL = { features: 3, left: 3, right: 3 };
const HALF = { features: 1, left: 1, right: 1 };

describe("int8 quantisation", () => {
  it("int8 argmax agrees with fp32 on held-out samples at full and half width", async () => {
    const bytes = new Uint8Array(readFileSync(model));
    const meta = readArtifact(bytes, model).meta;
    const samples = (await readSamples(data, meta, 64)).slice(32); // not the calibration ones
    const [a, b] = [await load(fp32, { threads: 1 }), await load(model, { threads: 1, precision: "int8" })];
    expect(b.precision).toBe("int8");
    for (const config of [FULL, HALF]) {
      let agree = 0;
      let total = 0;
      for (const s of samples) {
        const x = await a.run(s, { config, mode: "specialised" });
        const y = await b.run(s, { config });
        for (const t of ["left", "right"]) {
          total++;
          if (x.outputs[t][t].data[0] === y.outputs[t][t].data[0]) agree++;
        }
      }
      expect(agree / total).toBeGreaterThanOrEqual(0.9);
    }
    await a.close();
    await b.close();
  }, 60_000);

  it("the int8 session's optimised graph runs integer kernels, not float convolutions", async () => {
    const bytes = new Uint8Array(readFileSync(model));
    const spec = parseQuantSpec(decodeMetadata(bytes)[QUANT_KEY], model);
    expect(spec.configs.map((c) => c.widths)).toContainEqual(FULL);
    const meta = readArtifact(bytes, model).meta;
    const fixed = { widths: FULL, run: { left: true, right: true } };
    const flat = await flattenConfiguration(bytes, fixed, model, { logSeverityLevel: 3 });
    const q = quantizeFlat(flat, FULL, { spec, groups: meta.groups, path: model });
    const file = join(work, "optimised.onnx");
    const s = await ort.InferenceSession.create(encodeModel(q), { logSeverityLevel: 3, optimizedModelFilePath: file });
    await s.release();
    const ops = decodeModel(new Uint8Array(readFileSync(file))).graph.nodes.map((n) => n.opType);
    const convs = flat.graph.nodes.filter((n) => n.opType === "Conv").length;
    expect(convs).toBeGreaterThan(3);
    expect(ops.filter((o) => o === "QLinearConv").length).toBe(convs);
    expect(ops).not.toContain("Conv");
    expect(ops.filter((o) => o === "QGemm" || o === "QLinearMatMul").length).toBeGreaterThan(0);
  }, 60_000);

  it("int8, uint8 and int32 tensors survive encode and decode", () => {
    const inits = [
      { name: "a", dtype: "int8" as const, dims: [3], data: Int8Array.from([-127, 0, 5]) },
      { name: "b", dtype: "uint8" as const, dims: [2], data: Uint8Array.from([0, 255]) },
      { name: "c", dtype: "int32" as const, dims: [2], data: Int32Array.from([-(2 ** 31) + 1, 7]) },
    ];
    const graph = { name: "g", nodes: [], inputs: [], outputs: [], initializers: inits, valueInfo: [], docString: "" };
    const m = { irVersion: 8, opset: 17, producerName: "t", producerVersion: "", docString: "", metadata: {}, graph };
    const back = decodeModel(encodeModel(m)).graph.initializers;
    expect(back.map((t) => [t.dtype, [...t.data]])).toEqual(inits.map((t) => [t.dtype, [...t.data]]));
    expect(back[0].data).toBeInstanceOf(Int8Array);
    expect(back[2].data).toBeInstanceOf(Int32Array);
  });

  it("per-channel symmetric weights round to within half a step of their channel's scale", () => {
    const w = { name: "w", dtype: "float" as const, dims: [2, 3], data: Float32Array.from([0.5, -1, 0.25, 8, 2, -4]) };
    const q = quantizeWeight(w, 0);
    const scales = q.scales.data as Float32Array;
    expect([...scales]).toEqual([1 / 127, 8 / 127].map(Math.fround));
    const values = q.values.data as Int8Array;
    expect(values[1]).toBe(-127);
    expect(values[3]).toBe(127);
    for (let i = 0; i < 6; i++)
      expect(Math.abs(values[i] * scales[Math.floor(i / 3)] - w.data[i])).toBeLessThanOrEqual(
        scales[Math.floor(i / 3)] / 2,
      );
  });

  it("mtl compile reports int8 against fp32 on held-out samples", async () => {
    const printed: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => (printed.push(String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const q = ["--quantize", "int8", "--calibrate", data, "--calibration-samples", "16", "--check-samples", "16"];
    const code = await main(["compile", mm4, "-o", join(work, "checked.onnx"), ...q]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const lines = printed
      .join("")
      .split("\n")
      .filter((l) => l.includes("int8 vs fp32"));
    expect(lines).toHaveLength(4); // the diagonal configurations of 64
    for (const l of lines) {
      const rates = [...l.matchAll(/agreement ([\d.]+)%/g)].map((m) => Number(m[1]));
      expect(rates).toHaveLength(2);
      for (const r of rates) expect(r).toBeGreaterThanOrEqual(75);
    }
  }, 60_000);

  it("says which configurations are calibrated, and that an fp32 file has no calibration", async () => {
    const m = await load(model, { precision: "int8" });
    const input = { image: { data: new Float32Array(28 * 28), dims: [1, 1, 28, 28] } };
    await expect(m.run(input, { config: { features: 1 } })).rejects.toMatchObject({ code: "MTL-QNT-002" });
    await expect(m.run(input, { config: FULL, mode: "dynamic" })).rejects.toMatchObject({ code: "MTL-QNT-004" });
    await m.close();
    await expect(load(fp32, { precision: "int8" })).rejects.toMatchObject({ code: "MTL-QNT-001" });
    expect(await main(["compile", mm4, "-o", join(work, "x.onnx"), "--quantize", "int4"])).toBe(2);
  });
});
