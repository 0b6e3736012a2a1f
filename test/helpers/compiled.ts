// Compiles an in-memory .mtl program (with the real stdlib) to ONNX bytes, for runtime tests.
import { compileProgram } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { stdlibFiles } from "./check";

export function compileSource(source: string, staticWidths?: Record<string, number>): Uint8Array {
  const r = compileProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": source }), { staticWidths });
  if (!r.ok)
    throw new Error(
      `test model does not compile: ${r.diagnostics.map((d) => d.message).join("; ")} ${r.message ?? ""}`,
    );
  return r.compiled.bytes;
}

/** A small two-task model: a shared conv encoder, a segmentation head and a classifier. */
export const TWO_TASK = `
model Two {
  input image: f32[N, 3, 16, 16]
  widths 0.25, 0.5, 0.75, 1.0
  encoder e = image |> conv(32, k: 3, stride: 2) as c1 |> bn as b1 |> relu |> conv(64, k: 3) as c2 |> bn as b2 |> relu
  task seg { head e |> conv(32, k: 3) |> relu |> fixed conv(5, k: 1) |> upsample(scale: 2) decode argmax(axis: 1) }
  task cls { head e |> gap |> flatten |> linear(32) |> relu |> fixed linear(10) decode topk(k: 3) }
  budget macs <= 50%
  prefer seg: 2, cls: 1
}`;

export function seededImage(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}
