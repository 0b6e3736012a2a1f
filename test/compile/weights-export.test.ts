// `mtl weights export MODEL.onnx -o W.safetensors`: the state dict read back from a compiled file
// equals what `exportWeights` makes from the graph and weights it was compiled from, compiling
// with `--weights` of that file gives the same bytes again, and bad files give plain errors.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitModel, prepareModel } from "../../compiler/compile";
import type { Config } from "../../compiler/ir/types";
import { exportWeights } from "../../compiler/weights/load";
import { encodeSafetensors } from "../../compiler/weights/safetensors";
import { fileHost } from "../../cli/host";
import { stateDictOf } from "../../cli/commands/weights";
import { readArtifact } from "../../runtime/artifact";
import { testWeights } from "../helpers/test-data";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "cli", "bin.js");
const examples = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".mtl"))
  .sort();
const work = mkdtempSync(join(tmpdir(), "mtl-weights-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const mtl = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8" });

describe.each(examples)("examples/%s", (file) => {
  it("reads back the state dict exportWeights makes (full-width rows, num_batches_tracked), byte for byte", () => {
    const source = `examples/${file}`;
    const r = prepareModel(source, fileHost(join(root, source), root));
    if (!r.ok) throw new Error(`${source} does not compile`);
    const weights = testWeights(r.prepared.graph, 4); // every switchable row differs: the last one must be taken
    const bytes = emitModel({ ...r.prepared, weights }, null, source).bytes;
    const got = stateDictOf(readArtifact(bytes, source));
    const want = exportWeights(r.prepared.graph, weights);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    expect(Buffer.from(encodeSafetensors(got)).equals(Buffer.from(encodeSafetensors(want)))).toBe(true);
  }, 60_000);
});

describe("mtl weights export (the CLI)", () => {
  it("round-trips: compile, export, compile --weights the export: identical bytes; exporting again: identical weights", () => {
    const [a, b, w, w2] = ["a.onnx", "b.onnx", "w.safetensors", "w2.safetensors"].map((f) => join(work, f));
    for (const args of [
      ["compile", "examples/cifar_mtl.mtl", "-o", a, "--seed", "7"],
      ["weights", "export", a, "-o", w],
      ["compile", "examples/cifar_mtl.mtl", "-o", b, "--weights", w],
      ["weights", "export", b, "-o", w2],
    ]) {
      const run = mtl(...args);
      expect(run.status, `mtl ${args.join(" ")}: ${run.stderr}`).toBe(0);
    }
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(readFileSync(w2).equals(readFileSync(w))).toBe(true);
    expect(mtl("weights", "export", a, "-o", w).stdout).toMatch(
      /^wrote .*w\.safetensors: CifarMTL, \d+ tensors, [\d,]+ parameters at full width/,
    );
  }, 60_000);

  it("exports a static model's weights as cut to its configuration", () => {
    const source = "examples/cifar_mtl.mtl";
    const r = prepareModel(source, fileHost(join(root, source), root));
    if (!r.ok) throw new Error(`${source} does not compile`);
    const config: Config = Object.fromEntries(r.prepared.graph.groups.map((g) => [g.name, 0]));
    const a = readArtifact(emitModel(r.prepared, config, source).bytes, source);
    const sd = stateDictOf(a);
    expect(sd.get("stem.0.weight")!.shape).toEqual([8, 3, 3, 3]); // 32 channels at 0.25
    expect(sd.get("stem.1.running_var")!.shape).toEqual([8]);
    expect(sd.get("stem.1.num_batches_tracked")!.dtype).toBe("I64");
  });

  it("says plainly what is wrong with a missing, unreadable or foreign file, or an unwritable output", () => {
    const notOnnx = join(work, "not.onnx");
    writeFileSync(notOnnx, "hello");
    const dir = join(work, "dir.safetensors");
    mkdirSync(dir, { recursive: true });
    const a = join(work, "c.onnx");
    expect(mtl("compile", "examples/cifar_mtl.mtl", "-o", a).status).toBe(0);
    const foreign = join(work, "foreign.onnx");
    // A valid ONNX model without mtl metadata, made by onnx itself.
    execFileSync("/usr/bin/python3", [
      "-c",
      `import onnx, onnx.helper as h; g = h.make_graph([h.make_node("Relu", ["x"], ["y"])], "g", ` +
        `[h.make_tensor_value_info("x", 1, [1])], [h.make_tensor_value_info("y", ` +
        `1, [1])]); onnx.save(h.make_model(g), ${JSON.stringify(foreign)})`,
    ]);
    const cases: [string[], RegExp][] = [
      [
        ["weights", "export", join(work, "missing.onnx"), "-o", join(work, "x.safetensors")],
        /^error MTL-[A-Z]+-\d{3}: model file .*missing\.onnx does not exist/,
      ],
      [
        ["weights", "export", notOnnx, "-o", join(work, "x.safetensors")],
        /^error MTL-[A-Z]+-\d{3}: .*not\.onnx is not an ONNX model/,
      ],
      [
        ["weights", "export", foreign, "-o", join(work, "x.safetensors")],
        /^error MTL-[A-Z]+-\d{3}: .*foreign\.onnx is an ONNX model, but not one compiled by mtl/,
      ],
      [
        ["weights", "export", a, "-o", dir],
        /^error MTL-CLI-003: -o .*dir\.safetensors is a folder; it takes a file name/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = mtl(...args);
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(mtl("weights", "export", a).status).toBe(2); // -o is required
    const broken = join(work, "broken.safetensors");
    writeFileSync(broken, "garbage!");
    const run = mtl("compile", "examples/cifar_mtl.mtl", "-o", join(work, "y.onnx"), "--weights", broken);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error MTL-[A-Z]+-\d{3}: .*broken\.safetensors is not a readable safetensors file/);
  }, 60_000);
});
