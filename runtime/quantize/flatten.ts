// One configuration of a compiled model as a flat fp32 graph: widths and task switches made
// constants (runtime/specialise.ts), then onnxruntime's basic optimisations (constant folding of
// the weight slices, `If` branches inlined, BatchNorm folded into Conv) saved back as a model.
// The result has concrete cut weights as initializers and no control flow, which is what the
// QDQ rewrite (compiler/quantize/qdq.ts) needs. Calibration and the runtime's int8 sessions both
// start from it, so the tensor names that calibration records are the ones the rewrite finds
// (for the same onnxruntime version, which the quantisation metadata records).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { decodeModel } from "../../compiler/onnx/decode";
import type { OnnxModel } from "../../compiler/onnx/model";
import { type Fixed, specialiseBytes } from "../specialise";
import { createSession } from "../session-load";

export async function flattenConfiguration(
  bytes: Uint8Array,
  fixed: Fixed,
  path: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<OnnxModel> {
  const dir = await mkdtemp(join(tmpdir(), "mtl-flat-"));
  try {
    const file = join(dir, "flat.onnx");
    const session = await createSession(specialiseBytes(bytes, fixed), path, {
      ...options,
      graphOptimizationLevel: "basic",
      optimizedModelFilePath: file,
    });
    await session.release();
    const b = await readFile(file);
    return decodeModel(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
