// The channel block of onnxruntime's blocked conv kernels on this CPU (16 with AVX-512, 8 with
// AVX2, none on other CPUs or builds), which training graphs need to lay their weights out for
// those kernels (compiler/train/nchwc.ts). onnxruntime does not expose it, so it is found the way a
// user would trust it: a small training graph (two convs, BatchNorm, a loss and every gradient) is
// run with standard ops and with each candidate block, and the first block whose losses and
// gradients agree is used; 0 (standard ops only) when none does, on a non-CPU provider, or when
// MTL_NCHWC=0 turns it off.
import * as ort from "onnxruntime-node";
import { prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { trainingPrograms } from "./programs";
import { largestConfig } from "./sandwich";
import { seededFeeds } from "./seeded-feeds";
import { ortOptions, type SessionSettings } from "./sessions";

const PROBE = `
model NchwcProbe {
  input x: f32[N, 16, 6, 6]
  encoder e = x |> conv(32, k: 3) |> bn |> relu
  task t { head e |> conv(16, k: 3) |> bn |> relu |> gap |> flatten |> fixed linear(4) loss cross_entropy }
}`;

const CANDIDATES = [16, 8];
let found: Promise<number> | undefined;

/** The block to build training graphs with for these session settings (0: standard ops only). */
export function nchwcBlock(settings: SessionSettings): Promise<number> {
  if (settings.provider !== "cpu" || process.env.MTL_NCHWC === "0") return Promise.resolve(0);
  found ??= probe(settings);
  return found;
}

async function probe(settings: SessionSettings): Promise<number> {
  const r = prepareModel("probe.mtl", memoryHost({ "probe.mtl": PROBE }));
  if (!r.ok) throw new Error(`internal: the NCHWc probe model does not compile: ${r.message ?? ""}`);
  const { graph } = r.prepared;
  const run = async (block: number): Promise<ort.InferenceSession.ReturnType | null> => {
    const program = trainingPrograms(graph, graph.train, ["t"], block)(largestConfig(graph), "teacher");
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(program.bytes, { ...ortOptions(settings), intraOpNumThreads: 1 });
    } catch {
      return null; // this onnxruntime build has no blocked kernels
    }
    try {
      return await session.run(seededFeeds(session, 4, 1, 4)); // the probe's head has 4 classes
    } catch {
      return null;
    } finally {
      await session.release();
    }
  };
  const reference = await run(0);
  if (reference === null) return 0;
  for (const block of CANDIDATES) {
    const out = await run(block);
    if (out !== null && agrees(reference, out)) return block;
  }
  return 0;
}

function agrees(a: ort.InferenceSession.ReturnType, b: ort.InferenceSession.ReturnType): boolean {
  for (const name of Object.keys(a)) {
    const x = a[name].data as Float32Array;
    const y = b[name]?.data as Float32Array | undefined;
    if (!y || y.length !== x.length) return false;
    let scale = 0;
    for (const v of x) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.length; i++) if (!(Math.abs(x[i] - y[i]) <= 1e-4 * scale + 1e-6)) return false;
  }
  return true;
}
