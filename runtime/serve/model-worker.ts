// One worker thread of `mtl serve` (cli/serve-worker.ts) seen from the server's thread: its start
// (the models loaded, or the reason they could not be), its requests in flight, and its death,
// which fails those requests with MTL-SRV-008 (or, on close, as the server shutting down).
import { Worker } from "node:worker_threads";
import { MtlError } from "../../compiler/errors";
import type { OutputTensor } from "../model";
import { ServeError } from "./errors";
import type { ThreadExecutorOptions } from "./thread-executor";

/** An error as it crosses from a worker: an MtlError's code and hint survive. */
export interface WorkerFailure {
  readonly code?: string;
  readonly message: string;
  readonly hint?: string;
  /** The worker's stack, so that a logged internal error points into the worker. */
  readonly stack?: string;
}

type Reply = { id: number; outputs?: Record<string, OutputTensor>; cached?: boolean; error?: WorkerFailure };
interface Pending {
  readonly resolve: (r: Reply) => void;
  readonly reject: (e: Error) => void;
}

/** What the worker threw, as it would have been thrown here: an MtlError keeps its code and hint. */
function rebuild(f: WorkerFailure): Error {
  const e = f.code ? new MtlError(f.code, f.message, f.hint) : new Error(f.message);
  if (f.stack) e.stack = f.stack;
  return e;
}

export const shuttingDown = () =>
  new ServeError("unavailable", "the server is shutting down", "retry on another replica", 5);

/** One worker thread and its requests in flight. */
export class ModelWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  /** Configurations this worker has run (its sessions), most recent last; as many as its cache holds. */
  readonly seen = new Set<string>();
  readonly started: Promise<void>;
  /** Whether it loaded the models: only such a worker is replaced when it dies (no restart loop on a bad file). */
  loaded = false;
  dead = false;
  private closing = false;
  /** Settles `started` as the server shutting down when the worker is closed before it loaded. */
  private abortStart: (e: Error) => void = () => undefined;

  constructor(
    o: ThreadExecutorOptions,
    private readonly onDeath: (w: ModelWorker, why: string) => void,
  ) {
    this.worker = new Worker(o.script, {
      workerData: { models: o.models, entry: o.entry },
    });
    this.started = new Promise<void>((resolve, reject) => {
      this.abortStart = reject;
      const first = (m: { ready?: boolean; fatal?: WorkerFailure }) => {
        if (m.fatal) {
          this.dead = true;
          reject(rebuild(m.fatal));
        } else {
          this.loaded = true;
          resolve();
        }
      };
      this.worker.once("message", first);
      const failed = (why: string) =>
        reject(new ServeError("worker", `a model worker thread stopped while loading the models (${why})`));
      this.worker.once("error", (e) => failed(e.message));
      this.worker.once("exit", (code) => failed(`exit code ${code}`));
    });
    this.started.catch(() => undefined); // awaited by start(); a replacement's failure shows on its batches
    this.worker.on("message", (m: Reply & { ready?: boolean; fatal?: WorkerFailure }) => {
      if (m.ready || m.fatal) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    const die = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const p of this.pending.values()) p.reject(stopped(why));
      this.pending.clear();
      this.onDeath(this, why);
    };
    this.worker.on("error", (e) => die(e.message));
    this.worker.on("exit", (code) => die(`exit code ${code}`));
  }

  /** Requests given to this worker and not yet answered (counted from the call, not the post). */
  busy = 0;

  async request(message: object): Promise<Reply> {
    this.busy++;
    try {
      await this.started;
      if (this.closing) throw shuttingDown();
      if (this.dead) throw stopped("it had stopped");
      const id = this.next++;
      const reply = await new Promise<Reply>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        try {
          this.worker.postMessage({ id, ...message });
        } catch (e) {
          this.pending.delete(id);
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
      if (reply.error) throw rebuild(reply.error);
      return reply;
    } finally {
      this.busy--;
    }
  }

  remember(key: string, keep: number): void {
    this.seen.delete(key);
    this.seen.add(key);
    if (this.seen.size > keep) this.seen.delete(this.seen.values().next().value as string);
  }

  /** Stops the thread; batches it was running, or that wait for it to load, fail as the server shutting down. */
  async close(): Promise<void> {
    this.closing = true;
    this.dead = true;
    this.worker.removeAllListeners("exit");
    this.worker.removeAllListeners("error");
    this.worker.on("error", () => undefined);
    for (const p of this.pending.values()) p.reject(shuttingDown());
    this.pending.clear();
    this.abortStart(shuttingDown()); // no effect once it has loaded
    await this.worker.terminate();
  }
}

export function stopped(why: string): ServeError {
  return new ServeError(
    "worker",
    `a model worker thread stopped while running this batch (${why}); it has been replaced`,
    "retry the request; if it keeps failing, check the server's memory and its log",
  );
}
