// onnxruntime sessions for training graphs: intra-op threads (default: every core), the execution
// provider (cpu by default; cuda when this onnxruntime-node build ships it, else a clear error),
// and an LRU of one session per (configuration, role) so the sandwich rule's repeats cost nothing.
import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import { MtlError } from "../../compiler/errors";
import { SessionCache } from "../session-cache";

export type ExecutionProvider = "cpu" | "cuda";

export interface SessionSettings {
  readonly threads: number;
  readonly provider: ExecutionProvider;
}

export function sessionSettings(threads?: number, provider: string = "cpu"): SessionSettings {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new MtlError("MTL-TRAIN-020", `--threads must be a positive whole number, got ${threads}`, undefined, 2);
  }
  if (provider !== "cpu" && provider !== "cuda") {
    throw new MtlError(
      "MTL-TRAIN-021",
      `unknown execution provider '${provider}'`,
      "use --provider cpu or --provider cuda",
      2,
    );
  }
  if (provider === "cuda") {
    const cuda = ort.listSupportedBackends().find((b) => b.name === "cuda");
    if (!cuda || !cuda.bundled) {
      throw new MtlError(
        "MTL-TRAIN-022",
        "this onnxruntime-node build has no CUDA execution provider",
        "install onnxruntime-node with CUDA (ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm install onnxruntime-node) or use --provider cpu",
      );
    }
  }
  return { threads: threads ?? availableParallelism(), provider };
}

export function ortOptions(s: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: s.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    executionProviders: [s.provider],
    logSeverityLevel: 3, // errors only: shape-merge notes on scalar losses are noise here
    // One session per configuration is cached (64 on MultiMNIST); with onnxruntime's arena each kept
    // its batch's activations after a step (8.6 GB RSS measured), so buffers are freed after each run.
    enableCpuMemArena: false,
    enableMemPattern: false,
    // Worker threads that spin between the backward pass's many small ops burn CPU the other
    // threads (and the machine) could use; measured by the grad work (docs/training.md, Speed).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
}

/** Sessions by key, built on first use from the bytes `make` returns. */
export class TrainingSessions {
  private readonly cache: SessionCache;
  constructor(
    private readonly settings: SessionSettings,
    capacity = 96, // MultiMNIST-sized models have 64 configurations; a session holds ~10 MB between steps
  ) {
    this.cache = new SessionCache(capacity);
  }
  get(key: string, make: () => Uint8Array): Promise<ort.InferenceSession> {
    return this.cache.get(key, () => ort.InferenceSession.create(make(), ortOptions(this.settings)));
  }
  close(): Promise<void> {
    return this.cache.clear();
  }
}
