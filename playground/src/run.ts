// Worker side of Run and Download: compile the editor's program to ONNX in the browser
// (prepareModel + emitModel), run the dynamic model with onnxruntime-web (wasm, served locally)
// at a configuration on a seeded synthetic input, and return each task's decoded outputs. Input
// checking, control feeds and sequence decoding are the runtime's own (browser-safe) code.
import * as ort from "onnxruntime-web/wasm";
import { emitModel, prepareModel, type Compiled, type Prepared } from "../../compiler/compile";
import type { SourceHost } from "../../compiler/host";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { ENTRY_FILE, MAX_DECODE_STEPS, type RunResult, type TaskOutput, type TensorOut } from "./protocol";
import { sampleImage } from "./sample";
import { trainedInputs } from "./trained-run";
import type { SafeTensor } from "../../compiler/weights/safetensors";
import type { DecodeSpec } from "../../compiler/ir/types";
import { isSequenceDecode, type SequenceDecodeSpec } from "../../compiler/elaborate/decoders";
import { seededRng } from "../../compiler/util/prng";
import { checkInputs, type InputTensor } from "../../runtime/inputs";
import { controlFeeds, decodeTask, tokenInput, withTokenPrefix } from "../../runtime/sequence";

interface Entry {
  text: string;
  trained: boolean; // compiled with shipped weights (trained-run.ts), not seeded ones
  prepared: Prepared;
  prepareMs: number;
  dynamic?: { compiled: Compiled; meta: MtlMetadata; ms: number };
  session?: Promise<ort.InferenceSession>;
  sessionMs?: number;
}
let cache: Entry | undefined;

function prepared(text: string, host: SourceHost, tensors?: ReadonlyMap<string, SafeTensor>): Entry {
  if (cache?.text === text && cache.trained === !!tensors) return cache;
  cache = undefined; // let the old model's weights and session go first
  const t0 = performance.now();
  const r = prepareModel(ENTRY_FILE, host, { seed: 0, tensors });
  if (!r.ok) {
    const first = r.diagnostics.find((d) => d.severity === "error");
    throw new Error(first ? `${first.code}: ${first.message}` : (r.message ?? "the program does not compile"));
  }
  cache = { text, trained: !!tensors, prepared: r.prepared, prepareMs: performance.now() - t0 };
  return cache;
}

function dynamic(e: Entry): NonNullable<Entry["dynamic"]> {
  if (!e.dynamic) {
    const t0 = performance.now();
    const compiled = emitModel(e.prepared, null, ENTRY_FILE);
    const meta = JSON.parse(compiled.onnx.metadata.mtl) as MtlMetadata;
    e.dynamic = { compiled, meta, ms: performance.now() - t0 };
  }
  return e.dynamic;
}

/** The `.onnx` bytes: dynamic (every configuration) or static at `config`. */
export function emitBytes(
  text: string,
  host: SourceHost,
  config: Record<string, number> | null,
): { bytes: Uint8Array; name: string } {
  const e = prepared(text, host);
  const g = e.prepared.graph;
  if (!config) return { bytes: dynamic(e).compiled.bytes, name: `${g.name}.onnx` };
  const widths = g.groups.map((x) => `${x.choices[config[x.name] ?? x.choices.length - 1]}`);
  const uniform = new Set(widths).size === 1 ? widths[0] : widths.join("-");
  const compiled = emitModel(e.prepared, config, ENTRY_FILE);
  return { bytes: compiled.bytes, name: `${g.name}.w${uniform}.onnx` };
}

function toOut(t: ort.Tensor): TensorOut {
  const data = t.data as TensorOut["data"];
  return { dtype: t.type, dims: [...t.dims], data: data.slice() as TensorOut["data"] };
}

export async function runModel(
  text: string,
  host: SourceHost,
  config: Record<string, number>,
  ortBase: string,
  progress: (text: string) => void,
): Promise<RunResult> {
  progress("compiling…");
  const trainedPromise = trainedInputs(text);
  if (trainedPromise) progress("loading the shipped weights and test digits…");
  const trained = trainedPromise ? await trainedPromise : undefined;
  const e = prepared(text, host, trained?.tensors);
  const cachedSession = e.session !== undefined;
  const { compiled, meta, ms: emitMs } = dynamic(e);
  if (!e.session) {
    progress(`loading ${(compiled.bytes.length / 1e6).toFixed(1)} MB into onnxruntime-web…`);
    ort.env.wasm.wasmPaths = ortBase;
    ort.env.wasm.numThreads = 1; // the page already runs Monaco and the compiler; keep wasm single-threaded
    const t0 = performance.now();
    e.session = ort.InferenceSession.create(compiled.bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
    e.session.then(() => (e.sessionMs = performance.now() - t0)).catch(() => (e.session = undefined));
  }
  const session = await e.session;

  // Inputs: a seeded synthetic image for f32 [N, 3, H, W], seeded noise for other floats; the
  // token input of sequence tasks starts from bos (the runtime's rule). Checked as `mtl run` does.
  const sequence = meta.tasks.filter((t) => isSequenceDecode(t.decode as DecodeSpec));
  const notes: string[] = [];
  let image: RunResult["image"];
  const synthetic: Record<string, InputTensor> = {};
  const tokens = tokenInput(meta);
  for (const inp of meta.inputs) {
    if (inp.name === tokens && sequence.length) continue;
    if (trained) {
      const norm = inp.preprocess ?? { mean: [0], std: [1] };
      const data = Float32Array.from(trained.grey, (v) => (v / 255 - norm.mean[0]) / norm.std[0]);
      synthetic[inp.name] = { data, dims: trained.dims };
      notes.push(`${inp.name}: the first ${trained.dims[0]} shipped MultiMNIST test pairs (normalised as declared)`);
      continue;
    }
    const dims = inp.shape.map((d, i) => (typeof d === "number" ? d : i === 0 ? 1 : 32));
    const size = dims.reduce((a, b) => a * b, 1);
    if (inp.dtype === "f32" && dims.length === 4 && dims[1] === 3) {
      const s = sampleImage(dims[2], dims[3], 7, inp.preprocess);
      synthetic[inp.name] = { data: s.normalised, dims };
      image = { width: dims[3], height: dims[2], rgb: s.rgb, input: inp.name };
      notes.push(
        `${inp.name}: seeded synthetic ${dims[3]}×${dims[2]} image (${inp.preprocess ? "normalised as declared" : "in [0, 1]"})`,
      );
    } else if (inp.dtype === "f32") {
      const rng = seededRng(7);
      synthetic[inp.name] = { data: Float32Array.from({ length: size }, () => rng.next() * 2 - 1), dims };
      notes.push(`${inp.name}: seeded uniform noise ${dims.join("×")}`);
    } else if (inp.dtype === "i64") {
      synthetic[inp.name] = { data: new BigInt64Array(size), dims };
      notes.push(`${inp.name}: zeros ${dims.join("×")}`);
    } else synthetic[inp.name] = { data: new Uint8Array(size), dims };
  }
  const given = withTokenPrefix(meta, synthetic, sequence) as Record<string, InputTensor>;
  if (tokens && sequence.length)
    notes.push(`${tokens}: token prefix [${(sequence[0].decode as { bos: number }).bos}] (bos)`);
  const checked = checkInputs(meta, given);
  const makeTensor = (
    dtype: "float32" | "int64" | "bool",
    data: Float32Array | BigInt64Array | Uint8Array,
    dims: number[],
  ) => new ort.Tensor(dtype, data, dims);
  const feeds: Record<string, ort.Tensor> = controlFeeds(
    meta,
    config,
    meta.tasks.map((t) => t.name),
    makeTensor,
  );
  for (const c of checked) feeds[c.name] = makeTensor(c.dtype, c.data, [...c.dims]);

  progress("running…");
  const t0 = performance.now();
  const plain = meta.tasks.filter((t) => !sequence.includes(t));
  const res = plain.length
    ? await session.run(
        feeds,
        plain.flatMap((t) => t.outputs),
      )
    : {};
  const tasks: TaskOutput[] = meta.tasks.map((t) => ({
    task: t.name,
    decode: t.decode as TaskOutput["decode"],
    outputs: Object.fromEntries(t.outputs.filter((o) => o in res).map((o) => [o, toOut(res[o])])),
  }));
  // Sequence tasks: the runtime's decoding (the declared strategy), with only that task's head on
  // and the length capped so that wasm stays quick.
  for (const out of tasks) {
    const t = sequence.find((x) => x.name === out.task);
    if (!t) continue;
    const d = t.decode as SequenceDecodeSpec;
    const capped = { ...d, maxLen: Math.min(d.maxLen, MAX_DECODE_STEPS) };
    const run = { session, makeTensor, onStep: (n: number) => progress(`${out.task}: ${d.kind} step ${n}…`) };
    const controls = controlFeeds(meta, config, [t.name], makeTensor);
    const [best] = await decodeTask(run, meta, { name: t.name, decode: capped, outputs: t.outputs }, checked, controls);
    out.tokens = best.tokens;
  }
  const runMs = performance.now() - t0;
  return {
    tasks,
    image,
    digits: trained && { grey: trained.grey, dims: trained.dims, labels: trained.labels },
    inputsNote: notes,
    timings: {
      prepareMs: e.prepareMs,
      emitMs,
      sessionMs: e.sessionMs ?? 0,
      runMs,
      bytes: compiled.bytes.length,
      cached: cachedSession,
    },
  };
}
