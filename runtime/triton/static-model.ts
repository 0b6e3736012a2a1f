// One configuration as a static ONNX model, from the all-configurations file alone: the width
// inputs become constants (runtime/specialise.ts), then onnxruntime's basic graph optimisations
// (standard ONNX ops only) fold the weight slices, pick the branches and fold batch norms, and
// the optimised graph is written out. This is the very graph `mtl serve` runs for the
// configuration, so a Triton model answers exactly as the server does.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { Config } from "../../compiler/ir/types";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import type { OnnxModel } from "../../compiler/onnx/model";
import type { Artifact } from "../artifact";
import { specialiseOnnx } from "../specialise";

export async function staticModel(a: Artifact, config: Config): Promise<OnnxModel> {
  const run = Object.fromEntries(a.meta.tasks.map((t) => [t.name, true]));
  const fixed = encodeModel(specialiseOnnx(a.model, { widths: config, run }));
  const dir = mkdtempSync(join(tmpdir(), "mtl-static-"));
  try {
    const file = join(dir, "model.onnx");
    const session = await ort.InferenceSession.create(fixed, {
      graphOptimizationLevel: "basic",
      optimizedModelFilePath: file,
      logSeverityLevel: 4,
    });
    await session.release();
    const m = decodeModel(new Uint8Array(readFileSync(file)));
    const widths = Object.fromEntries(a.meta.groups.map((g) => [g.name, g.choices[config[g.name]]]));
    return {
      ...m,
      producerName: a.model.producerName,
      producerVersion: a.model.producerVersion,
      metadata: { ...a.model.metadata, "mtl.config": JSON.stringify(widths) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
