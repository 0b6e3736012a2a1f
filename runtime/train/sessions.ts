// onnxruntime sessions for training graphs: intra-op threads (default: every core), the execution
// provider (cpu by default; cuda when this onnxruntime-node build ships it, else a clear error),
// and an LRU of one session per (configuration, role) so the sandwich rule's repeats cost nothing.
import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import { MtlError } from "../../compiler/errors";
import type { Graph } from "../../compiler/ir/types";
import { SessionCache } from "../session-cache";
import { WorkerPool } from "./worker-pool";

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

/**
 * How many sessions each thread keeps while training `graph` on `threads` threads: one per
 * configuration (the random students) plus the teacher's and a spare, so that after the first epochs
 * nothing is built again (a miss costs 50-100 ms: the training graph, the session, its first run; a
 * kept session about 3 MB). At least 96; at most 1,024 over all threads (cifar_mtl has 4^21).
 * MultiMNIST (343 configurations, 2 threads): 345 each, 2.5 against 2.0 steps/s in the second epoch
 * than with 96 (docs/training.md, Speed).
 */
export function sessionCapacity(graph: Graph, threads: number): number {
  const configurations = graph.groups.reduce((n, g) => n * g.choices.length, 1);
  return Math.max(96, Math.min(configurations + 2, Math.floor(1024 / Math.max(1, threads))));
}

/**
 * How a training step uses several threads (CPU): `batch` splits the batch between `threads` worker
 * threads, each running every configuration of the step on its share (data parallelism; BatchNorm
 * normalises each share by its own statistics); `configs` keeps the whole batch and runs the
 * largest configuration on every thread, then the others side by side on the main thread and
 * `threads - 1` workers (BatchNorm exactly as on one thread); `serial` runs everything on the main
 * thread.
 */
export type Split = "batch" | "configs" | "serial";

export function defaultSplit(settings: SessionSettings): Split {
  return settings.provider === "cpu" && settings.threads > 1 ? "batch" : "serial";
}

/** `--split` checked (absent: the default for these settings). */
export function splitOf(value: string | undefined, settings: SessionSettings): Split {
  if (value === undefined) return defaultSplit(settings);
  if (value !== "batch" && value !== "configs" && value !== "serial")
    throw new MtlError("MTL-TRAIN-023", `unknown --split '${value}'`, "use --split batch, configs or serial", 2);
  if (value !== "serial" && settings.provider !== "cpu")
    throw new MtlError(
      "MTL-TRAIN-023",
      `--split ${value} runs worker threads on the CPU, but the provider is ${settings.provider}`,
      "use --split serial with --provider cuda",
      2,
    );
  return value;
}

/**
 * Sessions by key, built on first use from the bytes `make` returns, on `threads` intra-op threads
 * (default: the settings'). A pool of worker threads (`workers`, one intra-op thread each) runs a
 * step's work as `split` says.
 */
export class TrainingSessions {
  private readonly cache: SessionCache;
  private pool: WorkerPool | undefined;
  constructor(
    private readonly settings: SessionSettings,
    readonly capacity = 96,
    readonly split: Split = defaultSplit(settings),
    private readonly poolSize = split === "batch" ? settings.threads : split === "configs" ? settings.threads - 1 : 0,
  ) {
    this.cache = new SessionCache(capacity);
  }
  get(key: string, make: () => Uint8Array, threads = this.settings.threads): Promise<ort.InferenceSession> {
    const options = ortOptions({ ...this.settings, threads });
    return this.cache.get(`${threads}:${key}`, () => ort.InferenceSession.create(make(), options));
  }
  /** The worker pool (started on first use), or undefined when this runs on one thread. */
  workers(): WorkerPool | undefined {
    if (this.poolSize < 1) return undefined;
    this.pool ??= new WorkerPool(this.poolSize, ortOptions({ ...this.settings, threads: 1 }), this.capacity);
    return this.pool;
  }
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
    await this.cache.clear();
  }
}
