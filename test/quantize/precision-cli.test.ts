// --precision int8 on `mtl bench`, `mtl profile` and `mtl serve` (as on `mtl run`), and what
// `mtl info` says about a file's int8 calibration. A small MultiMNIST set calibrates two files:
// the diagonal configurations (auto, 64 > 16) and every configuration (the example at four widths).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readArtifact } from "../../runtime/artifact";
import { KServeRestClient } from "../../runtime/client/index";
import { load } from "../../runtime/index";
import { readSamples } from "../../runtime/quantize/samples";
import { MTL_BIN, mtlIn, servedUrl, STACK_TRACE } from "../helpers/cli";
import { multiMnist4 } from "../helpers/multimnist4";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-precision-"));
const mm4 = multiMnist4(work);
const mtl = mtlIn(root, 120_000);
const data = join(work, "mm");
const diag = join(work, "diag.onnx");
const all = join(work, "all.onnx");
const fp32 = join(work, "fp32.onnx");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  const q = ["--quantize", "int8", "--calibrate", data, "--calibration-samples", "16", "--check-samples", "0"];
  for (const args of [
    ["data", "multimnist", "-o", data, "--train", "8", "--test", "32"],
    ["compile", mm4, "-o", fp32],
    ["compile", mm4, "-o", diag, ...q],
    ["compile", mm4, "-o", all, ...q, "--calibrate-configs", "all"],
  ]) {
    const r = mtl(...args);
    expect(r.code, r.err).toBe(0);
  }
}, 120_000);

const expectError = (args: string[], code: string) => {
  const r = mtl(...args);
  expect(r.code, args.join(" ")).toBe(1);
  expect(r.err).toContain(code);
  expect(r.err).not.toMatch(STACK_TRACE);
};

describe("--precision on bench, profile and serve", () => {
  it("mtl bench --precision int8 times int8 sessions of the diagonal, with no dynamic graph", () => {
    const r = mtl("bench", diag, "--precision", "int8", "--runs", "1", "--threads", "1", "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.precision).toBe("int8");
    expect(j.rows).toHaveLength(4);
    for (const row of j.rows) {
      expect(row.dynamicMs).toBeNull();
      expect(row.specialisedMs).toBeGreaterThan(0);
    }
    const f = JSON.parse(mtl("bench", diag, "--runs", "1", "--threads", "1", "--json").out);
    expect(f.precision).toBe("fp32");
    for (const row of f.rows) expect(row.dynamicMs).toBeGreaterThan(0);
    const t = mtl("bench", diag, "--precision", "int8", "--runs", "1", "--threads", "1");
    expect(t.out).toMatch(/features=1,left=1,right=1 +5\.4M +[\d.]+ +- +- /);
    expectError(["bench", fp32, "--precision", "int8", "--runs", "1"], "MTL-QNT-001");
  }, 120_000);

  it("mtl profile --precision int8 measures int8 sessions (every configuration must be calibrated)", () => {
    const out = join(work, "lat.json");
    const r = mtl("profile", all, "--precision", "int8", "--runs", "1", "--warmup", "0", "--threads", "1", "-o", out);
    expect(r.code, r.err).toBe(0);
    const table = JSON.parse(readFileSync(out, "utf8"));
    expect(table.device).toMatch(/, int8$/);
    expect(table.precision).toBe("int8");
    // Planning with timings of the other precision is refused, naming both and the command that fits.
    const int8Table = join(work, "lat-int8.json");
    writeFileSync(int8Table, JSON.stringify(table));
    const budget = ["--random", "--budget", "60%", "--latency", int8Table, "--accept-unreliable-latency"];
    const wrong = mtl("run", all, ...budget);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain("the latency table was measured on int8 sessions, and this model runs fp32");
    expect(wrong.err).toContain("mtl profile MODEL.onnx --precision fp32");
    expect(wrong.err).not.toMatch(STACK_TRACE);
    const right = mtl("run", all, ...budget, "--precision", "int8");
    expect(right.code, right.err).toBe(0);
    // An older table without the field: its device text tells
    const { precision: _p, ...older } = table;
    writeFileSync(int8Table, JSON.stringify(older));
    expect(mtl("run", all, ...budget).err).toContain("measured on int8 sessions");
    expect(table.terms.map((t: { part: string }) => t.part).sort()).toEqual(["left", "right", "shared"]);
    // The per-task timings run configurations off the diagonal: a diagonal calibration cannot.
    expectError(["profile", diag, "--precision", "int8", "--runs", "1", "-o", join(work, "x.json")], "MTL-QNT-002");
    const plain = mtl("profile", all, "--runs", "1", "--warmup", "0", "--threads", "1", "-o", out);
    expect(plain.code, plain.err).toBe(0);
    const fp32Table = JSON.parse(readFileSync(out, "utf8"));
    expect(fp32Table.device).not.toContain("int8");
    expect(fp32Table.precision).toBe("fp32");
    const wrongWay = mtl("run", all, "--random", "--budget", "60%", "--latency", out, "--precision", "int8");
    expect(wrongWay.code).toBe(1);
    expect(wrongWay.err).toContain("measured on fp32 sessions, and this model runs int8");
  }, 120_000);

  it("mtl serve --precision int8 answers from int8 sessions, as load(file, {precision: int8}).run", async () => {
    expectError(["serve", fp32, "--precision", "int8", "--port", "0", "--grpc-port", "none"], "MTL-QNT-001");
    const bad = mtl("serve", diag, "--precision", "int4");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--precision takes fp32 or int8");
    const child = spawn("node", [MTL_BIN, "serve", diag, "--precision", "int8", "--port", "0", "--grpc-port", "none"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const served = servedUrl(child);
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      const url = await served;
      const client = new KServeRestClient(url);
      const bytes = new Uint8Array(readFileSync(diag));
      const samples = await readSamples(data, readArtifact(bytes, diag).meta, 8);
      const local = await load(diag, { precision: "int8", threads: 1 });
      const configs = { "features=1,left=1,right=1": { features: 3, left: 3, right: 3 } };
      for (const [text, config] of Object.entries(configs))
        for (const s of samples) {
          const image = {
            name: "image",
            datatype: "FP32" as const,
            shape: [1, 1, 28, 28],
            data: s.image.data as Float32Array,
          };
          const served = await client.infer("MultiMNIST", [image], { config: text });
          const here = await local.run(s, { config });
          for (const task of ["left", "right"])
            expect(Array.from(served.outputs[task].data as ArrayLike<number | bigint>, Number)).toEqual(
              Array.from(here.outputs[task][task].data as ArrayLike<number | bigint>, Number),
            );
        }
      await local.close();
      // An uncalibrated configuration is refused: the server runs int8 only.
      const image = { name: "image", datatype: "FP32" as const, shape: [1, 1, 28, 28], data: new Float32Array(784) };
      await expect(client.infer("MultiMNIST", [image], { config: "features=0.5,left=1,right=1" })).rejects.toThrow(
        /not calibrated for int8/,
      );
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 120_000);
});

describe("mtl info on int8 calibration", () => {
  it("names the calibrated configurations and the method, or says there is none", () => {
    const d = mtl("info", diag);
    expect(d.out).toContain("int8: calibrated for 4 configurations of 64 (minmax ranges, 16 samples, onnxruntime ");
    expect(d.out).toContain("\n  features=0.5, left=0.5, right=0.5\n");
    expect(mtl("info", all).out).toContain("int8: calibrated for every configuration (minmax ranges, 16 samples");
    expect(mtl("info", fp32).out).toContain("int8: no calibration");
    const j = JSON.parse(mtl("info", diag, "--json").out);
    expect(j.int8).toMatchObject({ method: "minmax", samples: 16 });
    expect(j.int8.configs).toContainEqual({ features: 0.25, left: 0.25, right: 0.25 });
    expect(JSON.parse(mtl("info", fp32, "--json").out).int8).toBeNull();
  }, 60_000);
});
