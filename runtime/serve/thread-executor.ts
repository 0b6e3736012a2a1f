// Local batches on worker threads (cli/serve-worker.ts): each worker loads the served models and
// runs one batch at a time, so onnxruntime's synchronous compute leaves the server's event loop
// free (health checks and new requests are answered while a batch runs), and `--parallel N`
// batches compute at once on N workers. A batch goes to an idle worker, preferably one that has
// run its configuration before (its session is built there). A worker that dies fails its batch
// and is replaced (runtime/serve/model-worker.ts).
import type { InputTensor } from "../inputs";
import type { LoadOptions } from "../model";
import type { Executor } from "./engine";
import { ServeError } from "./errors";
import { ModelWorker, shuttingDown } from "./model-worker";
import type { Route } from "./params";

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
    return this.runOn(this.pick(routeKey(model, route)), model, route, inputs);
  }

  /** Every worker builds the configuration's session (a preload serves whichever worker a batch lands on). */
  async preload(model: string, route: Route, inputs: Readonly<Record<string, InputTensor>>) {
    const replies = await Promise.all(this.workers.map((w) => this.runOn(w, model, route, inputs)));
    return { outputs: replies[0].outputs, cached: replies.every((r) => r.cached) };
  }

  /** One batch on worker `w`, which then holds the configuration's session. Inputs are copied over. */
  private async runOn(w: ModelWorker, model: string, route: Route, inputs: Readonly<Record<string, InputTensor>>) {
    w.remember(routeKey(model, route), this.keep);
    const r = await w.request({ kind: "run", model, config: route.config, tasks: route.tasks, inputs });
    return { outputs: r.outputs!, cached: r.cached! };
  }

  async warm(model: string): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ kind: "warm", model })));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

/** Names a model's configuration and task set: the worker that ran it holds its session. */
const routeKey = (model: string, route: Route) =>
  `${model}|${JSON.stringify(route.config)}|${[...route.tasks].sort().join(",")}`;
