// onnxruntime refuses some files mtl's own checks let through (an edited graph: opset 999, an
// unknown operator, a dangling input). Its refusal is the user's problem to fix, not a bug in mtl:
// report it as a coded error naming the file.
import * as ort from "onnxruntime-node";
import { MtlError } from "../compiler/errors";
import { SessionOptionsError } from "./session-options";

/** onnxruntime cannot build a session from the model file (docs/errors.md). */
export class ModelLoadError extends MtlError {
  constructor(message: string) {
    super("MTL-MF-002", message, "the file was changed after `mtl compile` or is damaged; compile it again");
  }
}

/** onnxruntime's message without its source-location prefix, on one line and bounded in length. */
function reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text
    .replace(/^\[[^\]]*\]\s*/, "")
    .replace(/\/onnxruntime_src\/\S+:\d+ [^(]*\([^)]*\)\s*/g, "") // the C++ file, line and signature
    .replace(/\s+/g, " ")
    .slice(0, 400);
}

export async function createSession(
  bytes: Uint8Array,
  path: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    const ep = String(options.executionProviders?.[0] ?? "cpu");
    // A provider carried by the build may still fail to start (no GPU, no driver): say which one.
    if (ep !== "cpu")
      throw new SessionOptionsError(
        `onnxruntime cannot run ${path} on execution provider \`${ep}\`: ${reason(e)}`,
        "use the cpu provider (--ep cpu)",
      );
    throw new ModelLoadError(`onnxruntime cannot load ${path}: ${reason(e)}`);
  }
}
