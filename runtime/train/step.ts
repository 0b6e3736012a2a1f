// One optimiser step under the sandwich rule: the largest configuration runs first on labels; its
// raw outputs and encoder features (plain arrays, so detached) are fed as teacher inputs to the
// smallest and the random configurations; every configuration's parameter gradients are
// scattered into full-size buffers and summed; each BatchNorm's active-width running statistics
// move towards its batch statistics (PyTorch momentum 0.1); then clipping and one update.
import * as ort from "onnxruntime-node";
import { MtlError } from "../../compiler/errors";
import { nodeMacs } from "../../compiler/cost";
import type { Config, Graph } from "../../compiler/ir/types";
import { cut, cutMaps, scatterAdd, updateRunning, type CutMap } from "../../compiler/train/cut";
import { clipGlobalNorm } from "./clip";
import type { Optimizer, Slot } from "./optim";
import type { BuildProgram, ProgramRole, TrainingProgram } from "./program";
import { configKey } from "./sandwich";
import type { TrainingSessions } from "./sessions";
import { batchOf, combineShares, shareSizes, splitFeeds } from "./shares";
import type { Outputs } from "./worker-pool";

export type Feeds = Readonly<Record<string, ort.Tensor>>;

export interface StepLosses {
  /** Total loss summed over the step's configurations. */
  readonly total: number;
  /** Per configuration (in run order), its `loss` and every `loss.*` output. */
  readonly perConfig: readonly Readonly<Record<string, number>>[];
}

export class NonFiniteLoss extends MtlError {
  constructor(
    readonly step: number,
    what: string,
  ) {
    super(
      "MTL-TRAIN-030",
      `the loss became ${what} at step ${step + 1}`,
      "lower the learning rate or enable clipping (clip in train { }); the last good checkpoint is kept",
    );
  }
}

/** One configuration to run, in one role. */
export interface Job {
  readonly config: Config;
  readonly role: ProgramRole;
}

/** State shared by every step: the full weights, their gradient buffers, caches. */
export class TrainState {
  readonly grads: Map<string, Float32Array>;
  private readonly maps = new Map<string, Map<string, CutMap>>();
  private readonly programs = new Map<string, TrainingProgram>();
  private readonly costs = new Map<string, number>();
  /**
   * Programs (about 90 kB each on MultiMNIST) and cut maps are kept as long as the sessions: a
   * program evicted before its session is built again (20-70 ms) only for its input names.
   */
  private readonly keep: number;

  constructor(
    readonly graph: Graph,
    readonly weights: Map<string, Float32Array>,
    readonly trainable: ReadonlySet<string>,
    readonly decay: ReadonlySet<string>,
    private readonly build: BuildProgram,
    readonly sessions: TrainingSessions,
  ) {
    this.keep = sessions.capacity;
    this.grads = new Map(
      [...weights].filter(([k]) => trainable.has(k)).map(([k, v]) => [k, new Float32Array(v.length)]),
    );
  }

  mapsFor(config: Config): Map<string, CutMap> {
    return recent(this.maps, configKey(this.graph, config), () => cutMaps(this.graph, config), this.keep);
  }

  program(config: Config, role: ProgramRole): TrainingProgram {
    return recent(this.programs, this.key(config, role), () => this.build(config, role), this.keep);
  }

  /** Names a configuration's program in every cache (programs, sessions, the workers' sessions). */
  private key(config: Config, role: ProgramRole): string {
    return `${role}:${configKey(this.graph, config)}`;
  }

  /** The feeds of one configuration's program: the data it takes and its parameters, cut. */
  private feeds(config: Config, role: ProgramRole, data: Feeds): Record<string, ort.Tensor> {
    const program = this.program(config, role);
    const maps = this.mapsFor(config);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of program.inputs) if (name in data) feeds[name] = data[name];
    for (const name of program.params) {
      const map = maps.get(name)!;
      feeds[name] = new ort.Tensor("float32", cut(this.weights.get(name)!, map), [...map.shape]);
    }
    return feeds;
  }

  /** Runs one configuration (on `threads` intra-op threads): parameters cut and fed; returns every output. */
  async run(config: Config, role: ProgramRole, data: Feeds, threads?: number): Promise<Outputs> {
    const feeds = this.feeds(config, role, data);
    const session = await this.sessions.get(this.key(config, role), () => this.program(config, role).bytes, threads);
    return session.run(feeds);
  }

  /** Runs one configuration on worker `worker` of the pool (one intra-op thread). */
  runOn(worker: number, config: Config, role: ProgramRole, data: Feeds): Promise<Outputs> {
    const pool = this.sessions.workers();
    if (!pool) throw new Error("internal: no worker pool to run on");
    const bytes = this.program(config, role).bytes;
    return pool.run(worker, this.key(config, role), bytes, this.feeds(config, role, data));
  }

  /**
   * Runs several configurations on the same feeds, side by side when the sessions have a worker
   * pool: the main thread and each worker take a share, balanced by MACs (longest first), every
   * program on one intra-op thread. Outputs come back in the order of `jobs`, so the results do
   * not depend on which thread ran what.
   */
  async runAll(jobs: readonly Job[], data: Feeds): Promise<Outputs[]> {
    const pool = this.sessions.workers();
    if (!pool || jobs.length < 2) {
      const out: Outputs[] = [];
      for (const j of jobs) out.push(await this.run(j.config, j.role, data));
      return out;
    }
    const share = balance(
      jobs.map((j) => this.macs(j.config)),
      pool.size + 1,
    );
    const results: Promise<Outputs>[] = new Array(jobs.length);
    share.forEach((thread, i) => {
      if (thread > 0) results[i] = this.runOn(thread - 1, jobs[i].config, jobs[i].role, data);
    });
    // the main thread's share runs while the workers run theirs
    for (let i = 0; i < jobs.length; i++)
      if (share[i] === 0) results[i] = this.run(jobs[i].config, jobs[i].role, data, 1);
    return Promise.all(results);
  }

  /**
   * Data parallelism: the batch split into one share per worker thread, every job run on every
   * share, and each job's shares combined into its whole-batch losses, gradients and BatchNorm
   * statistics (shares.ts). The (share, job) runs go to whichever worker is free, longest first
   * (with `taught`, a share's students once its teacher is done, fed its outputs on that share),
   * so a worker slowed by the machine costs no more than one run. Each run's result depends only on
   * its program and feeds, never on which worker ran it.
   */
  async runShares(jobs: readonly Job[], data: Feeds, taught: boolean): Promise<Outputs[]> {
    const pool = this.sessions.workers();
    if (!pool) throw new Error("internal: splitting the batch needs the worker pool");
    const sizes = shareSizes(batchOf(data), pool.size);
    const shares = splitFeeds(data, sizes);
    const results: Outputs[][] = sizes.map(() => new Array<Outputs>(jobs.length));
    const ready: { share: number; job: number }[] = [];
    const release = (share: number, from: number, to: number) => {
      for (let job = from; job < to; job++) ready.push({ share, job });
      ready.sort((a, b) => this.macs(jobs[b.job].config) - this.macs(jobs[a.job].config) || a.share - b.share);
    };
    sizes.forEach((_, share) => release(share, 0, taught ? 1 : jobs.length));
    let teachersRunning = taught ? sizes.length : 0;
    let wake: (() => void)[] = [];
    const serve = async (w: number): Promise<void> => {
      for (;;) {
        const next = ready.shift();
        if (!next) {
          if (teachersRunning === 0) return;
          await new Promise<void>((resolve) => wake.push(resolve));
          continue;
        }
        const { config, role } = jobs[next.job];
        const own = shares[next.share];
        const feeds = taught && next.job > 0 ? { ...own, ...teacherFeeds(results[next.share][0]) } : own;
        results[next.share][next.job] = await this.runOn(w, config, role, feeds);
        if (taught && next.job === 0) {
          teachersRunning--;
          release(next.share, 1, jobs.length);
          for (const resolve of wake) resolve();
          wake = [];
        }
      }
    };
    await Promise.all(sizes.map((_, w) => serve(w)));
    return jobs.map((j, i) =>
      combineShares(
        results.map((r) => r[i]),
        sizes,
        this.program(j.config, j.role).batchnorms,
      ),
    );
  }

  private macs(config: Config): number {
    return recent(
      this.costs,
      configKey(this.graph, config),
      () => this.graph.nodes.reduce((sum, n) => sum + nodeMacs(this.graph, n, config), 0),
      this.keep,
    );
  }

  /** Moves the active width's running statistics towards this run's batch statistics. */
  updateBatchnorm(config: Config, role: ProgramRole, out: Outputs): void {
    const maps = this.mapsFor(config);
    for (const bn of this.program(config, role).batchnorms) {
      updateRunning(this.weights.get(bn.runningMean)!, maps.get(bn.runningMean)!, out[bn.mean].data as Float32Array);
      updateRunning(this.weights.get(bn.runningVar)!, maps.get(bn.runningVar)!, out[bn.variance].data as Float32Array);
    }
  }
}

/**
 * Which of `threads` threads runs each job: longest first, each to the least loaded thread (ties to
 * the lowest, so the main thread, 0, takes the longest). Each job costs its MACs plus a fixed
 * per-run overhead (an eighth of the longest job's MACs, about what onnxruntime's per-node work
 * costs on MultiMNIST).
 */
export function balance(macs: readonly number[], threads: number): number[] {
  const overhead = Math.max(...macs) / 8;
  const load = new Array<number>(threads).fill(0);
  const out = new Array<number>(macs.length).fill(0);
  for (const i of macs.map((_, i) => i).sort((a, b) => macs[b] - macs[a] || a - b)) {
    const t = load.indexOf(Math.min(...load));
    out[i] = t;
    load[t] += macs[i] + overhead;
  }
  return out;
}

/** Least recently used first; at most `keep` entries. */
function recent<T>(cache: Map<string, T>, key: string, make: () => T, keep: number): T {
  let v = cache.get(key);
  if (v !== undefined)
    cache.delete(key); // re-insert: most recently used last
  else v = make();
  cache.set(key, v);
  if (cache.size > keep) cache.delete(cache.keys().next().value as string);
  return v;
}

/** The teacher's raw outputs and encoder features as the students' `teacher.*` inputs (detached: plain data). */
function teacherFeeds(out: Outputs): Feeds {
  const teacher: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(out)) {
    if (name.startsWith("output.")) teacher[`teacher.${name.slice(7)}`] = t;
    else if (name.startsWith("feature.")) teacher[`teacher.${name}`] = t;
  }
  return teacher;
}

const scalar = (t: ort.Tensor | undefined): number => (t ? Number((t.data as Float32Array)[0]) : NaN);

/**
 * Runs the step's configurations (largest first) on one batch, accumulates gradients, updates
 * BatchNorm rows, clips and takes one optimiser step at `lr`.
 */
export async function sandwichStep(
  state: TrainState,
  configs: readonly Config[],
  data: Feeds,
  optimizer: Optimizer,
  lr: number,
  step: number,
  clipNorm: number | null,
): Promise<StepLosses> {
  for (const g of state.grads.values()) g.fill(0);
  const jobs: Job[] = configs.map((config, i) => ({ config, role: i === 0 ? "teacher" : "student" }));
  // students that learn from the teacher's outputs wait for it; otherwise every configuration runs at once
  const taught =
    jobs.length > 1 && state.program(jobs[1].config, "student").inputs.some((n) => n.startsWith("teacher."));
  let outs: Outputs[];
  if (state.sessions.split === "batch") outs = await state.runShares(jobs, data, taught);
  else {
    outs = taught ? [await state.run(jobs[0].config, "teacher", data)] : await state.runAll(jobs, data);
    if (taught) outs.push(...(await state.runAll(jobs.slice(1), { ...data, ...teacherFeeds(outs[0]) })));
  }
  const perConfig: Record<string, number>[] = [];
  let total = 0;
  outs.forEach((out, i) => {
    const { config, role } = jobs[i];
    const losses: Record<string, number> = {};
    for (const name of Object.keys(out))
      if (name === "loss" || name.startsWith("loss.")) losses[name] = scalar(out[name]);
    const loss = losses.loss;
    if (!Number.isFinite(loss)) throw new NonFiniteLoss(step, Number.isNaN(loss) ? "NaN" : "infinite");
    total += loss;
    perConfig.push(losses);
    const maps = state.mapsFor(config);
    for (const name of state.program(config, role).params)
      scatterAdd(state.grads.get(name)!, maps.get(name)!, out[`grad.${name}`].data as Float32Array);
    state.updateBatchnorm(config, role, out);
  });
  const names = [...state.grads.keys()];
  if (clipNorm !== null)
    clipGlobalNorm(
      names.map((n) => state.grads.get(n)!),
      clipNorm,
    );
  const slots: Slot[] = names.map((name) => ({
    name,
    value: state.weights.get(name)!,
    grad: state.grads.get(name)!,
    decay: state.decay.has(name),
  }));
  optimizer.step(slots, lr);
  return { total, perConfig };
}
