// `mtl eval --precision int8`: a session per configuration built as the runtime builds its int8
// sessions (flat graph of the compiled file, quantised with the configuration's calibrated ranges,
// runtime/quantize/session.ts), but yielding the heads' raw outputs named by task, so the same
// metrics score it as score the fp32 eval-mode graph. Without `int8` the flat fp32 graph: the
// reference the int8 figures are read against (same file, same BatchNorm statistics).
import type * as ort from "onnxruntime-node";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { encodeModel } from "../../compiler/onnx/encode";
import { rawTaskOutputs } from "../../compiler/rewrite/raw-outputs";
import { createSession } from "../session-load";
import { flattenConfiguration } from "./flatten";
import { describeWidths, quantizeFlat, type Int8Context } from "./session";
import { rangesFor } from "./spec";

export async function rawFlatSession(
  bytes: Uint8Array,
  meta: MtlMetadata,
  widths: Readonly<Record<string, number>>,
  int8: Int8Context | undefined,
  path: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  if (int8) rangesFor(int8.spec, widths, (w) => describeWidths(int8.groups, w)); // fail before the work
  const run = Object.fromEntries(meta.tasks.map((t) => [t.name, true]));
  let flat = await flattenConfiguration(bytes, { widths, run }, path, options);
  if (int8) flat = quantizeFlat(flat, widths, int8);
  return createSession(
    encodeModel(
      rawTaskOutputs(
        flat,
        meta.tasks.map((t) => ({ name: t.name, decode: t.decode as { kind: string } })),
      ),
    ),
    path,
    options,
  );
}
