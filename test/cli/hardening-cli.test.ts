// Issue 15 items 6, 7, 9 and 10 as users meet them through the real binary: exit 1 or 2 with a
// plain message, never a stack trace, exit 3 or a signal.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { runMtl, STACK_TRACE } from "../helpers/cli";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const dir = mkdtempSync(join(tmpdir(), "mtl-harden-"));

function mtl(...args: string[]) {
  const r = runMtl(dir, args, 120_000);
  expect(r.err).not.toMatch(STACK_TRACE);
  expect(r.signal).toBeNull();
  return r;
}

beforeAll(() => {
  const bytes = compileSource(TWO_TASK);
  writeFileSync(join(dir, "two.onnx"), bytes);
  const onnx = decodeModel(bytes);
  const meta = JSON.parse(onnx.metadata.mtl);
  meta.inputs[0].shape = [1, 3, 1_000_000, 1_000_000];
  writeFileSync(
    join(dir, "huge-input.onnx"),
    encodeModel({ ...onnx, metadata: { ...onnx.metadata, mtl: JSON.stringify(meta) } }),
  );
  writeFileSync(join(dir, "null-meta.onnx"), encodeModel({ ...onnx, metadata: { ...onnx.metadata, mtl: "null" } }));
  writeFileSync(join(dir, "null.json"), "null");
  writeFileSync(join(dir, "deep.json"), `${"[".repeat(100_000)}1${"]".repeat(100_000)}`);
  writeFileSync(
    join(dir, "rec.mtl"),
    "block g(n: int) -> int {\n  return n <= 0 ? 8 : max(g(n - 1), g(n - 1))\n}\nmodel M {\n  input " +
      "x: f32[N, 3, 8, 8]\n  encoder e = x |> conv(g(16), k: 1)\n  task t { head e |> fixed conv(2, k: 1) }\n}\n",
  );
});

describe("mtl on hostile input", () => {
  it("info /dev/zero and null metadata: exit 1 at once", () => {
    const r = mtl("info", "/dev/zero");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a regular file/);
    const m = mtl("info", "null-meta.onnx");
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/null-meta.onnx: the "mtl" metadata is malformed/);
  });

  it("run --random on a 10^12-element input: a usage error (MTL-CLI-001, exit 2)", () => {
    const r = mtl("run", "huge-input.onnx", "--random");
    expect(r.code).toBe(2);
    expect(r.err).toContain("error MTL-CLI-001:");
    expect(r.err).toMatch(/more than --random makes/);
  });

  it("run with a null or 100k-deep JSON input: exit 1", () => {
    for (const f of ["null.json", "deep.json"]) {
      const r = mtl("run", "two.onnx", "--input", `image=${f}`);
      expect(r.code, r.err).toBe(1);
    }
  });

  it("--limits: lowering the steps limit turns a clean check into MTL4016; bad text is a usage error", () => {
    expect(mtl("check", "rec.mtl").code).toBe(0);
    const low = mtl("check", "rec.mtl", "--limits", "steps=1000");
    expect(low.code).toBe(1);
    expect(low.err).toContain("MTL4016");
    expect(mtl("check", "rec.mtl", "--limits", "stepz=5").code).toBe(2);
  });
});
