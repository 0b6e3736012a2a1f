// How onnxruntime runs a model's sessions: intra-op threads, spin-waiting, execution provider.
// Checked once at load() so a typo is a clear error before any session is built, not a crash in one.
import * as ort from "onnxruntime-node";
import { MtlError } from "../compiler/errors";

/** Options of `load(file, {...})` that reach every session the model builds. */
export interface SessionSettings {
  /** Intra-op threads per session (default: onnxruntime's, one per physical core). */
  readonly threads?: number;
  /** Whether idle threads spin-wait for work (default true, onnxruntime's); off is kinder to a busy machine. */
  readonly spinning?: boolean;
  /** Execution provider (default "cpu"); it must be one this build of onnxruntime-node carries. */
  readonly executionProvider?: string;
}

/** Session options that cannot work here: a bad thread count, a provider not in this build (docs/errors.md). */
export class SessionOptionsError extends MtlError {
  constructor(message: string, hint: string) {
    super("MTL-RUN-002", message, hint);
  }
}

/** The providers this build of onnxruntime-node carries ("cpu" first). */
export function availableProviders(): string[] {
  const names = ort
    .listSupportedBackends()
    .filter((b) => b.bundled)
    .map((b) => b.name);
  return ["cpu", ...names.filter((n) => n !== "cpu")];
}

export function toOrtOptions(s: SessionSettings = {}): ort.InferenceSession.SessionOptions {
  // No memory pattern: onnxruntime records one on the first run of an input shape and allocates it
  // on the second, so the second run paid for fresh memory again (nyud width 1, one thread: 249
  // against 128 ms of CPU), and its one block raised the peak (batch 4: 875 against 748 MiB). The
  // arena reuses memory run to run either way: cached runs took the same time (bench/mem-pattern.ts).
  const options: ort.InferenceSession.SessionOptions = { logSeverityLevel: 4, enableMemPattern: false };
  const threads = s.threads;
  if (threads !== undefined) {
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > 1024)
      throw new SessionOptionsError(
        `threads must be a whole number from 1 to 1024, not ${threads}`,
        "e.g. threads: 1 (omit it for onnxruntime's default)",
      );
    Object.assign(options, { intraOpNumThreads: threads });
  }
  if (s.spinning !== undefined) {
    if (typeof s.spinning !== "boolean")
      throw new SessionOptionsError(
        `spinning must be true or false, not ${String(s.spinning)}`,
        "e.g. spinning: false",
      );
    // The node binding passes `extra` on as session config entries ("session.intra_op.allow_spinning").
    Object.assign(options, { extra: { session: { intra_op: { allow_spinning: s.spinning ? "1" : "0" } } } });
  }
  const ep = s.executionProvider ?? "cpu";
  const have = availableProviders();
  if (!have.includes(ep))
    throw new SessionOptionsError(
      `execution provider \`${ep}\` is not in this build of onnxruntime-node`,
      `use one of: ${have.join(", ")} (other providers need an onnxruntime-node build that carries them)`,
    );
  return { ...options, executionProviders: [ep] };
}
