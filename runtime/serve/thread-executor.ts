// Local batches on worker threads (cli/serve-worker.ts): each worker loads the served models and
// runs one batch at a time, so onnxruntime's synchronous compute leaves the server's event loop
// free (health checks and new requests are answered while a batch runs), and `--parallel N`
// batches compute at once on N workers. A batch goes to an idle worker, preferably one that has
// run its configuration before (its session is built there). A worker that dies fails its batch
// and is replaced.
import { Worker } from "node:worker_threads";
import { MtlError } from "../../compiler/errors";
import type { InputTensor } from "../inputs";
import type { LoadOptions, OutputTensor } from "../model";
import type { Executor } from "./engine";
import { ServeError } from "./errors";
import type { Route } from "./params";

/** An error as it crosses from a worker: an MtlError's code and hint survive. */
export interface WorkerFailure {
  readonly code?: string;
  readonly message: string;
  readonly hint?: string;
  /** The worker's stack, so that a logged internal error points into the worker. */
  readonly stack?: string;
}

export interface ThreadExecutorOptions {
  /**
   * The worker script: the bundle of cli/serve-worker.ts, or in a development checkout
   * cli/tsx-worker.mjs with `entry` naming the TypeScript source it should import.
   */
  readonly script: URL;
  readonly entry?: string;
  /** The served models: the name each is served under, its file and how to load it (plain data, copied to every worker). */
  readonly models: readonly (readonly [name: string, file: string, options: LoadOptions])[];
  readonly workers: number;
  /** Where deaths and failed restarts are reported (the server's log). */
  readonly log?: (msg: string) => void;
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

const shuttingDown = () => new ServeError("unavailable", "the server is shutting down", "retry on another replica", 5);

/** One worker thread and its requests in flight. */
class ModelWorker {
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

  constructor(
    o: ThreadExecutorOptions,
    private readonly onDeath: (w: ModelWorker, why: string) => void,
  ) {
    this.worker = new Worker(o.script, {
      workerData: { models: o.models, entry: o.entry },
    });
    this.started = new Promise<void>((resolve, reject) => {
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
    await this.worker.terminate();
  }
}

function stopped(why: string): ServeError {
  return new ServeError(
    "worker",
    `a model worker thread stopped while running this batch (${why}); it has been replaced`,
    "retry the request; if it keeps failing, check the server's memory and its log",
  );
}

export class ThreadExecutor implements Executor {
  private readonly workers: ModelWorker[] = [];
  private closed = false;
  /** Configurations remembered per worker: as many as a session cache holds. */
  private readonly keep: number;

  private constructor(private readonly o: ThreadExecutorOptions) {
    this.keep = Math.max(8, ...o.models.map(([, , l]) => l.cacheSize ?? 8));
    for (let i = 0; i < o.workers; i++) this.workers.push(this.spawn());
  }

  /** Starts the workers and waits until every one has loaded the models (a load error rejects, naming the file). */
  static async start(o: ThreadExecutorOptions): Promise<ThreadExecutor> {
    if (!Number.isSafeInteger(o.workers) || o.workers < 1) throw new Error("internal: a thread executor needs workers");
    const ex = new ThreadExecutor(o);
    try {
      await Promise.all(ex.workers.map((w) => w.started));
    } catch (e) {
      await ex.close();
      throw e;
    }
    return ex;
  }

  private spawn(replacement = false): ModelWorker {
    const w = new ModelWorker(this.o, (dead, why) => {
      if (this.closed || !dead.loaded) return;
      this.o.log?.(`a model worker thread stopped (${why}); starting a replacement`);
      const i = this.workers.indexOf(dead);
      if (i >= 0) this.workers[i] = this.spawn(true);
    });
    // A replacement that cannot load stays dead: said once in the log; with none left, not ready.
    w.started.catch((e: Error) => {
      if (this.closed || !replacement) return;
      this.o.log?.(`a replacement model worker thread could not load the models: ${e.message}`);
    });
    return w;
  }

  healthy(): boolean {
    return this.workers.some((w) => !w.dead);
  }

  /** The idle worker that has run this configuration, else the least busy (ties: the first). */
  private pick(key: string): ModelWorker {
    const live = this.workers.filter((w) => !w.dead);
    if (!live.length)
      throw new ServeError(
        "worker",
        "no model worker thread is running: the replacements could not load the models",
        "restart the server; check that the model files are still there and readable",
      );
    // A replacement still loading takes batches only when no loaded worker is left.
    const loaded = live.filter((w) => w.loaded);
    const pool = loaded.length ? loaded : live;
    const least = Math.min(...pool.map((w) => w.busy));
    const free = pool.filter((w) => w.busy === least);
    return free.find((w) => w.seen.has(key)) ?? free[0];
  }

  async run(model: string, route: Route, inputs: Readonly<Record<string, InputTensor>>) {
    if (this.closed) throw shuttingDown();
    const key = `${model}|${JSON.stringify(route.config)}|${[...route.tasks].sort().join(",")}`;
    const w = this.pick(key);
    w.remember(key, this.keep);
    const r = await w.request({ kind: "run", model, config: route.config, tasks: route.tasks, inputs: plain(inputs) });
    return { outputs: r.outputs!, cached: r.cached! };
  }

  /** Every worker builds the configuration's session (a preload serves whichever worker a batch lands on). */
  async preload(model: string, route: Route, inputs: Readonly<Record<string, InputTensor>>) {
    const key = `${model}|${JSON.stringify(route.config)}|${[...route.tasks].sort().join(",")}`;
    const replies = await Promise.all(
      this.workers.map((w) => {
        w.remember(key, this.keep);
        return w.request({ kind: "run", model, config: route.config, tasks: route.tasks, inputs: plain(inputs) });
      }),
    );
    return { outputs: replies[0].outputs!, cached: replies.every((r) => r.cached) };
  }

  async warm(model: string): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ kind: "warm", model })));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

/** Inputs as plain data for postMessage (copied: the requests' buffers stay theirs). */
function plain(inputs: Readonly<Record<string, InputTensor>>): Record<string, InputTensor> {
  return Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { data: t.data, dims: [...t.dims] }]));
}
