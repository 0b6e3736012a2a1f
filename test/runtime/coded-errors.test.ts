// Runtime errors carry stable codes through the API (issue 13, item 4): each is an MtlError that
// isMtlError recognises, with the code docs/errors.md lists.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMtlError } from "../../compiler/errors";
import { decodeSafetensors } from "../../compiler/weights/safetensors";
import { load, type MtlModel } from "../../runtime/index";
import { readNpy } from "../../runtime/npy";
import { compileSource, TWO_TASK } from "../helpers/compiled";

let model: MtlModel;
beforeAll(async () => {
  model = await load(compileSource(TWO_TASK));
});
afterAll(async () => model.close());

async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("coded runtime errors", () => {
  it.each([
    ["a file that is not ONNX", () => load(new Uint8Array([1, 2, 3, 4, 5])), "MTL-ART-002"],
    ["a truncated model file", () => load(compileSource(TWO_TASK).slice(0, 1000)), "MTL-ART-002"],
    ["a missing file", () => load("/nonexistent/model.onnx"), "MTL-ART-001"],
    ["an unknown input", () => model.run({ imag: { data: new Float32Array(1), dims: [1] } }), "MTL-IN-001"],
    ["a bad .npy", () => readNpy(new Uint8Array(12)), "MTL-IN-002"],
    ["a bad .safetensors", () => decodeSafetensors(new Uint8Array(3)), "MTL-WTS-001"],
    ["an impossible budget", () => model.plan({ budget: "macs <= 10" }), "infeasible"],
    ["an unreadable budget", () => model.plan({ budget: "60" }), "bad-budget"],
    ["an unknown task", () => model.plan({ tasks: ["segg"] }), "unknown-task"],
    ["a width choice out of range", () => model.run({}, { config: { e: 9 } }), "bad-config"],
  ])("%s", async (_what, f, code) => {
    const e = await caught(f);
    expect(isMtlError(e)).toBe(true);
    expect(e).toMatchObject({ code, exitCode: 1 });
  });
});

describe("timing with no runs", () => {
  it("refuses runs = 0 in the runtime's bench instead of returning NaN", async () => {
    const { timeRuns } = await import("../../runtime/bench");
    const e = await caught(() => timeRuns(async () => ({ ms: 1 }), 0));
    expect(e).toMatchObject({ code: "MTL-PROF-001" });
  });
});
