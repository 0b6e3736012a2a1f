// The step form of a sequence head (compiler/lower/step.ts, runtime/decode/cached-step.ts) against
// full recomputation: on examples/captioning.mtl at three configurations, every decoding
// strategy gives the same tokens and scores within 1e-5 with the key/value caches as without, and
// a teacher-forced full pass gives the step-by-step logits. A head with no step form (the
// prefix decoder) says why in the metadata and still decodes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedStepFn } from "../../runtime/decode/cached-step";
import { load, type MtlModel } from "../../runtime/index";
import { StepSessionCache, stepMetadataOf } from "../../runtime/step-sessions";
import { decodeModel } from "../../compiler/onnx/decode";
import { fromBase64 } from "../../compiler/lower/step-meta";
import { compileSource, seededImage } from "../helpers/compiled";

const example = readFileSync(join(import.meta.dirname, "..", "..", "examples", "captioning.mtl"), "utf8");
// Smaller images and shorter captions than the example's, so that full recomputation stays quick.
const withDecode = (decode: string) =>
  example.replace(/decode diverse_beam\([^)]*\)/, `decode ${decode}`).replace("128, 128]", "64, 64]");

const STRATEGIES = {
  greedy: "greedy(max_len: 7, bos: 1, eos: 2)",
  beam: "beam(beams: 4, max_len: 7, bos: 1, eos: 2)",
  diverse_beam: "diverse_beam(beams: 6, groups: 3, diversity: 0.5, max_len: 7, bos: 1, eos: 2)",
  sample: "sample(temperature: 0.9, top_k: 20, seed: 7, max_len: 7, bos: 1, eos: 2)",
};
const CONFIGS = [
  { backbone: 0, caption: 0 },
  { backbone: 2, caption: 1 },
  { backbone: 1, caption: 2 },
];
const image = { data: seededImage(2 * 3 * 64 * 64, 5), dims: [2, 3, 64, 64] };

const models = new Map<string, MtlModel>();
beforeAll(async () => {
  for (const [name, decode] of Object.entries(STRATEGIES))
    models.set(name, await load(compileSource(withDecode(decode))));
}, 120_000);
afterAll(async () => {
  for (const m of models.values()) await m.close();
});

describe("step form with key/value caches", () => {
  for (const name of Object.keys(STRATEGIES))
    it(`${name}: same tokens and scores as full recomputation at 3 configurations, batch 2`, async () => {
      const model = models.get(name)!;
      for (const config of CONFIGS) {
        // The middle configuration runs specialised (step graphs specialised on load too).
        const mode = config === CONFIGS[1] ? "specialised" : "dynamic";
        const run = (stepForm: boolean) => model.run({ image }, { config, tasks: ["caption"], mode, stepForm });
        const [cached, full] = [await run(true), await run(false)];
        const tokens = (r: typeof cached) => Array.from(r.outputs.caption["caption.tokens"].data as BigInt64Array);
        expect(tokens(cached)).toEqual(tokens(full));
        const [a, b] = [cached, full].map((r) => r.outputs.caption["caption.scores"].data as Float32Array);
        a.forEach((s, i) => expect(Math.abs(s - b[i]), `${JSON.stringify(config)} row ${i}`).toBeLessThan(1e-5));
      }
    }, 120_000);

  it("a teacher-forced full pass equals the step-by-step logits", async () => {
    const bytes = compileSource(withDecode(STRATEGIES.greedy));
    const main = decodeModel(bytes);
    expect(stepMetadataOf(main)?.forms.map((f) => f.task)).toEqual(["caption"]);
    const full = await ort.InferenceSession.create(bytes);
    const steps = await new StepSessionCache(main, "<test>", {}).get("caption")!;
    const make = (d: "float32" | "int64" | "bool", x: Float32Array | BigInt64Array | Uint8Array, dims: number[]) =>
      new ort.Tensor(d, x, dims);
    const widths = { "width.backbone": 1n, "width.caption": 0n };
    const controls = Object.fromEntries(
      Object.entries(widths).map(([k, v]) => [k, new ort.Tensor("int64", BigInt64Array.from([v]), [])]),
    );
    const img = new ort.Tensor("float32", image.data.slice(0, 3 * 64 * 64), [1, 3, 64, 64]);
    const caption = [1, 17, 403, 9, 9, 250, 31];
    const { step } = await cachedStepFn({ ...steps, makeTensor: make, feeds: { image: img, ...controls } });
    const out = await full.run({
      image: img,
      tokens: new ort.Tensor("int64", BigInt64Array.from(caption, BigInt), [1, caption.length]),
      "run.caption": new ort.Tensor("bool", [true], []),
      "run.tags": new ort.Tensor("bool", [false], []),
      ...controls,
    });
    const logits = out["caption.logits"].data as Float32Array;
    const V = 1000;
    for (let t = 1; t <= caption.length; t++) {
      const [got] = await step([caption.slice(0, t)], [0]);
      const want = logits.subarray((t - 1) * V, t * V);
      const scale = Math.max(...Array.from(want, Math.abs));
      const diff = Math.max(...Array.from(got, (g, i) => Math.abs(g - want[i])));
      expect(diff / scale, `position ${t - 1}`).toBeLessThan(1e-5);
    }
    await full.release();
    await steps.encoder.release();
    await steps.step.release();
  }, 60_000);

  it("a static export (one configuration) has a step form too, with the same tokens", async () => {
    const bytes = compileSource(withDecode(STRATEGIES.beam), { backbone: 0.75, caption: 0.5 });
    const form = stepMetadataOf(decodeModel(bytes))?.forms[0];
    expect(form?.task).toBe("caption");
    const step = decodeModel(fromBase64(form!.step));
    expect(step.graph.inputs.filter((i) => i.name.startsWith("width."))).toEqual([]); // no width inputs left
    const model = await load(bytes);
    try {
      const run = (stepForm: boolean) => model.run({ image }, { tasks: ["caption"], stepForm });
      const [cached, full] = [await run(true), await run(false)];
      expect(Array.from(cached.outputs.caption["caption.tokens"].data as BigInt64Array)).toEqual(
        Array.from(full.outputs.caption["caption.tokens"].data as BigInt64Array),
      );
      const [a, b] = [cached, full].map((r) => r.outputs.caption["caption.scores"].data as Float32Array);
      a.forEach((s, i) => expect(Math.abs(s - b[i])).toBeLessThan(1e-5));
    } finally {
      await model.close();
    }
  }, 60_000);

  it("the prefix decoder has no step form, says why, and still decodes", async () => {
    const source = withDecode(STRATEGIES.greedy).replace("heads: 8)", "heads: 8, prefix: true)");
    const bytes = compileSource(source);
    const meta = stepMetadataOf(decodeModel(bytes));
    expect(meta?.forms).toEqual([]);
    expect(meta?.without.caption).toMatch(/mixes token positions/);
    const model = await load(bytes);
    try {
      const r = await model.run({ image }, { tasks: ["caption"] });
      expect(r.outputs.caption["caption.tokens"].dims[0]).toBe(2);
    } finally {
      await model.close();
    }
  }, 60_000);
});
