// The opt-in low-resolution dense argmax: the rewrite finds Resize -> ArgMax, the output keeps its
// name, dtype and shape, and the class map agrees with the exact path away from class boundaries
// (on a smooth input most pixels); the exact path is untouched by default.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeModel } from "../../compiler/onnx/encode";
import { lowResolutionArgmax } from "../../compiler/rewrite/dense-argmax";
import { load } from "../../runtime/index";
import { flattenConfiguration } from "../../runtime/quantize/flatten";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const SEG = TWO_TASK.replace("f32[N, 3, 16, 16]", "f32[N, 3, 64, 64]").replace(
  "upsample(scale: 2)",
  "upsample(scale: 8)",
);

/** A smooth seeded image: neighbouring pixels close, so most class regions are wider than one low-res pixel. */
function smooth(n: number, side: number): Float32Array {
  return Float32Array.from({ length: n * 3 * side * side }, (_, i) => {
    const x = i % side;
    const y = Math.floor(i / side) % side;
    const c = Math.floor(i / (side * side)) % 3;
    return Math.sin(x / 9 + c) + Math.cos(y / 7 - c * 2);
  });
}

describe("low-resolution dense argmax", () => {
  it("rewrites the segmentation head only, keeping the output's name, dtype and shape", async () => {
    const bytes = compileSource(SEG);
    const fixed = { widths: { e: 3, seg: 3, cls: 3 }, run: { seg: true, cls: true } };
    const flat = await flattenConfiguration(bytes, fixed, "two", { logSeverityLevel: 3 });
    const r = lowResolutionArgmax(flat);
    expect(r.rewritten).toBe(1);
    const ops = r.model.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === "ArgMax").length).toBe(flat.graph.nodes.filter((n) => n.opType === "ArgMax").length);
    const feeds = { image: new ort.Tensor("float32", smooth(2, 64), [2, 3, 64, 64]) };
    const s = await ort.InferenceSession.create(encodeModel(r.model), { logSeverityLevel: 3 });
    const e = await ort.InferenceSession.create(encodeModel(flat), { logSeverityLevel: 3 });
    const [out, ref] = [await s.run(feeds), await e.run(feeds)];
    expect(out.seg.type).toBe("int64");
    expect(out.seg.dims).toEqual([2, 256, 256]);
    expect(out.seg.dims).toEqual(ref.seg.dims);
    expect(out.cls_values ?? out["cls.values"]).toBeDefined();
    await s.release();
    await e.release();
  });

  it("agrees with the exact path on most pixels of a smooth input, and the default stays exact", async () => {
    const bytes = compileSource(SEG);
    const exact = await load(bytes, { threads: 1 });
    const cheap = await load(bytes, { threads: 1, denseArgmax: "low-resolution" });
    const image = { data: smooth(2, 64), dims: [2, 3, 64, 64] };
    for (const width of [0, 3]) {
      const config = { e: width, seg: width, cls: width };
      const a = (await exact.run({ image }, { config, tasks: ["seg"], mode: "specialised" })).outputs.seg.seg.data;
      const b = (await cheap.run({ image }, { config, tasks: ["seg"] })).outputs.seg.seg.data;
      let same = 0;
      for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
      expect(same / a.length).toBeGreaterThan(0.8);
    }
    await expect(load(bytes, { denseArgmax: "fast" as never })).rejects.toMatchObject({ code: "MTL-QNT-004" });
    // a model whose argmax reads the logits at their own resolution has nothing to rewrite: asking is a mistake
    const noResize = compileSource(SEG.replace("|> upsample(scale: 8) decode", "decode"));
    await expect(load(noResize, { denseArgmax: "low-resolution" })).rejects.toMatchObject({
      code: "MTL-QNT-005",
      message: expect.stringContaining("no dense argmax head"),
    });
    await (await load(noResize, { denseArgmax: "exact" })).close();
    await exact.close();
    await cheap.close();
  });
});
