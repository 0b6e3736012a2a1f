// The protocol-independent core of `mtl serve`: a request (already decoded from REST or gRPC)
// is checked, routed to a configuration (parameters -> plan, memoised), queued with others of
// the same configuration and task set, run as one batch, and split back into per-request replies
// that carry the configuration chosen, its cost and the binding constraint.
import type { Config } from "../../compiler/ir/types";
import { isSequenceSpec } from "../decode/index";
import { zeroInputs, type InputTensor } from "../inputs";
import type { MtlModel, OutputTensor } from "../model";
import { Batcher, type BatchItem } from "./batcher";
import { badRequest, ServeError } from "./errors";
import { toModelInputs } from "./inputs";
import type { ServeMetrics } from "./metrics";
import { Router, type Route, type Scalar } from "./params";
import { configCost, configText } from "./cost";
import { DATATYPE_OF, type Datatype, type TypedData, type WireTensor } from "./tensors";

export interface InferCall {
  readonly model: string;
  readonly version?: string;
  readonly id?: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly inputs: readonly WireTensor[];
  /** Output names wanted (default: every output of the running tasks). */
  readonly outputs?: readonly string[];
}

export interface ReplyTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TypedData;
}

export interface InferReply {
  readonly model: string;
  readonly version: string;
  readonly id?: string;
  readonly parameters: Record<string, Scalar>;
  readonly outputs: ReplyTensor[];
}

/** Runs one batch of one configuration: locally (onnxruntime) or on a backend (router mode). */
export interface Executor {
  run(
    model: string,
    route: Route,
    inputs: Readonly<Record<string, InputTensor>>,
  ): Promise<{ outputs: Record<string, OutputTensor>; cached: boolean; backendModel?: string }>;
  /** Gets the model ready to answer any configuration at once (local: its warm dynamic graph). */
  warm?(model: string): Promise<void>;
  /** False when it can run no batch at all (its worker threads died and could not be restarted). */
  healthy?(): boolean;
  /** Builds a configuration's session before traffic (default: one run); worker threads build it on each. */
  preload?(model: string, route: Route, inputs: Readonly<Record<string, InputTensor>>): Promise<{ cached: boolean }>;
}

export interface EngineOptions {
  readonly maxBatch: number;
  readonly batchWaitMs: number;
  readonly maxQueue: number;
  readonly timeoutMs: number;
  readonly maxElements: number;
  readonly parallel: number;
}

interface Job {
  readonly model: string;
  readonly route: Route;
  readonly inputs: Record<string, InputTensor>;
}
interface JobResult {
  readonly outputs: Record<string, OutputTensor>;
  readonly cached: boolean;
  readonly batchRows: number;
  readonly backendModel?: string;
}

const LABELS_MAX = 64;

export const localExecutor = (models: ReadonlyMap<string, MtlModel>): Executor => ({
  async run(name, route, inputs) {
    const r = await models.get(name)!.run(inputs, { config: route.config, tasks: route.tasks });
    return {
      outputs: Object.assign({}, ...Object.values(r.outputs)) as Record<string, OutputTensor>,
      cached: r.cached,
    };
  },
  async warm(name) {
    await models.get(name)!.warmDynamic();
  },
});

function concat(parts: readonly InputTensor[]): InputTensor {
  const total = parts.reduce((s, p) => s + p.data.length, 0);
  const first = parts[0].data;
  const out = new (first.constructor as new (n: number) => Float32Array)(total);
  let at = 0;
  for (const p of parts) {
    out.set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return { data: out, dims: [parts.reduce((s, p) => s + p.dims[0], 0), ...parts[0].dims.slice(1)] };
}

function sliceRows(t: OutputTensor, from: number, rows: number): OutputTensor {
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    dtype: t.dtype,
    dims: [rows, ...t.dims.slice(1)],
    data: t.data.slice(from * per, (from + rows) * per) as OutputTensor["data"],
  };
}

export class Engine {
  private readonly routers = new Map<string, Router>();
  /** Latency is labelled by configuration for the first LABELS_MAX seen, then "other" (bounded cardinality). */
  private readonly configLabels = new Set<string>();
  private readonly batcher: Batcher<Job, JobResult>;
  draining = false;
  private started = false;

  constructor(
    readonly models: ReadonlyMap<string, MtlModel>,
    private readonly executor: Executor,
    readonly opts: EngineOptions,
    readonly metrics: ServeMetrics,
  ) {
    for (const [name, m] of models) this.routers.set(name, new Router(m));
    this.batcher = new Batcher<Job, JobResult>(
      { maxBatch: opts.maxBatch, waitMs: opts.batchWaitMs, maxQueue: opts.maxQueue, parallel: opts.parallel },
      (_k, items) => this.runBatch(items),
    );
  }

  /** Ready: started, not draining, and the executor can run batches (health probes report this). */
  get ready(): boolean {
    return this.started && (this.executor.healthy?.() ?? true);
  }
  set ready(value: boolean) {
    this.started = value;
  }

  model(name: string, version?: string): MtlModel {
    const m = this.models.get(name);
    if (!m)
      throw new ServeError(
        "not-found",
        `no model named \`${name}\``,
        `this server serves ${[...this.models.keys()].join(", ")}`,
      );
    if (version && version !== "1")
      throw new ServeError("not-found", `model \`${name}\` has no version ${version}`, "its only version is 1");
    return m;
  }

  private batchable(m: MtlModel, tasks: readonly string[]): boolean {
    const axis = m.meta.inputs.map((i) => i.shape[0]);
    if (typeof axis[0] !== "string" || axis.some((a) => a !== axis[0])) return false;
    return !m.meta.tasks.some((t) => tasks.includes(t.name) && isSequenceSpec(t.decode as never));
  }

  async infer(call: InferCall): Promise<InferReply> {
    if (this.draining)
      throw new ServeError("unavailable", "the server is shutting down", "retry on another replica", 5);
    const m = this.model(call.model, call.version);
    const given = toModelInputs(m, call.inputs);
    const route = this.routers.get(call.model)!.route(call.parameters, given.controls);
    const names = m.meta.tasks.filter((t) => route.tasks.includes(t.name)).flatMap((t) => t.outputs);
    for (const o of call.outputs ?? [])
      if (!names.includes(o))
        throw badRequest(`outputs: \`${o}\` is not an output of the running tasks`, `outputs: ${names.join(", ")}`);
    const timeoutMs = this.timeout(call.parameters);
    const t0 = performance.now();
    const shapes = JSON.stringify(Object.values(given.inputs).map((t) => t.dims.slice(1)));
    const key = `${call.model}|${JSON.stringify(route.config)}|${[...route.tasks].sort().join(",")}|${shapes}`;
    const job = this.batcher.submit(
      key,
      { model: call.model, route, inputs: given.inputs },
      given.rows,
      t0 + timeoutMs,
      this.batchable(m, route.tasks),
    );
    this.metrics.queueDepth.set(this.batcher.depth);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ServeError(
              "timeout",
              `the request took longer than ${timeoutMs} ms`,
              "retry, or raise parameters.timeout_ms / --timeout-ms",
            ),
          ),
        timeoutMs,
      );
    });
    const result = await Promise.race([job, expired]).finally(() => clearTimeout(timer));
    this.metrics.latency.observe(
      { model: call.model, config: this.configLabel(m, route) },
      (performance.now() - t0) / 1000,
    );
    const want = call.outputs?.length ? call.outputs : names;
    return {
      model: call.model,
      version: "1",
      ...(call.id ? { id: call.id } : {}),
      parameters: this.replyParameters(m, route, result),
      outputs: want.map((n) => {
        const t = result.outputs[n];
        return { name: n, datatype: DATATYPE_OF[t.dtype] ?? "FP32", shape: t.dims, data: t.data as TypedData };
      }),
    };
  }

  private configLabel(m: MtlModel, route: Route): string {
    const text = configText(m, route.config);
    if (this.configLabels.has(text)) return text;
    if (this.configLabels.size >= LABELS_MAX) return "other";
    this.configLabels.add(text);
    return text;
  }

  private timeout(params: Readonly<Record<string, unknown>>): number {
    const t = params.timeout_ms;
    if (t === undefined) return this.opts.timeoutMs;
    if (typeof t !== "number" || !(t > 0))
      throw badRequest("parameters.timeout_ms must be a positive number of milliseconds");
    return Math.min(t, this.opts.timeoutMs);
  }

  private replyParameters(m: MtlModel, route: Route, r: JobResult): Record<string, Scalar> {
    const p = route.plan;
    // A plan knows its cost; a named configuration is costed from the table.
    const cost = p ? { macs: p.cost.macs, params: p.cost.params } : configCost(m, route.config, route.tasks);
    let fraction: number;
    if (p) fraction = Number.isFinite(p.budget.limit) ? p.cost.total / p.budget.limit : p.cost.total / p.budget.full;
    else fraction = cost.macs / (cost as { fullMacs: number }).fullMacs;
    return {
      config: configText(m, route.config),
      tasks: route.tasks.join(","),
      cost_macs: cost.macs,
      cost_params: cost.params,
      budget_fraction: fraction,
      binding: p ? p.binding.kind : "explicit",
      binding_detail: p ? p.binding.detail : "the request named its configuration",
      strategy: p ? p.strategy : "none",
      cached: r.cached,
      batch_size: r.batchRows,
      ...(r.backendModel ? { backend_model: r.backendModel } : {}),
    };
  }

  private async runBatch(items: readonly BatchItem<Job, JobResult>[]): Promise<void> {
    const { model, route } = items[0].input;
    const rows = items.reduce((s, it) => s + it.rows, 0);
    this.metrics.inFlight.inc();
    this.metrics.queueDepth.set(this.batcher.depth);
    try {
      const inputs =
        items.length === 1
          ? items[0].input.inputs
          : Object.fromEntries(
              Object.keys(items[0].input.inputs).map((k) => [k, concat(items.map((it) => it.input.inputs[k]))]),
            );
      const r = await this.executor.run(model, route, inputs);
      this.metrics.batchSize.observe({ model }, rows);
      (r.cached ? this.metrics.cacheHits : this.metrics.sessionBuilds).inc({ model });
      if (items.length === 1)
        return items[0].resolve({
          outputs: r.outputs,
          cached: r.cached,
          batchRows: rows,
          backendModel: r.backendModel,
        });
      if (Object.values(r.outputs).some((t) => t.dims[0] !== rows)) {
        // An output without a batch axis cannot be split: run the requests one by one.
        for (const it of items) await this.runBatch([it]);
        return;
      }
      let at = 0;
      for (const it of items) {
        const outputs = Object.fromEntries(Object.entries(r.outputs).map(([n, t]) => [n, sliceRows(t, at, it.rows)]));
        at += it.rows;
        it.resolve({ outputs, cached: r.cached, batchRows: rows, backendModel: r.backendModel });
      }
    } finally {
      this.metrics.inFlight.dec();
    }
  }

  /**
   * Builds the specialised sessions of these configurations (all tasks) before traffic arrives, then
   * warms the dynamic graph, which answers other configurations while their sessions build.
   */
  async preload(name: string, configs: readonly Config[]): Promise<void> {
    const m = this.model(name);
    const inputs = zeroInputs(m.meta);
    for (const config of configs) {
      const route = { config, tasks: m.tasks, plan: null };
      const r = await (this.executor.preload
        ? this.executor.preload(name, route, inputs)
        : this.executor.run(name, route, inputs));
      if (!r.cached) this.metrics.sessionBuilds.inc({ model: name });
    }
    // Last: with the dynamic graph warm, the runs above would be answered by it instead of building.
    await this.executor.warm?.(name);
  }

  /** Stops taking requests and waits for queued and running ones to finish. */
  async drain(): Promise<void> {
    this.draining = true;
    this.ready = false;
    await this.batcher.idle();
  }
}
