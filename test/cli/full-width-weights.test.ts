// `mtl weights export --full-width-only` drops the per-width BatchNorm rows; `mtl compile --weights`
// (and `mtl export torch --weights`) still accept the file, exit 0, but say on stderr that every width
// will normalise with the full-width statistics until calibrated, and how to calibrate
// (docs/training.md, "Per-width BatchNorm rows in exported weights").
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitModel, prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { stdlibFiles } from "../helpers/check";
import { TWO_TASK } from "../helpers/compiled";
import { testWeights } from "../helpers/test-data";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "cli", "bin.js");
const work = mkdtempSync(join(tmpdir(), "mtl-fullwidth-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const mtl = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8" });
const ok = (...args: string[]) => {
  const r = mtl(...args);
  expect(r.status, `mtl ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r;
};
const WARNING = new RegExp(
  "^warning: the weights hold only full-width BatchNorm statistics \\(no `<name>\\.per_width` rows for any of " +
    "the 4 switchable statistics, e\\.g\\. b1\\.running_mean\\): every width will normalise with the " +
    "full-width statistics until calibrated\\n",
);

let fullExport = "";

describe("weights without per-width BatchNorm rows", () => {
  beforeAll(() => {
    // A model whose switchable rows all differ, as after training.
    const r = prepareModel("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": TWO_TASK }));
    if (!r.ok) throw new Error("test model does not compile");
    writeFileSync(join(work, "two.mtl"), TWO_TASK);
    const weights = testWeights(r.prepared.graph, 5);
    writeFileSync(join(work, "trained.onnx"), emitModel({ ...r.prepared, weights }, null, "two.mtl").bytes);
    expect(ok("weights", "export", "trained.onnx", "-o", "rows.safetensors").stderr).toBe("");
    const full = ok("weights", "export", "trained.onnx", "-o", "full.safetensors", "--full-width-only");
    fullExport = full.stderr;
  });

  it("mtl weights export --full-width-only says what it left out and how to get it back", () => {
    expect(fullExport).toMatch(
      new RegExp(
        "^note: left out 8 per-width BatchNorm row tensors \\(--full-width-only\\): .* full-width statistics " +
          "until calibrated \\(`mtl calibrate OUT\\.onnx --data DIR`\\)\\n$",
      ),
    );
  });

  it("mtl compile --weights warns with the fix, and still writes the model", () => {
    const r = ok("compile", "two.mtl", "-o", "fw.onnx", "--weights", "full.safetensors");
    expect(r.stderr).toMatch(WARNING);
    expect(r.stderr).toMatch(
      /\n {2}hint: run `mtl calibrate fw\.onnx --data DIR` to measure every width's statistics\n/,
    );
    expect(r.stdout).toMatch(/^wrote fw\.onnx: Two, 2 tasks/);
  }, 60_000);

  it("is quiet when the per-width rows are there, or for a static model at full width", () => {
    expect(ok("compile", "two.mtl", "-o", "rows.onnx", "--weights", "rows.safetensors").stderr).toBe("");
    const full = ok("compile", "two.mtl", "-o", "s1.onnx", "--weights", "full.safetensors", "--config", "e=1");
    expect(full.stderr).toBe("");
    const narrow = ok("compile", "two.mtl", "-o", "s2.onnx", "--weights", "full.safetensors", "--config", "e=0.5");
    expect(narrow.stderr).toMatch(WARNING);
    expect(narrow.stderr).toMatch(/hint: compile without --config\/--budget, run `mtl calibrate OUT\.onnx --data DIR`/);
  }, 60_000);

  it("is quiet for an untrained model's weights (statistics still at their initial values)", () => {
    ok("compile", "two.mtl", "-o", "seeded.onnx");
    ok("weights", "export", "seeded.onnx", "-o", "seeded.safetensors", "--full-width-only");
    expect(ok("compile", "two.mtl", "-o", "again.onnx", "--weights", "seeded.safetensors").stderr).toBe("");
  }, 60_000);

  it("mtl export torch --weights warns too, pointing at train.py's calibration", () => {
    const r = ok("export", "torch", "two.mtl", "-o", "pkg", "--weights", "full.safetensors");
    expect(r.stderr).toMatch(WARNING);
    expect(r.stderr).toMatch(/hint: the package's train\.py calibrates every width .*--steps 0/);
  }, 60_000);

  it("--full-width-only's help says the narrower widths need calibration", () => {
    const r = ok("weights", "export", "--help");
    expect(r.stdout.replace(/\s+/g, " ")).toMatch(/--full-width-only .*mtl calibrate/);
  });
});
