// The `mtl serve` and `mtl export triton` commands as users run them: a real process on
// loopback that serves, drains on SIGTERM and exits 0; clear errors for bad flags and files.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { KServeRestClient } from "../../runtime/client/index";
import { busyPort, MTL_BIN, mtlIn, servedUrl, STACK_TRACE, type CliResult } from "../helpers/cli";
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

  it("answers the same on the server's own thread (--in-process) as on its worker thread", async () => {
    const x = [{ name: "image", datatype: "FP32" as const, shape: [2, 3, 16, 16], data: seededImage(2 * 768) }];
    const answers = [];
    for (const flags of [["--in-process"], []]) {
      const child = spawn("node", [bin, "serve", model, "--port", "0", "--grpc-port", "none", ...flags], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
      const r = await new KServeRestClient(await servedUrl(child)).infer("Two", x, { budget: "60%" });
      answers.push(r);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    expect(answers[0].parameters.config).toBe(answers[1].parameters.config);
    expect(answers[0].outputs).toEqual(answers[1].outputs);
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
    const inProcess = mtl("serve", model, "--in-process", "--backend", "kserve-grpc://127.0.0.1:1", "--routes", "x");
    expect(inProcess.code).toBe(2);
    expect(inProcess.err).toContain("--in-process runs batches on this server's thread");
    const d = mtl("serve", model, "--preload", "e=0.3");
    expect(d.code).toBe(1);
    expect(d.err).toContain("--preload: width 0.3 is not a choice of group `e`");
  }, 60_000);

  it("names the user's file when a model cannot be read or loaded", async () => {
    const broken = join(tmp, "broken.onnx");
    writeFileSync(broken, "not a model\n");
    const r = mtl("serve", broken);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error MTL-ART-002: ${broken} is not an ONNX model`);
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
    child.stderr.on("data", (d) => (stderr += d));
    // The failed preload closes both endpoints, so the process exits by itself (a hang is killed).
    const kill = setTimeout(() => child.kill("SIGKILL"), 40_000);
    const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)));
    clearTimeout(kill);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`onnxruntime cannot load ${opset}`);
    expect(stderr).not.toContain("<bytes>");
  }, 60_000);
});

describe("mtl serve cannot listen", () => {
  // A hang shows as a kill by the timeout (signal set, no exit code).
  const serve = mtlIn(process.cwd(), 30_000);
  const busy = busyPort();
  const failed = (r: CliResult, code: number, text: string) => {
    expect(r.signal, r.err).toBeNull();
    expect(r.code, r.err).toBe(code);
    expect(r.err).toContain(text);
    expect(r.err).not.toMatch(STACK_TRACE);
    expect(r.err).not.toContain("internal error");
  };

  it("a busy REST port: MTL-CLI-004 naming it, exit 1", () => {
    const r = serve("serve", model, "--port", String(busy()), "--grpc-port", "none");
    failed(r, 1, `error MTL-CLI-004: port ${busy()} on 127.0.0.1 is in use`);
    expect(r.err).toContain(`--port ${busy() + 1} (0: any free port)`);
  }, 60_000);

  it("a busy gRPC port: MTL-CLI-004 alone, the REST server closed and the process exits", () => {
    const r = serve("serve", model, "--port", "0", "--grpc-port", String(busy()));
    failed(r, 1, `error MTL-CLI-004: gRPC port ${busy()} on 127.0.0.1 is in use`);
    expect(r.err).toContain("none: no gRPC");
    // mtl's message is the first line: grpc-js's own log of the failed bind is kept quiet
    expect(r.err).toMatch(/^error MTL-CLI-004/);
    expect(r.err).not.toContain("No address added");
  }, 60_000);

  it("a port out of range is a usage error before the model loads, exit 2", () => {
    failed(serve("serve", model, "--port", "70000"), 2, "error MTL-CLI-001: --port takes 0 to 65535, not 70000");
    const g = serve("serve", model, "--port", "0", "--grpc-port", "70000");
    failed(g, 2, "error MTL-CLI-001: --grpc-port takes 0 to 65535, not 70000");
    // Checked before loading: a missing model is not reached.
    failed(serve("serve", join(tmp, "missing.onnx"), "--port", "70000"), 2, "--port takes 0 to 65535");
  }, 60_000);

  it("a host that is not this machine's, or does not resolve: MTL-CLI-004 naming it, exit 1", () => {
    const a = serve("serve", model, "--port", "0", "--grpc-port", "none", "--host", "10.254.254.254");
    failed(a, 1, "error MTL-CLI-004: cannot listen on 10.254.254.254");
    const b = serve("serve", model, "--port", "0", "--grpc-port", "none", "--host", "999.1.1.1");
    failed(b, 1, "error MTL-CLI-004: cannot listen on 999.1.1.1");
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
