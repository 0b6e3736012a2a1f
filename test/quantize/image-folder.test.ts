// Calibration from a folder of images (a model with one image input), and the coded error for a
// folder holding neither a data set nor images.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { quantizeCompiled } from "../../runtime/quantize/index";
import { stdlibFiles } from "../helpers/check";
import { TWO_TASK } from "../helpers/compiled";

const work = mkdtempSync(join(tmpdir(), "mtl-int8-img-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function compiled() {
  const r = compileProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": TWO_TASK }));
  if (!r.ok) throw new Error("TWO_TASK does not compile");
  return r.compiled;
}

const settings = (dataDir: string) => ({
  dataDir,
  samples: 6,
  checkSamples: 2,
  method: "minmax" as const,
  percentile: 99.99,
  configs: "diagonal" as const,
  path: "two.onnx",
});

describe("int8 calibration from a folder of images", () => {
  it("calibrates the diagonal configurations and checks them on the held-out images", async () => {
    const dir = join(work, "images");
    mkdirSync(dir);
    for (let k = 0; k < 8; k++) {
      const png = new PNG({ width: 20, height: 20 });
      for (let i = 0; i < 400; i++) png.data.set([(i * 7 + k * 31) % 256, (i * 3) % 256, (k * 40) % 256, 255], i * 4);
      writeFileSync(join(dir, `${k}.png`), PNG.sync.write(png));
    }
    writeFileSync(join(dir, "notes.txt"), "not an image");
    const c = compiled();
    const q = await quantizeCompiled(c.onnx, c.bytes, settings(dir));
    expect(q.spec.samples).toBe(6);
    expect(q.spec.configs.map((x) => x.widths)).toEqual([0, 1, 2, 3].map((i) => ({ e: i, seg: i, cls: i })));
    for (const a of q.agreement) {
      expect(a.samples).toBe(2);
      const seg = a.outputs.find((o) => o.output === "seg")!;
      expect(seg.agreement).toBeGreaterThan(0.75);
    }
  }, 60_000);

  it("a folder without manifest.json or images is MTL-QNT-004", async () => {
    const dir = join(work, "empty");
    mkdirSync(dir);
    const c = compiled();
    await expect(quantizeCompiled(c.onnx, c.bytes, settings(dir))).rejects.toMatchObject({ code: "MTL-QNT-004" });
  });
});
