// The runtime's front door: load a compiled file, plan a configuration for the user's
// constraints, run it. The dynamic graph serves any configuration at once; configurations in use
// are specialised (widths folded to constants) into cached sessions for static-model speed.
import { existsSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { checkRegularFile } from "./file-guard";
import { createSession } from "./session-load";
import type { CostTable } from "../compiler/cost/types";
import { MtlError } from "../compiler/errors";
import type { Config } from "../compiler/ir/types";
import type { MtlMetadata } from "../compiler/lower/metadata";
import type { OnnxGraph, OnnxValueInfo } from "../compiler/onnx/model";
import { didYouMean } from "../compiler/messages";
import { type Artifact, ArtifactError, readArtifact } from "./artifact";
import { checkInputs, zeroInputs, type InputTensor } from "./inputs";
import {
  explain,
  isSearchError,
  latencyPrecision,
  plan as search,
  type Plan,
  type ConstraintsInput,
} from "./search/index";
import type { PlanOptions } from "./search/index";
import { PlanError } from "./plan-error";
import { type Preload, preloadConfigs, type PreloadResult } from "./preload";

export type { Preload, PreloadResult };

export { PlanError };
import { isSequenceSpec } from "./decode/index";
import { controlFeeds, decodeTask, decodeTaskCached, withTokenPrefix } from "./sequence";
import { StepSessionCache } from "./step-sessions";
import { type Lease, SessionCache } from "./session-cache";
import { describeStatic } from "./static-model";
import { type Fixed, specialiseBytes } from "./specialise";
import { decodeGraphOutputs } from "../compiler/onnx/decode-outputs";
import { isControlInput } from "../compiler/io-names";
import { type SessionSettings, toOrtOptions } from "./session-options";
import { decodeMetadata } from "../compiler/onnx/decode-metadata";
import { createFlatSession, type Int8Context } from "./quantize/session";
import { ExternalFile } from "./external-file";
import { parseQuantSpec, QUANT_KEY, QuantizeError } from "./quantize/spec";
import { denseArgmaxSites } from "../compiler/rewrite/dense-argmax";

/** onnxruntime failed inside the graph; the message names the .mtl source of the failing node. */
export class RunError extends MtlError {
  constructor(message: string, hint?: string) {
    super("MTL-RUN-001", message, hint);
  }
}

const STATIC_HINT = "compile the model without --config/--budget to choose widths at run time";

/** Options of `load()`: the session cache's size and how onnxruntime runs (runtime/session-options.ts). */
export interface LoadOptions extends SessionSettings {
  /** Specialised sessions kept (least recently used go first; default 8, raised to hold what `preload` builds). */
  readonly cacheSize?: number;
  /**
   * "int8": every configuration runs as a statically quantised int8 session built from the file's
   * calibration (`mtl compile --quantize int8`, docs/quantization.md); default "fp32".
   */
  readonly precision?: Precision;
  /**
   * "low-resolution": a dense head that resizes its logits and then takes the argmax takes the
   * argmax first and resizes the class map (nearest): much cheaper, not exact at class boundaries
   * (docs/quantization.md, "Dense heads"). Default "exact".
   */
  readonly denseArgmax?: "exact" | "low-resolution";
  /**
   * Specialised sessions (every task) to build in the background after load, one after another:
   * the Pareto configurations (runtime/serve/pareto.ts), every configuration, or these (choice index per group).
   */
  readonly preload?: Preload;
}

export type Precision = "fp32" | "int8";

/** Node name -> "file:line:col" from the doc_strings the compiler writes, subgraphs included. */
function sourceMap(graph: OnnxGraph, into = new Map<string, string>()): Map<string, string> {
  for (const n of graph.nodes) {
    if (n.docString) into.set(n.name, n.docString);
    for (const a of n.attributes) if (a.kind === "graph") sourceMap(a.value, into);
  }
  return into;
}

/** Rewrites an onnxruntime failure so that it points at the user's code (the innermost known node). */
function explainFailure(e: unknown, sources: () => Map<string, string>): never {
  const text = e instanceof Error ? e.message : String(e);
  const names = [...text.matchAll(/Name:'([^']+)'/g)].map((m) => m[1]);
  const node = names.reverse().find((n) => sources().has(n));
  const where = node ? sources().get(node) : undefined;
  const at = text.lastIndexOf("Status Message: ");
  const what = at >= 0 ? text.slice(at + "Status Message: ".length).trim() : text;
  throw new RunError(
    where ? `${where}: layer \`${node}\` failed at run time: ${what}` : `onnxruntime failed: ${what}`,
    where ? "check the input sizes this layer receives (symbolic dimensions are only known at run time)" : undefined,
  );
}

export interface OutputTensor {
  readonly dtype: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Uint8Array | Int32Array;
}

export interface RunResult {
  /** Per running task, its decoded outputs by name (`semseg`, or `cls.values` / `cls.indices`). */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, OutputTensor>>>>;
  readonly config: Config;
  readonly tasks: readonly string[];
  readonly ms: number;
  readonly cached: boolean;
  /** The session that answered: the configuration's specialised one, or the dynamic graph. */
  readonly via: "specialised" | "dynamic";
}

export interface RunOptions {
  /** A plan from `model.plan(...)`, or a configuration (choice index per group; missing groups: full width). */
  readonly plan?: Plan;
  readonly config?: Readonly<Record<string, number>>;
  /** Tasks to run (default: the plan's, else all). */
  readonly tasks?: readonly string[];
  /**
   * "auto" (default): the configuration's specialised session once it is built; until then, if the
   * dynamic graph is already built (by a preload, `warmDynamic()` or a "dynamic" run), it answers
   * while the specialised session builds in the background (a first use costs about a dynamic run,
   * not a session build). "specialised": wait for
   * the specialised session. "dynamic": the one graph for all configurations.
   */
  readonly mode?: RunMode;
  /**
   * Sequence tasks: decode with the step form and key/value caches when the file holds one
   * (default true); false recomputes every prefix with the full graph (the older path, kept for
   * cross-checks and benchmarks).
   */
  readonly stepForm?: boolean;
}

export type RunMode = "auto" | "specialised" | "dynamic";

export class MtlModel {
  readonly meta: MtlMetadata;
  readonly costs: CostTable;
  private readonly cache: SessionCache;
  private dynamic?: Promise<ort.InferenceSession>;
  /** The dynamic session is built (not just being built): it can stand in for a specialised one. */
  private dynamicReady = false;
  private warming?: Promise<boolean>;
  private sources?: Map<string, string>;
  private steps?: StepSessionCache;
  private outputs?: readonly OnnxValueInfo[];
  /** The file it was loaded from, for messages. */
  private path = "<bytes>";
  /** Set when loaded with precision "int8": the calibration every session is quantised with. */
  private int8?: Int8Context;
  private lowResolutionArgmax = false;
  /** The file it was read from, whose whole weights onnxruntime reads itself (null: loaded from bytes). */
  private external: ExternalFile | null = null;
  /** Settles when the background preload has finished (at once without one); see `load(file, {preload})`. */
  preloaded: Promise<PreloadResult> = Promise.resolve({ built: 0, failed: 0, dynamic: false });
  private closing = false;

  private constructor(
    private readonly artifact: Artifact,
    private readonly bytes: Uint8Array,
    cacheSize: number,
    /** Every session's options; onnxruntime's log is off, as failures are reported as RunError values. */
    private readonly sessionOptions: ort.InferenceSession.SessionOptions,
  ) {
    this.meta = artifact.meta;
    this.costs = artifact.costs;
    this.cache = new SessionCache(cacheSize);
  }

  static async load(source: string | Uint8Array, opts: LoadOptions = {}): Promise<MtlModel> {
    const sessionOptions = toOrtOptions(opts); // bad options fail before the file is read
    if (opts.precision !== undefined && opts.precision !== "fp32" && opts.precision !== "int8")
      throw new QuantizeError("MTL-QNT-004", `precision must be "fp32" or "int8", not ${String(opts.precision)}`);
    if (opts.denseArgmax !== undefined && opts.denseArgmax !== "exact" && opts.denseArgmax !== "low-resolution")
      throw new QuantizeError(
        "MTL-QNT-004",
        `denseArgmax must be "exact" or "low-resolution", not ${String(opts.denseArgmax)}`,
      );
    const path = typeof source === "string" ? source : "<bytes>";
    let bytes: Uint8Array;
    let external: ExternalFile | null = null;
    if (typeof source === "string") {
      if (existsSync(source)) checkRegularFile(source, "model file"); // a missing file is MTL-ART-001 below
      try {
        ({ bytes, external } = await ExternalFile.read(source));
      } catch {
        throw new ArtifactError(
          `cannot read ${source}`,
          "check the path; compile a model with `mtl compile FILE.mtl -o OUT.onnx`",
        );
      }
    } else bytes = source;
    try {
      const model = new MtlModel(readArtifact(bytes, path), bytes, opts.cacheSize ?? 8, sessionOptions);
      model.path = path;
      model.external = external;
      model.lowResolutionArgmax = opts.denseArgmax === "low-resolution";
      if (model.lowResolutionArgmax && denseArgmaxSites(model.artifact.model.graph) === 0)
        throw new QuantizeError(
          "MTL-QNT-005",
          `${path} has no dense argmax head (a Resize of class scores followed by an ArgMax over them): ` +
            "the low-resolution dense argmax would change nothing",
          "drop --dense-argmax: it only speeds up heads that resize class scores to the input's size",
        );
      if (opts.precision === "int8") {
        if (model.artifact.staticConfig)
          throw new QuantizeError("MTL-QNT-001", `${path} is a static model; int8 runs dynamic models`, STATIC_HINT);
        const spec = parseQuantSpec(decodeMetadata(bytes)[QUANT_KEY], path);
        model.int8 = { spec, groups: model.meta.groups, path };
      }
      if (opts.preload !== undefined) void model.preload(opts.preload);
      return model;
    } catch (e) {
      external?.close();
      throw e;
    }
  }

  /**
   * Starts building these configurations' specialised sessions (every task) in the background and
   * returns `preloaded`; the cache grows to hold them. Bad configurations throw at once (PlanError).
   */
  preload(which: Preload): Promise<PreloadResult> {
    // A static model has one configuration, run straight from its file: nothing to build ahead.
    const configs = this.artifact.staticConfig
      ? []
      : preloadConfigs(this.meta, this.costs, which, this.artifact.profile);
    this.cache.reserve(configs.length);
    const previous = this.preloaded;
    this.preloaded = previous.then(() => this.preloadInBackground(configs));
    return this.preloaded;
  }

  /**
   * Builds these configurations' specialised sessions one at a time, each after the event loop has
   * turned (onnxruntime builds on this thread, so runs in between are answered between builds). A
   * failed build is counted, not thrown: the cache drops it and a run of that configuration retries.
   */
  private async preloadInBackground(configs: readonly Config[]): Promise<PreloadResult> {
    const result = { built: 0, failed: 0, dynamic: await this.warmDynamic() };
    for (const config of configs) {
      await new Promise((go) => setImmediate(go));
      if (this.closing) break;
      const lease = this.session(config, this.tasks, "specialised");
      try {
        await lease.session;
        result.built++;
      } catch {
        result.failed++;
      } finally {
        lease.release();
      }
    }
    return result;
  }

  /**
   * Builds the dynamic graph and runs it once at the largest configuration on zero inputs, so that
   * "auto" runs of configurations not yet built are answered by it at once, and the first of them
   * finds onnxruntime's memory already grown to the largest sizes. A run at sizes not seen before
   * pays for fresh memory (page faults): on nyud at width 1, 21k faults and 430 ms of CPU against
   * 650 and 150 ms. False where "auto" never answers from the dynamic graph (int8, low-resolution
   * argmax, static models) or when the run fails.
   */
  warmDynamic(): Promise<boolean> {
    if (this.int8 || this.lowResolutionArgmax || this.artifact.staticConfig) return Promise.resolve(false);
    this.warming ??= (async () => {
      const full = Object.fromEntries(this.meta.groups.map((g) => [g.name, g.choices.length - 1]));
      // Sequence tasks would decode a whole sequence; their step sessions are built on their first run.
      const tasks = this.meta.tasks.filter((t) => !isSequenceSpec(t.decode as never)).map((t) => t.name);
      const inputs = zeroInputs(this.meta);
      if (tasks.length > 0) await this.run(inputs, { config: full, tasks, mode: "dynamic" });
      else await this.session(full, [], "dynamic").session;
      return true;
    })().catch(() => {
      this.warming = undefined; // tried again by the next preload
      return false;
    });
    return this.warming;
  }

  /** The measured utility profile stored in the file by `mtl eval --write`, else null. */
  get profile(): Artifact["profile"] {
    return this.artifact.profile;
  }

  /** The one configuration (width per group) of a static model, else null. */
  get staticConfig(): Readonly<Record<string, number>> | null {
    return this.artifact.staticConfig;
  }

  /** "int8" when loaded with that precision, else "fp32". */
  get precision(): Precision {
    return this.int8 ? "int8" : "fp32";
  }

  get tasks(): string[] {
    return this.meta.tasks.map((t) => t.name);
  }

  /** The graph's outputs (name, dtype, shape with symbolic dimensions), e.g. for server metadata. */
  outputInfo(): readonly OnnxValueInfo[] {
    // Read from the graph's output fields: decoding the whole model would hold a copy of every weight.
    return (this.outputs ??= decodeGraphOutputs(this.bytes));
  }

  /** Resolves constraints to a configuration; defaults come from the model's `budget` / `prefer`. */
  plan(constraints: ConstraintsInput = {}, options: PlanOptions = {}): Plan {
    const withDefaults: ConstraintsInput = {
      // A static model's `budget` was spent choosing its one configuration: it is no default here.
      budget:
        constraints.budget !== undefined
          ? constraints.budget
          : this.artifact.staticConfig
            ? null
            : (this.meta.budgets[0] ?? null),
      prefer: constraints.prefer ?? (Object.keys(this.meta.prefer).length ? this.meta.prefer : undefined),
      tasks: constraints.tasks,
    };
    // The measured profile stored by `mtl eval --write` is the default; `profile: null` asks for the proxy.
    const profile =
      options.profile === undefined ? (this.artifact.profile ?? undefined) : (options.profile ?? undefined);
    // Timings of the other precision would plan on wrong latencies without a word.
    const timed = options.latency ? latencyPrecision(options.latency) : this.precision;
    if (timed !== this.precision)
      throw new PlanError(
        "bad-latency",
        `the latency table was measured on ${timed} sessions, and this model runs ${this.precision}`,
        `measure one at this precision: \`mtl profile MODEL.onnx --precision ${this.precision} -o latency.json\`` +
          (this.precision === "int8"
            ? " (int8 timings need every configuration calibrated: --calibrate-configs all)"
            : ""),
      );
    const p = search(this.costs, withDefaults, { ...options, profile });
    if (isSearchError(p) && p.code === "infeasible" && this.artifact.staticConfig) {
      // One configuration to offer: say so, rather than "below the cheapest configuration".
      const only = describeStatic(this.artifact.staticConfig);
      throw new PlanError(
        "infeasible",
        `${p.message}: this is a static model, it runs only ${only}`,
        STATIC_HINT,
        p.minimum,
      );
    }
    if (isSearchError(p)) throw PlanError.from(p);
    return p;
  }

  explain(p: Plan): string {
    return explain(p);
  }

  private resolve(o: RunOptions): { config: Config; tasks: string[] } {
    const tasks = [...(o.tasks ?? o.plan?.tasks ?? this.tasks)];
    for (const t of tasks)
      if (!this.tasks.includes(t))
        throw new PlanError(
          "unknown-task",
          `model ${this.meta.name} has no task \`${t}\``,
          didYouMean(t, this.tasks) ?? `its tasks are ${this.tasks.join(", ")}`,
        );
    if (!tasks.length) throw new PlanError("no-tasks", "no task to run", `choose from ${this.tasks.join(", ")}`);
    const config: Record<string, number> = {};
    for (const g of this.meta.groups) {
      const i = o.plan?.config[g.name] ?? o.config?.[g.name] ?? g.choices.length - 1;
      if (!Number.isInteger(i) || i < 0 || i >= g.choices.length)
        throw new PlanError(
          "bad-config",
          `width choice ${i} is out of range for group \`${g.name}\``,
          `use 0 to ${g.choices.length - 1}`,
        );
      config[g.name] = i;
    }
    const extra = Object.keys(o.config ?? {}).filter((k) => !this.meta.groups.some((g) => g.name === k));
    // A static model's one configuration is choice 0 of every group of its (cut down) cost table.
    const own = (k: string) =>
      this.artifact.staticConfig !== null && o.config?.[k] === 0 && this.costs.groups.some((g) => g.name === k);
    if (extra.some((k) => !own(k)) && this.artifact.staticConfig)
      throw new PlanError(
        "bad-config",
        `model ${this.meta.name} is static: it runs only ${describeStatic(this.artifact.staticConfig)}`,
        STATIC_HINT,
      );
    for (const k of extra)
      if (!own(k))
        throw new PlanError(
          "bad-config",
          `model ${this.meta.name} has no width group \`${k}\``,
          didYouMean(
            k,
            this.meta.groups.map((g) => g.name),
          ),
        );
    return { config, tasks };
  }

  /** Whether the specialised session for this configuration is already built. */
  isCached(config: Config, tasks: readonly string[]): boolean {
    return this.cache.has(cacheKey(config, tasks));
  }

  /**
   * Which session answers a run in `mode`. "auto" with the dynamic graph built and the specialised
   * session not: the dynamic graph, and a specialised build queued (in the cache at once, so runs of
   * the same configuration meanwhile queue no second one) that starts when `start()` is called.
   */
  private route(
    config: Config,
    tasks: readonly string[],
    mode: RunMode,
  ): { via: "specialised" | "dynamic"; start?: () => void } {
    // int8 answers only from quantised sessions: the dynamic graph is fp32.
    if (this.int8 && mode === "dynamic")
      throw new QuantizeError(
        "MTL-QNT-004",
        "int8 models run specialised sessions only",
        'use mode "auto" or "specialised"',
      );
    // The dynamic graph's argmax is exact: with the low-resolution one, "auto" waits for it too.
    if (mode !== "auto" || this.int8 || this.lowResolutionArgmax)
      return { via: mode === "auto" ? "specialised" : mode };
    if (!this.dynamicReady || this.cache.ready(cacheKey(config, tasks))) return { via: "specialised" };
    if (this.cache.has(cacheKey(config, tasks))) return { via: "dynamic" }; // already building
    let open = () => undefined as void;
    const gate = new Promise<void>((go) => (open = go));
    // Pinned while it builds; a failed build is dropped by the cache and tried again on the next run.
    const lease = this.session(config, tasks, "specialised", gate);
    lease.session.then(lease.release, lease.release);
    return { via: "dynamic", start: () => setImmediate(open) };
  }

  /** The session to run on, pinned until `release()` so the cache cannot dispose it mid-run. */
  private session(
    config: Config,
    tasks: readonly string[],
    mode: "specialised" | "dynamic",
    after?: Promise<void>,
  ): Lease<ort.InferenceSession> {
    if (mode === "dynamic") {
      // A failed load is not kept: the next run tries again, and close() does not rethrow it.
      this.dynamic ??= createSession(this.bytes, this.path, this.sessionOptions).then(
        (s) => {
          this.dynamicReady = true;
          return s;
        },
        (e: unknown) => {
          this.dynamic = undefined;
          throw e;
        },
      );
      return { session: this.dynamic, release: () => undefined };
    }
    const run = Object.fromEntries(this.tasks.map((t) => [t, tasks.includes(t)]));
    const flat = { int8: this.int8, lowResolutionArgmax: this.lowResolutionArgmax, path: this.path };
    const build =
      flat.int8 || flat.lowResolutionArgmax
        ? () => createFlatSession(this.bytes, { widths: config, run }, flat, this.sessionOptions)
        : () => this.createSpecialised({ widths: config, run });
    // onnxruntime builds a session on this thread: a background build waits until the run the dynamic
    // graph answers has returned, so that answer is not held up by it.
    const create = after ? () => after.then(build) : build;
    return this.cache.acquire(cacheKey(config, tasks), create);
  }

  /**
   * A configuration's session from the file's IR when it has one (only this configuration's weights),
   * else by patching its bytes. Whole tensors of the file are read by onnxruntime from the file
   * (runtime/external-file.ts) rather than encoded again; should that fail, they are encoded.
   */
  private async createSpecialised(fixed: Fixed): Promise<ort.InferenceSession> {
    const ir = this.artifact.ir;
    if (!ir) return createSession(specialiseBytes(this.bytes, fixed), this.path, this.sessionOptions);
    const refs = this.external?.references();
    if (refs && this.external) {
      const options = withSessionConfig(this.sessionOptions, this.external.sessionConfig());
      const made = await createSession(ir.bytesFor(fixed, refs), this.path, options).catch(() => null);
      if (made) return made;
    }
    return createSession(ir.bytesFor(fixed), this.path, this.sessionOptions);
  }

  async run(inputs: Readonly<Record<string, InputTensor>>, o: RunOptions = {}): Promise<RunResult> {
    const { config, tasks } = this.resolve(o);
    const routed = this.route(config, tasks, o.mode ?? "auto");
    try {
      return await this.runVia(routed.via, inputs, o, config, tasks);
    } finally {
      routed.start?.();
    }
  }

  private async runVia(
    mode: "specialised" | "dynamic",
    inputs: Readonly<Record<string, InputTensor>>,
    o: RunOptions,
    config: Config,
    tasks: string[],
  ): Promise<RunResult> {
    const wanted = this.meta.tasks.filter((t) => tasks.includes(t.name));
    const sequence = wanted.filter((t) => isSequenceSpec(t.decode as never));
    const given = withTokenPrefix(this.meta, inputs, sequence) as Readonly<Record<string, InputTensor>>;
    const checked = checkInputs(this.meta, given);
    const feeds: Record<string, ort.Tensor> = {};
    for (const c of checked) feeds[c.name] = makeTensor(c.dtype, c.data, c.dims as number[]);
    if (mode === "dynamic") Object.assign(feeds, controlFeeds(this.meta, config, tasks, makeTensor));
    const cached = mode === "specialised" && this.isCached(config, tasks);
    const lease = this.session(config, tasks, mode);
    try {
      return await this.runOn(await lease.session, {
        inputs,
        o,
        config,
        tasks,
        mode,
        wanted,
        sequence,
        checked,
        feeds,
        cached,
      });
    } finally {
      lease.release();
    }
  }

  private async runOn(session: ort.InferenceSession, r: RunState): Promise<RunResult> {
    const { inputs, o, config, tasks, mode, wanted, sequence, checked, feeds, cached } = r;
    const fetches = wanted.filter((t) => !sequence.includes(t)).flatMap((t) => t.outputs);
    const t0 = performance.now();
    const sources = () => (this.sources ??= sourceMap(this.artifact.model.graph));
    const res = fetches.length
      ? await session.run(feeds, fetches).catch(async (e: unknown) => {
          // A specialised session's nodes are renamed by onnxruntime's fusions: rerun the dynamic
          // graph, whose node names map back to the source, to say where it fails.
          if (mode === "specialised" && !this.int8) await this.run(inputs, { ...o, mode: "dynamic" });
          return explainFailure(e, sources);
        })
      : {};
    const outputs: Record<string, Record<string, OutputTensor>> = {};
    const controls = Object.fromEntries(Object.entries(feeds).filter(([k]) => isControlInput(k)));
    for (const t of sequence) {
      this.steps ??= new StepSessionCache(this.artifact.model, this.path, this.sessionOptions);
      // Specialised like the main graph unless the run asked for the dynamic graph.
      const widths = Object.fromEntries(this.meta.groups.map((g) => [g.name, config[g.name] ?? g.choices.length - 1]));
      const stepSessions =
        o.stepForm === false ? null : this.steps.get(t.name, mode === "dynamic" ? undefined : widths);
      const results = stepSessions
        ? await decodeTaskCached(
            await stepSessions,
            makeTensor,
            this.meta,
            { name: t.name, decode: t.decode as never },
            checked,
            controlFeeds(this.meta, config, tasks, makeTensor),
          )
        : await decodeTask(
            { session, makeTensor },
            this.meta,
            { name: t.name, decode: t.decode as never, outputs: t.outputs },
            checked,
            controls,
          );
      const width = Math.max(1, ...results.map((r) => r.tokens.length));
      const eos = (t.decode as { eos: number }).eos;
      const ids = new BigInt64Array(results.length * width).fill(BigInt(eos));
      results.forEach((r, i) => r.tokens.forEach((tok, j) => (ids[i * width + j] = BigInt(tok))));
      outputs[t.name] = {
        [`${t.name}.tokens`]: { dtype: "int64", dims: [results.length, width], data: ids },
        [`${t.name}.scores`]: {
          dtype: "float32",
          dims: [results.length],
          data: Float32Array.from(results, (r) => r.score),
        },
      };
    }
    const ms = performance.now() - t0;
    for (const t of wanted) {
      if (sequence.includes(t)) continue;
      outputs[t.name] = {};
      for (const name of t.outputs) {
        const v = res[name];
        outputs[t.name][name] = { dtype: v.type, dims: [...v.dims], data: v.data as OutputTensor["data"] };
      }
    }
    return { outputs, config, tasks, ms, cached, via: mode };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.preloaded;
    await this.warming; // a warm-up run in flight holds the dynamic session
    await this.cache.clear();
    await this.steps?.close();
    if (this.dynamic) await (await this.dynamic).release();
    this.external?.close();
  }
}

/** The options with these entries added to `extra.session` (onnxruntime's session config). */
function withSessionConfig(
  o: ort.InferenceSession.SessionOptions,
  entries: Record<string, string>,
): ort.InferenceSession.SessionOptions {
  const extra = (o.extra ?? {}) as { session?: Record<string, unknown> };
  return { ...o, extra: { ...extra, session: { ...extra.session, ...entries } } };
}

const makeTensor = (
  d: "float32" | "int64" | "bool",
  x: Float32Array | BigInt64Array | Uint8Array,
  dims: number[],
): ort.Tensor => new ort.Tensor(d, x, dims);

/** What `run` has worked out before it holds a session. */
interface RunState {
  readonly inputs: Readonly<Record<string, InputTensor>>;
  readonly o: RunOptions;
  readonly config: Config;
  readonly tasks: string[];
  readonly mode: "specialised" | "dynamic";
  readonly wanted: MtlMetadata["tasks"];
  readonly sequence: MtlMetadata["tasks"];
  readonly checked: ReturnType<typeof checkInputs>;
  readonly feeds: Record<string, ort.Tensor>;
  readonly cached: boolean;
}

const cacheKey = (config: Config, tasks: readonly string[]): string =>
  `${Object.entries(config)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([g, i]) => `${g}=${i}`)
    .join(",")}|${[...tasks].sort().join(",")}`;

/** Loads a compiled model: `const model = await load("nyud.onnx")`. */
export const load = (source: string | Uint8Array, opts?: LoadOptions): Promise<MtlModel> => MtlModel.load(source, opts);
