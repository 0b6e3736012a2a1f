// int8 sessions of some tasks: onnxruntime names the inlined tensors of a task's branch after
// which other branches it inlined, so a session of `left` alone names them unlike calibration,
// which runs every task (runtime/quantize/names.ts). Each task alone must run int8 and answer as it
// does in the session of all tasks.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readArtifact } from "../../runtime/artifact";
import { load } from "../../runtime/index";
import { rangesByGraphName, mtlName } from "../../runtime/quantize/names";
import { readSamples } from "../../runtime/quantize/samples";
import { mtlIn } from "../helpers/cli";
import { multiMnist4 } from "../helpers/multimnist4";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-int8-tasks-"));
const mm4 = multiMnist4(work);
const mtl = mtlIn(root);
const data = join(work, "mm");
const model = join(work, "int8.onnx");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  let r = mtl("data", "multimnist", "-o", data, "--train", "8", "--test", "48");
  expect(r.code, r.err).toBe(0);
  const q = ["--quantize", "int8", "--calibrate", data, "--check-samples", "0"];
  r = mtl("compile", mm4, "-o", model, ...q);
  expect(r.code, r.err).toBe(0);
}, 120_000);

describe("int8 sessions of some tasks", () => {
  it("each task alone runs int8 and answers as in the session of every task", async () => {
    const bytes = new Uint8Array(readFileSync(model));
    const samples = await readSamples(data, readArtifact(bytes, model).meta, 16);
    const m = await load(model, { precision: "int8", threads: 1 });
    for (const config of [
      { features: 3, left: 3, right: 3 },
      { features: 0, left: 0, right: 0 },
    ])
      for (const s of samples) {
        const all = await m.run(s, { config });
        for (const task of ["left", "right"]) {
          const alone = await m.run(s, { config, tasks: [task] });
          expect(alone.tasks).toEqual([task]);
          expect([...alone.outputs[task][task].data]).toEqual([...all.outputs[task][task].data]);
        }
      }
    await m.close();
  }, 120_000);

  it("matches names by mtl's own and refuses a name two calibrated tensors share", () => {
    expect(mtlName("_if_then_branch_token_3_left.conv1.relu")).toBe("left.conv1.relu");
    expect(mtlName("_if_else_branch_right.fc")).toBe("right.fc");
    expect(mtlName("stage1.relu")).toBe("stage1.relu");
    const ranges = new Map([
      ["_if_then_branch_token_3_left.fc", { min: -1, max: 1 }],
      ["_if_then_branch_x", { min: 0, max: 1 }],
      ["_if_then_branch_token_7_x", { min: 0, max: 9 }],
    ]);
    const got = rangesByGraphName(ranges, ["_if_then_branch_left.fc", "_if_then_branch_x", "missing"]);
    expect([...got]).toEqual([["_if_then_branch_left.fc", { min: -1, max: 1 }]]);
  });
});
