// Messages that point the right way: another model's latency table is named as such (not "term 0:
// unknown group"), and profile's --max hint counts where the measurements come from instead of
// calling every model's configuration space per-layer.
import { describe, expect, it } from "vitest";
import { readArtifact } from "../../runtime/artifact";
import { profileLatency } from "../../runtime/profile";
import { latencyTerms, type LatencyTable } from "../../runtime/search/latency";
import { isSearchError } from "../../runtime/search/types";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const artifact = readArtifact(compileSource(TWO_TASK), "two.onnx");

describe("pointing messages", () => {
  it("names a latency table measured on another model", () => {
    const other: LatencyTable = {
      version: 1,
      terms: [
        { part: "shared", groups: ["f"], ms: [1, 2] },
        { part: "fish", groups: ["f"], ms: [1, 2] },
      ],
    };
    const r = latencyTerms(other, artifact.costs, ["seg", "cls"]);
    expect(isSearchError(r) && r.code).toBe("bad-latency");
    expect(isSearchError(r) && r.message).toMatch(/measured on another model: it times group "f", part "fish"/);
    expect(isSearchError(r) && r.hint).toContain("mtl profile");
  });

  it("explains profile's measurement count from the model's own parts", async () => {
    const runner = {
      costs: artifact.costs,
      tasks: artifact.meta.tasks.map((t) => t.name),
      run: () => Promise.reject(new Error("nothing runs over --max")),
    };
    const e = await profileLatency(runner as never, {}, { maxMeasurements: 3 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "MTL-PROF-001", message: expect.stringContaining("more than --max 3") });
    const hint = (e as { hint: string }).hint;
    expect(hint).not.toContain("per-layer");
    expect(hint).toMatch(/12 for the encoder \(4 configurations, .*16 for seg, 16 for cls; raise --max to 44/);
  });
});
