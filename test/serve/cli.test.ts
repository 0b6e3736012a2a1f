// The `mtl serve` and `mtl export triton` commands as users run them: a real process on
// loopback that serves, drains on SIGTERM and exits 0; clear errors for bad flags and files.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { KServeRestClient } from "../../runtime/client/index";
import { MTL_BIN, mtlIn, servedUrl } from "../helpers/cli";
import { seededImage } from "../helpers/compiled";
import { modelBytes } from "./fixtures";

const bin = MTL_BIN;
const tmp = mkdtempSync(join(tmpdir(), "mtl-serve-cli-"));
const model = join(tmp, "two.onnx");
writeFileSync(model, modelBytes().two);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const mtl = mtlIn(process.cwd(), 60_000);

describe("mtl serve", () => {
  it("serves on loopback, finishes in-flight requests on SIGTERM and exits 0", async () => {
    const child = spawn(
      "node",
      [bin, "serve", model, "--port", "0", "--grpc-port", "none", "--batch-wait-ms", "300", "--preload", "pareto"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const url = await servedUrl(child);
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const client = new KServeRestClient(url);
    expect(await client.ready()).toBe(true);
    expect(stderr).toMatch(/preloaded \d+ Pareto configurations of Two/);
    const inflight = client.infer(
      "Two",
      [{ name: "image", datatype: "FP32", shape: [1, 3, 16, 16], data: seededImage(768) }],
      {
        budget: "50%",
      },
    );
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    const r = await inflight;
    expect(r.parameters.cached).toBe(true);
    expect(await exited).toBe(0);
    expect(stderr).toContain("SIGTERM: finishing the requests in flight");
  }, 60_000);

  it("rejects bad flags and missing files with a clear message", () => {
    const a = mtl("serve", model, "--max-batch", "zero");
    expect(a.code).toBe(2);
    expect(a.err).toContain("--max-batch takes a whole number");
    const b = mtl("serve", join(tmp, "missing.onnx"));
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/missing\.onnx does not exist/);
    const c = mtl("serve", model, "--backend", "http://x");
    expect(c.code).toBe(2);
    expect(c.err).toContain("is not a kserve-grpc://HOST:PORT address");
    const d = mtl("serve", model, "--preload", "e=0.3");
    expect(d.code).toBe(1);
    expect(d.err).toContain("--preload: width 0.3 is not a choice of group `e`");
  }, 60_000);

  it("names the user's file when a model cannot be read or loaded", async () => {
    const broken = join(tmp, "broken.onnx");
    writeFileSync(broken, "not a model\n");
    const r = mtl("serve", broken);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error MTL-ART-001: ${broken} is not an ONNX model`);
    // Valid mtl metadata, but onnxruntime refuses the graph: the Pareto preload builds sessions at start.
    // Without its IR ("mtl.ir"), so that the preloaded sessions come from the edited graph.
    const onnx = decodeModel(modelBytes().two);
    const { "mtl.ir": _ir, ...metadata } = onnx.metadata;
    const opset = join(tmp, "opset999.onnx");
    writeFileSync(opset, encodeModel({ ...onnx, metadata, opset: 999 }));
    const child = spawn("node", [bin, "serve", opset, "--port", "0", "--grpc-port", "none", "--preload", "pareto"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    await new Promise<void>((done) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        if (stderr.includes("MTL-MF-002")) done();
      });
      child.once("exit", () => done());
    });
    child.kill("SIGKILL");
    expect(stderr).toContain(`onnxruntime cannot load ${opset}`);
    expect(stderr).not.toContain("<bytes>");
  }, 60_000);
});

describe("mtl export triton", () => {
  it("writes a repository, refuses to overwrite one, and explains bad --configs", () => {
    const repo = join(tmp, "repo");
    const ok = mtl("export", "triton", model, "-o", repo, "--configs", "40%;e=0.5,seg=1,cls=0.25");
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/wrote .*repo: 2 static models \(two_c0, two_c1\), two_all/);
    expect(existsSync(join(repo, "two_c1", "config.pbtxt"))).toBe(true);
    const again = mtl("export", "triton", model, "-o", repo);
    expect(again.code).toBe(1);
    expect(again.err).toContain("already exists");
    const bad = mtl("export", "triton", model, "-o", join(tmp, "r2"), "--configs", "e=0.3");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/width 0.3 is not a choice of group `e`\n\s+hint: choose one of 0.25, 0.5, 0.75, 1/);
    expect(existsSync(join(tmp, "r2"))).toBe(false);
    const served = mtl("serve", repo, "--port", "-1");
    expect(served.code).toBe(2);
  }, 120_000);
});
