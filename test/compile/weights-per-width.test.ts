// Every per-width BatchNorm row survives `mtl weights export` -> `mtl compile --weights`: a model
// whose switchable rows all differ (as after training) is exported, recompiled from the export,
// and both files give the same outputs at every width configuration.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitModel, prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { decodeSafetensors } from "../../compiler/weights/safetensors";
import { load } from "../../runtime/model";
import { stdlibFiles } from "../helpers/check";
import { seededImage, TWO_TASK } from "../helpers/compiled";
import { testWeights } from "../helpers/test-data";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "cli", "bin.js");
const work = mkdtempSync(join(tmpdir(), "mtl-perwidth-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const mtl = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8" });

describe("per-width BatchNorm rows in exported weights", () => {
  it("export -> compile --weights keeps every row: same outputs at every configuration", async () => {
    const r = prepareModel("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": TWO_TASK }));
    if (!r.ok) throw new Error("test model does not compile");
    const weights = testWeights(r.prepared.graph, 5); // every switchable row differs
    const a = join(work, "a.onnx");
    writeFileSync(join(work, "two.mtl"), TWO_TASK);
    writeFileSync(a, emitModel({ ...r.prepared, weights }, null, "two.mtl").bytes);
    for (const args of [
      ["weights", "export", a, "-o", "w.safetensors"],
      ["compile", "two.mtl", "-o", "b.onnx", "--weights", "w.safetensors"],
    ]) {
      const run = mtl(...args);
      expect(run.status, `mtl ${args.join(" ")}: ${run.stderr}`).toBe(0);
    }
    const sd = decodeSafetensors(new Uint8Array(readFileSync(join(work, "w.safetensors")))).tensors;
    expect(sd.get("b1.running_mean")!.shape).toEqual([32]); // torchvision's name and shape: the full width
    expect(sd.get("b1.running_mean.per_width")!.shape).toEqual([4, 32]);
    expect(sd.get("b1.running_mean.per_width")!.data).toEqual(weights.get("b1.running_mean"));

    const [ma, mb] = [await load(a), await load(join(work, "b.onnx"))];
    const image = { data: seededImage(2 * 3 * 16 * 16), dims: [2, 3, 16, 16] };
    for (let w = 0; w < 4; w++) {
      const config = Object.fromEntries(r.prepared.graph.groups.map((g) => [g.name, w]));
      const [oa, ob] = [await ma.run({ image }, { config }), await mb.run({ image }, { config })];
      for (const task of ["seg", "cls"]) {
        for (const [name, t] of Object.entries(oa.outputs[task])) {
          expect(ob.outputs[task][name].data, `${task}.${name} at width ${w}`).toEqual(t.data);
        }
      }
    }
    await Promise.all([ma.close(), mb.close()]);
  }, 60_000);
});
