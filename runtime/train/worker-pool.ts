// Worker threads that run training graphs beside the main thread (runtime/train/session-worker.mjs).
// onnxruntime-node runs a session synchronously on the thread that calls it, and a configuration's
// backward pass (hundreds of small ops) scales poorly over intra-op threads, so a sandwich step
// trains its configurations side by side instead, one thread each. Each worker keeps its own
// session per program key; results come back in the order asked, so sums stay in a fixed order.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { MtlError } from "../../compiler/errors";

type Wire = [name: string, type: ort.Tensor.Type, dims: readonly number[], data: ort.Tensor.DataType];
export type Outputs = Record<string, ort.Tensor>;

interface Pending {
  readonly resolve: (out: Outputs) => void;
  readonly reject: (e: Error) => void;
}

/** The worker script, found from this module in the sources and from the bundles in dist/. */
function workerScript(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "session-worker.mjs"), join(dir, "runtime", "train", "session-worker.mjs")])
      if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error("internal: runtime/train/session-worker.mjs not found");
  }
}

class SessionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private failure: Error | undefined;

  constructor(options: ort.InferenceSession.SessionOptions, capacity: number) {
    this.worker = new Worker(workerScript(), { workerData: { options, capacity } });
    this.worker.unref(); // an idle pool never keeps the process alive
    this.worker.on("message", (m: { id: number; outputs?: Wire[]; error?: string }) => {
      const p = this.pending.get(m.id)!;
      this.settle(m.id);
      if (m.error !== undefined) p.reject(new MtlError("MTL-TRAIN-031", `a training worker failed: ${m.error}`));
      else p.resolve(Object.fromEntries(m.outputs!.map(([n, t, d, x]) => [n, new ort.Tensor(t, x as never, d)])));
    });
    const fail = (e: Error) => {
      this.failure = new MtlError("MTL-TRAIN-031", `a training worker stopped: ${e.message}`);
      for (const [id, p] of [...this.pending]) {
        this.settle(id);
        p.reject(this.failure);
      }
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
  }

  /** Runs the key's session, made from `bytes` if the worker has none (bytes may be left out after the first run). */
  run(key: string, bytes: Uint8Array | undefined, feeds: Record<string, ort.Tensor>): Promise<Outputs> {
    const wire: Wire[] = Object.entries(feeds).map(([n, t]) => [n, t.type, t.dims, t.data]);
    return this.post({ key, bytes, feeds: wire });
  }

  /** Releases the key's session now, not when the cache would evict it (a one-off graph holding its weights). */
  async release(key: string): Promise<void> {
    await this.post({ key, release: true });
  }

  private post(message: object): Promise<Outputs> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise<Outputs>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // awaited results keep the process alive
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }
}

/** `size` workers, each running one program at a time on one intra-op thread. */
export class WorkerPool {
  private readonly workers: SessionWorker[];

  constructor(size: number, options: ort.InferenceSession.SessionOptions, capacity: number) {
    this.workers = Array.from({ length: size }, () => new SessionWorker(options, capacity));
  }

  get size(): number {
    return this.workers.length;
  }

  run(worker: number, key: string, bytes: Uint8Array | undefined, feeds: Record<string, ort.Tensor>): Promise<Outputs> {
    return this.workers[worker].run(key, bytes, feeds);
  }

  release(worker: number, key: string): Promise<void> {
    return this.workers[worker].release(key);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
