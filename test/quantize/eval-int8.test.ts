// `mtl eval --precision int8` on the shipped trained MultiMNIST weights and a small generated data
// set: it scores the int8 sessions the runtime runs (the argmax of its raw scores is what
// `load(file, {precision: "int8"}).run` answers), its fp32 counterpart is the eval-mode graph's raw
// output, and its mistakes are coded.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrained } from "../../cli/trained-model";
import { decodeMetadata } from "../../compiler/onnx/decode-metadata";
import { readArtifact } from "../../runtime/artifact";
import { load } from "../../runtime/index";
import { toTensor } from "../../runtime/quantize/calibrate";
import { rawFlatSession } from "../../runtime/quantize/eval-session";
import { readSamples } from "../../runtime/quantize/samples";
import { parseQuantSpec, QUANT_KEY } from "../../runtime/quantize/spec";
import { evalModelBytes } from "../../runtime/train/validate";
import { mtlIn } from "../helpers/cli";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-eval-int8-"));
const mtl = mtlIn(root);
const data = join(work, "mm");
const model = join(work, "int8.onnx");
const fp32 = join(work, "fp32.onnx");
const weights = join(root, "examples", "trained", "multimnist", "weights.safetensors");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  for (const args of [
    ["data", "multimnist", "-o", data, "--train", "8", "--test", "64"],
    ["compile", "examples/multimnist.mtl", "-o", fp32, "--weights", weights],
    ["compile", "examples/multimnist.mtl", "-o", model, "--weights", weights, "--quantize", "int8"],
  ]) {
    const extra = args[0] === "compile" && args.includes("int8") ? ["--calibrate", data, "--check-samples", "0"] : [];
    const r = mtl(...args, ...extra);
    expect(r.code, r.err).toBe(0);
  }
}, 120_000);

const FULL = { features: 3, left: 3, right: 3 };
const SMALLEST = { features: 0, left: 0, right: 0 };
const opts = { logSeverityLevel: 3 as const, intraOpNumThreads: 1 };

const argmaxRows = (t: ort.Tensor): number[] => {
  const [n, c] = t.dims;
  const x = t.data as Float32Array;
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let k = 1; k < c; k++) if (x[i * c + k] > x[i * c + best]) best = k;
    return best;
  });
};

describe("mtl eval --precision int8", () => {
  it("scores the runtime's int8 sessions: the argmax of its raw scores is what run() answers", async () => {
    const bytes = new Uint8Array(readFileSync(model));
    const meta = readArtifact(bytes, model).meta;
    const spec = parseQuantSpec(decodeMetadata(bytes)[QUANT_KEY], model);
    const int8 = { spec, groups: meta.groups, path: model };
    const samples = await readSamples(data, meta, 64);
    const batch = new Float32Array(samples.length * 28 * 28);
    samples.forEach((s, i) => batch.set(s.image.data as Float32Array, i * 28 * 28));
    const feeds = { image: toTensor(batch, [samples.length, 1, 28, 28]) };
    const runtime = await load(model, { precision: "int8", threads: 1 });
    const trained = loadTrained(model, {});
    for (const config of [FULL, SMALLEST]) {
      const q = await rawFlatSession(bytes, meta, config, int8, model, opts);
      const f = await rawFlatSession(bytes, meta, config, undefined, model, opts);
      const ir = await ort.InferenceSession.create(
        evalModelBytes(trained.prepared.graph, trained.prepared.weights, config),
        opts,
      );
      const [qo, fo, io] = [await q.run(feeds), await f.run(feeds), await ir.run(feeds)];
      for (const task of ["left", "right"]) {
        expect(qo[task].dims).toEqual([64, 10]);
        const answered = [];
        for (const s of samples) answered.push(Number((await runtime.run(s, { config })).outputs[task][task].data[0]));
        expect(argmaxRows(qo[task])).toEqual(answered);
        // The flat fp32 graph is the eval-mode graph (same raw scores); int8 is not.
        const [x, y, z] = [fo[task].data, io[task].data, qo[task].data] as Float32Array[];
        const diff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
        expect(diff(x, y)).toBeLessThan(1e-3);
        expect(diff(x, z)).toBeGreaterThan(1e-3);
      }
      await Promise.all([q.release(), f.release(), ir.release()]);
    }
    await runtime.close();
  }, 120_000);

  it("evaluates the calibrated configurations by default and says it is int8", () => {
    const r = mtl("eval", model, "--data", data, "--precision", "int8", "--json", "--threads", "1");
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.results.map((c: { config: unknown }) => c.config)).toEqual(diagonal());
    expect(res.calibrationBatches).toBe(0);
    expect(res.profile.measured).toMatchObject({ precision: "int8", selection: "calibrated", images: 64 });
    const f = JSON.parse(mtl("eval", model, "--data", data, "--batches", "0", "--configs", "all", "--json").out);
    const fp = (config: unknown) =>
      f.results.find((c: { config: unknown }) => JSON.stringify(c.config) === JSON.stringify(config));
    for (const c of res.results)
      for (const task of ["left", "right"])
        expect(Math.abs(c.metrics[task].accuracy - fp(c.config).metrics[task].accuracy)).toBeLessThanOrEqual(0.1);
    const table = mtl("eval", model, "--data", data, "--precision", "int8", "--threads", "1");
    expect(table.out).toContain("int8 (the file's calibration)");
  }, 120_000);

  it("refuses BatchNorm calibration, --write, an uncalibrated configuration and an fp32 file", () => {
    const base = ["eval", model, "--data", data, "--precision", "int8"];
    const cases: [string[], string][] = [
      [[...base, "--batches", "2"], "MTL-EVAL-007"],
      [[...base, "--write"], "MTL-EVAL-007"],
      [[...base, "--configs", "all"], "MTL-QNT-002"],
      [["eval", fp32, "--data", data, "--precision", "int8"], "MTL-QNT-001"],
      [[...base.slice(0, -1), "int4"], "--precision takes fp32 or int8"],
    ];
    for (const [args, code] of cases) {
      const r = mtl(...args);
      expect(r.code, args.join(" ")).toBeGreaterThan(0);
      expect(r.err).toContain(code);
      expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
  }, 60_000);
});

/** The diagonal configurations `--calibrate-configs auto` calibrates for MultiMNIST (7 widths, 343). */
function diagonal() {
  return [0, 1, 2, 3, 4, 5, 6].map((k) => ({ features: k, left: k, right: k }));
}
