// Worker side of Run and Download: compile the editor's program to ONNX in the browser
// (prepareModel + emitModel), run the dynamic model with onnxruntime-web (wasm, served locally)
// at a configuration on a seeded synthetic input, and return each task's decoded outputs.
import * as ort from "onnxruntime-web/wasm";
import { emitModel, prepareModel, type Compiled, type Prepared } from "../../compiler/compile";
import type { SourceHost } from "../../compiler/host";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { ENTRY_FILE, type RunResult, type TaskOutput, type TensorOut } from "./protocol";
import { sampleImage } from "./sample";
import type { DecodeSpec } from "../../compiler/ir/types";
import { decodeSequence, type StepFn } from "../../runtime/decode/index";

/** Greedy steps per sequence task: enough to show tokens, few enough to stay quick in wasm. */
export const MAX_GREEDY_STEPS = 12;

interface Entry {
  text: string;
  prepared: Prepared;
  prepareMs: number;
  dynamic?: { compiled: Compiled; meta: MtlMetadata; ms: number };
  session?: Promise<ort.InferenceSession>;
  sessionMs?: number;
}
let cache: Entry | undefined;

function prepared(text: string, host: SourceHost): Entry {
  if (cache?.text === text) return cache;
  cache = undefined; // let the old model's weights and session go first
  const t0 = performance.now();
  const r = prepareModel(ENTRY_FILE, host, { seed: 0 });
  if (!r.ok) {
    const first = r.diagnostics.find((d) => d.severity === "error");
    throw new Error(first ? `${first.code}: ${first.message}` : (r.message ?? "the program does not compile"));
  }
  cache = { text, prepared: r.prepared, prepareMs: performance.now() - t0 };
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
export function emitBytes(text: string, host: SourceHost, config: Record<string, number> | null): { bytes: Uint8Array; name: string } {
  const e = prepared(text, host);
  const g = e.prepared.graph;
  if (!config) return { bytes: dynamic(e).compiled.bytes, name: `${g.name}.onnx` };
  const widths = g.groups.map((x) => `${x.choices[config[x.name] ?? x.choices.length - 1]}`);
  const uniform = new Set(widths).size === 1 ? widths[0] : widths.join("-");
  const compiled = emitModel(e.prepared, config, ENTRY_FILE);
  return { bytes: compiled.bytes, name: `${g.name}.w${uniform}.onnx` };
}

const isSequence = (kind: string): boolean => ["greedy", "beam", "diverse_beam", "sample"].includes(kind);

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
  const e = prepared(text, host);
  const cachedSession = e.session !== undefined;
  const { compiled, meta, ms: emitMs } = dynamic(e);
  if (!e.session) {
    progress(`loading ${(compiled.bytes.length / 1e6).toFixed(1)} MB into onnxruntime-web…`);
    ort.env.wasm.wasmPaths = ortBase;
    ort.env.wasm.numThreads = 1; // the page already runs Monaco and the compiler; keep wasm single-threaded
    const t0 = performance.now();
    e.session = ort.InferenceSession.create(compiled.bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    e.session.then(() => (e.sessionMs = performance.now() - t0)).catch(() => (e.session = undefined));
  }
  const session = await e.session;

  // Inputs: a seeded synthetic image for f32 [N, 3, H, W]; sequence inputs start from bos.
  const seqTask = meta.tasks.find((t) => isSequence((t.decode as { kind: string }).kind));
  const seqSpec = seqTask?.decode as { bos?: number; eos?: number; maxLen?: number } | undefined;
  const bos = seqSpec?.bos ?? 1;
  const feeds: Record<string, ort.Tensor> = {};
  const notes: string[] = [];
  let image: RunResult["image"];
  let tokenInput: string | undefined;
  for (const inp of meta.inputs) {
    const dims = inp.shape.map((d, i) => (typeof d === "number" ? d : i === 0 ? 1 : 32));
    if (inp.dtype === "f32") {
      const size = dims.reduce((a, b) => a * b, 1);
      if (dims.length === 4 && dims[1] === 3) {
        const s = sampleImage(dims[2], dims[3], 7, inp.preprocess);
        feeds[inp.name] = new ort.Tensor("float32", s.normalised, dims);
        image = { width: dims[3], height: dims[2], rgb: s.rgb, input: inp.name };
        notes.push(`${inp.name}: seeded synthetic ${dims[3]}×${dims[2]} image (${inp.preprocess ? "normalised as declared" : "in [0, 1]"})`);
      } else {
        const data = new Float32Array(size);
        let x = 7;
        for (let i = 0; i < size; i++) data[i] = ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
        feeds[inp.name] = new ort.Tensor("float32", data, dims);
        notes.push(`${inp.name}: seeded uniform noise ${dims.join("×")}`);
      }
    } else if (inp.dtype === "i64") {
      tokenInput = inp.name;
      feeds[inp.name] = new ort.Tensor("int64", BigInt64Array.from([BigInt(bos)]), [1, 1]);
      notes.push(`${inp.name}: token prefix [${bos}] (bos)`);
    } else {
      feeds[inp.name] = new ort.Tensor("bool", new Uint8Array(dims.reduce((a, b) => a * b, 1)), dims);
    }
  }
  for (const g of meta.groups) feeds[`width.${g.name}`] = new ort.Tensor("int64", BigInt64Array.from([BigInt(config[g.name] ?? g.choices.length - 1)]), []);
  const gate = (on: (t: string) => boolean) => {
    if (meta.gated) for (const t of meta.tasks) feeds[`run.${t.name}`] = new ort.Tensor("bool", Uint8Array.from([on(t.name) ? 1 : 0]), []);
  };
  gate(() => true);

  progress("running…");
  const t0 = performance.now();
  const res = await session.run(feeds, meta.tasks.flatMap((t) => t.outputs));
  const tasks: TaskOutput[] = meta.tasks.map((t) => ({
    task: t.name,
    decode: t.decode as TaskOutput["decode"],
    outputs: Object.fromEntries(t.outputs.map((o) => [o, toOut(res[o])])),
  }));
  // Sequence tasks: the declared strategy (greedy, beam, diverse beam, sampling) from the
  // runtime's decoders, one run per live prefix and step (other heads off), capped in length.
  for (const out of tasks) {
    const d = out.decode as DecodeSpec;
    if (!isSequence(d.kind) || !tokenInput) continue;
    const tokens = tokenInput;
    gate((name) => name === out.task);
    let steps = 0;
    const step: StepFn = async (prefixes) => {
      progress(`${out.task}: ${d.kind} step ${++steps}…`);
      const next: Float32Array[] = [];
      for (const prefix of prefixes) {
        feeds[tokens] = new ort.Tensor("int64", BigInt64Array.from(prefix.map(BigInt)), [1, prefix.length]);
        const logits = (await session.run(feeds, [`${out.task}.logits`]))[`${out.task}.logits`];
        const [, len, vocab] = logits.dims;
        next.push((logits.data as Float32Array).slice((len - 1) * vocab, len * vocab));
      }
      return next;
    };
    const capped = { ...d, maxLen: Math.min((d as { maxLen: number }).maxLen, MAX_GREEDY_STEPS) } as DecodeSpec;
    const [best] = await decodeSequence(capped, step, 1);
    out.tokens = best.tokens;
  }
  const runMs = performance.now() - t0;
  return {
    tasks,
    image,
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
