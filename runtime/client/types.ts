// What the KServe v2 clients send and return: tensors, mtl's per-request parameters, errors.
import { MtlError } from "../../compiler/errors";
import type { Datatype, TypedData } from "../serve/tensors";

export type { Datatype, TypedData };

export interface ClientTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  /** Numbers, or for BYTES (e.g. PNG/JPEG files) a list of byte strings. */
  readonly data: TypedData | readonly Uint8Array[];
}

export interface InferOptions {
  /** "40%", "2.5G", "params <= 5M", ... (default: the model's budget). */
  readonly budget?: string | number;
  /** Task weights, e.g. { semseg: 2, depth: 1 }. */
  readonly prefer?: Readonly<Record<string, number>>;
  readonly tasks?: readonly string[];
  readonly strategy?: "auto" | "paper" | "exact" | "evolutionary";
  /** What the search optimises: "sum" (default) or "chebyshev" (docs/search.md). */
  readonly objective?: "sum" | "chebyshev";
  /** An explicit configuration, e.g. "features=0.5,fish=1" (instead of a budget). */
  readonly config?: string;
  readonly outputs?: readonly string[];
  readonly id?: string;
  readonly timeoutMs?: number;
  /** Any other request parameters, passed through. */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
}

export interface OutputTensorResult {
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TypedData;
}

export interface InferResult {
  readonly outputs: Readonly<Record<string, OutputTensorResult>>;
  /** config, tasks, cost_macs, cost_params, budget_fraction, binding, binding_detail, strategy, cached, batch_size. */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
}

/** The server refused or failed a request: HTTP status (or gRPC code) and its message. */
export class KServeError extends MtlError {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super("MTL-SRV-011", message);
  }
}

export function requestParameters(o: InferOptions): Record<string, string | number | boolean> {
  const p: Record<string, string | number | boolean> = { ...(o.parameters ?? {}) };
  if (o.budget !== undefined) p.budget = o.budget;
  if (o.prefer)
    p.prefer = Object.entries(o.prefer)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
  if (o.tasks) p.tasks = o.tasks.join(",");
  if (o.strategy) p.strategy = o.strategy;
  if (o.objective) p.objective = o.objective;
  if (o.config) p.config = o.config;
  if (o.timeoutMs !== undefined) p.timeout_ms = o.timeoutMs;
  return p;
}
