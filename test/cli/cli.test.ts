// The `mtl` command as users meet it: exit codes, messages, and never a stack trace for a user's
// mistake. Runs the real binary.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { mtlIn, STACK_TRACE } from "../helpers/cli";
import { TWO_TASK } from "../helpers/compiled";

const dir = mkdtempSync(join(tmpdir(), "mtl-cli-"));
const mtl = mtlIn(dir);
const noTrace = (s: string) => expect(s).not.toMatch(STACK_TRACE);

beforeAll(() => {
  writeFileSync(join(dir, "two.mtl"), TWO_TASK);
  writeFileSync(join(dir, "bad.mtl"), "model M {\n  input x: f32[N, 3]\n  encoder e = x |> linar(8)\n}\n");
});

describe("mtl check", () => {
  it("exits 0 on a clean file", () => {
    const r = mtl("check", "two.mtl");
    expect(r.code).toBe(0);
    expect(r.out).toContain("two.mtl: ok (model Two: 2 tasks, 3 width groups)");
  });
  it("exits 1 with a code frame on errors", () => {
    const r = mtl("check", "bad.mtl");
    expect(r.code).toBe(1);
    expect(r.err).toContain("bad.mtl:3:20: error MTL2003: `linar` is not defined");
    expect(r.err).toContain("^^^^^");
    expect(r.err).toContain("did you mean `linear`?");
    noTrace(r.err);
  });
  it("prints JSON diagnostics", () => {
    const r = mtl("check", "--json", "bad.mtl");
    expect(r.code).toBe(1);
    const ds = JSON.parse(r.out);
    expect(ds.find((d: { code: string }) => d.code === "MTL2003")).toMatchObject({
      code: "MTL2003",
      severity: "error",
      span: { file: "bad.mtl", line: 3, col: 20 },
    });
  });
  it("exits 2 on usage errors and 1 on a missing file", () => {
    expect(mtl("chek").code).toBe(2);
    expect(mtl("check").code).toBe(2);
    const r = mtl("check", "nothere.mtl");
    expect(r.code).toBe(1);
    expect(r.err).toContain("cannot read");
  });
});

describe("mtl compile / info / search / run", () => {
  beforeAll(() => {
    const r = mtl("compile", "two.mtl", "-o", "two.onnx");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  it("writes one file with every configuration and describes it", () => {
    const r = mtl("info", "two.onnx");
    expect(r.code).toBe(0);
    expect(r.out).toContain("64 configurations");
    expect(r.out).toMatch(/seg\s+decode \{"kind":"argmax","axis":1\}/);
  });

  it("writes a static model for a budget", () => {
    const r = mtl("compile", "two.mtl", "-o", "two-static.onnx", "--budget", "40%");
    expect(r.code).toBe(0);
    expect(mtl("info", "two-static.onnx").out).toContain("static configuration:");
  });

  it("rejects a configuration the model does not have", () => {
    const r = mtl("compile", "two.mtl", "-o", "x.onnx", "--config", "e=0.3");
    expect(r.code).toBe(1);
    expect(r.err).toContain("width 0.3 is not a choice of group `e`");
    expect(existsSync(join(dir, "x.onnx"))).toBe(false);
    noTrace(r.err);
  });

  it("searches and runs", () => {
    const s = mtl("search", "two.onnx", "--budget", "50%", "--prefer", "seg=3,cls=1");
    expect(s.code).toBe(0);
    expect(s.out).toContain("strategy:");
    const r = mtl("run", "two.onnx", "--random", "--tasks", "cls", "-o", "outs");
    expect(r.code).toBe(0);
    expect(r.out).toContain("cls.indices: int64[1, 3]");
    expect(
      readFileSync(join(dir, "outs", "cls.values.npy"))
        .subarray(1, 6)
        .toString(),
    ).toBe("NUMPY");
  });

  it("benchmarks configurations side by side", () => {
    const r = mtl("bench", "two.onnx", "--runs", "2");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/e=0\.25,seg=0\.25,cls=0\.25\s+[\d.]+M/);
    expect(r.out).toContain("Spearman");
  });

  it("runs on a PNG, resized to the input", () => {
    const img = new PNG({ width: 40, height: 30 });
    img.data.fill(128);
    writeFileSync(join(dir, "photo.png"), PNG.sync.write(img));
    const r = mtl("run", "two.onnx", "--input", "image=photo.png", "--tasks", "seg");
    expect(r.err).toBe("");
    expect(r.out).toContain("seg: int64[1, 16, 16]");
  });

  it("reports impossible budgets, bad inputs and non-models plainly", () => {
    const a = mtl("search", "two.onnx", "--budget", "macs <= 100");
    expect(a.code).toBe(1);
    expect(a.err).toContain("smallest achievable cost");
    writeFileSync(join(dir, "x.json"), "[[1, 2], [3, 4]]");
    const b = mtl("run", "two.onnx", "--input", "image=x.json");
    expect(b.code).toBe(1);
    expect(b.err).toContain("input `image` has shape [2, 2]");
    writeFileSync(join(dir, "junk.onnx"), "not a model");
    const c = mtl("info", "junk.onnx");
    expect(c.code).toBe(1);
    expect(c.err).toContain("is not an ONNX model");
    // once, naming the file: not "junk.onnx is not an ONNX model: not an ONNX model (...)"
    expect(c.err).toMatch(/error MTL-ART-002: junk\.onnx is not an ONNX model: (?!not an ONNX model)/);
    expect(c.err.match(/not an ONNX model/g)).toHaveLength(1);
    for (const x of [a, b, c]) noTrace(x.err);
  });
});
