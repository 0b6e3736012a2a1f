// Caption decoding speed on examples/captioning.mtl (ResNet-18 at 128x128, 2-layer causal decoder
// with cross-attention, vocabulary 1000), full width: ms per generated token with the step form
// and key/value caches ("after") and with full recomputation of every prefix ("before",
// `stepForm: false`, on the specialised session), at batch 1 and 8, greedy and beam 4, 20 tokens;
// and the share of the cached decode spent in the encoder graph. Seeded weights: captions run to
// max_len unless eos comes first (the token count is printed).
// Run: npx tsx bench/captioning-decode.ts [--reps N]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileProgram } from "../compiler/compile";
import { memoryHost } from "../compiler/host";
import { load } from "../runtime/index";
import { stdlibFiles } from "./stdlib-files";

const root = join(import.meta.dirname, "..");
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1]) || 2;
const example = readFileSync(join(root, "examples", "captioning.mtl"), "utf8");
const DECODES = {
  greedy: "greedy(max_len: 20, bos: 1, eos: 2)",
  beam4: "beam(beams: 4, max_len: 20, bos: 1, eos: 2)",
};

function image(n: number): Float32Array {
  let s = 7;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [name, decode] of Object.entries(DECODES)) {
  const source = example.replace(/decode diverse_beam\([^)]*\)/, `decode ${decode}`);
  const r = compileProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": source }));
  if (!r.ok) throw new Error(r.message ?? r.diagnostics.map((d) => d.message).join("; "));
  const model = await load(r.compiled.bytes);
  for (const batch of [1, 8]) {
    const img = { data: image(batch * 3 * 128 * 128), dims: [batch, 3, 128, 128] };
    const time = async (stepForm: boolean) => {
      const o = { tasks: ["caption"], mode: "specialised" as const, stepForm };
      const warm = await model.run({ image: img }, o);
      const ms: number[] = [];
      for (let i = 0; i < (stepForm ? reps : 1); i++) {
        const t0 = performance.now();
        await model.run({ image: img }, o);
        ms.push(performance.now() - t0);
      }
      const tokens = warm.outputs.caption["caption.tokens"].dims[1];
      return { ms: median(ms), tokens };
    };
    const after = await time(true);
    const before = await time(false);
    const enc = await encoderShare(model, r.compiled.bytes, img);
    const perTok = (x: { ms: number; tokens: number }) => (x.ms / x.tokens).toFixed(1);
    console.log(
      `${name} batch ${batch}: ${after.tokens} tokens; before ${before.ms.toFixed(0)} ms (${perTok(before)} ms/token), ` +
        `after ${after.ms.toFixed(0)} ms (${perTok(after)} ms/token), ${(before.ms / after.ms).toFixed(1)}x; ` +
        `encoder ${enc.encoder.toFixed(0)} ms of ${enc.total.toFixed(0)} ms = ${((100 * enc.encoder) / enc.total).toFixed(0)}%`,
    );
  }
  await model.close();
}

/**
 * The share of a cached decode spent in the encoder graph: the same decode as `model.run`
 * (runtime/sequence.ts decodeTaskCached, sessions specialised at full width) with the encoder
 * session's runs timed inside it.
 */
async function encoderShare(
  model: Awaited<ReturnType<typeof load>>,
  bytes: Uint8Array,
  img: { data: Float32Array; dims: number[] },
) {
  const ort = await import("onnxruntime-node");
  const { StepSessionCache } = await import("../runtime/step-sessions");
  const { decodeModel } = await import("../compiler/onnx/decode");
  const { decodeTaskCached, withTokenPrefix } = await import("../runtime/sequence");
  const { checkInputs } = await import("../runtime/inputs");
  const full = Object.fromEntries(model.meta.groups.map((g) => [g.name, g.choices.length - 1]));
  const cache = new StepSessionCache(decodeModel(bytes), "<bench>", {});
  const s = await cache.get("caption", full)!;
  let inEncoder = 0;
  const encoder = {
    inputNames: s.encoder.inputNames,
    run: async (feeds: Record<string, InstanceType<typeof ort.Tensor>>, fetches: readonly string[]) => {
      const t0 = performance.now();
      const out = await s.encoder.run(feeds, fetches);
      inEncoder += performance.now() - t0;
      return out;
    },
  };
  const task = model.meta.tasks.find((t) => t.name === "caption")!;
  const checked = checkInputs(model.meta, withTokenPrefix(model.meta, { image: img }, [task]) as never);
  const make = (d: "float32" | "int64" | "bool", x: Float32Array | BigInt64Array | Uint8Array, dims: number[]) =>
    new ort.Tensor(d, x, dims);
  const once = () =>
    decodeTaskCached(
      { ...s, encoder },
      make,
      model.meta,
      { name: "caption", decode: task.decode as never },
      checked,
      {},
    );
  await once();
  inEncoder = 0;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await once();
  const total = performance.now() - t0;
  await cache.close();
  return { encoder: inEncoder / reps, total: total / reps };
}
