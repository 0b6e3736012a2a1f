// `mtl serve` as a library: loads models, starts KServe v2 over REST and gRPC on one engine,
// optionally preloads the Pareto configurations before reporting ready, and drains on close.
import type * as grpc from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import type { Config } from "../../compiler/ir/types";
import type { MtlModel } from "../model";
import { Engine, localExecutor, type EngineOptions, type Executor } from "./engine";
import { bindGrpc, grpcServer } from "./grpc";
import { ServeMetrics } from "./metrics";
import { paretoConfigs } from "./pareto";
import { restServer } from "./rest";

export interface ServeOptions extends EngineOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** null: no gRPC endpoint. */
  readonly grpcPort: number | null;
  readonly bodyLimit: number;
  /** Sessions built before the server reports ready: the Pareto configurations, or these per model name. */
  readonly preload: "pareto" | "none" | ReadonlyMap<string, readonly Config[]>;
  /** Router mode: run batches here instead of on the local models. */
  readonly executor?: Executor;
  readonly log?: (msg: string) => void;
}

export const DEFAULTS: Omit<ServeOptions, "executor" | "log"> = {
  host: "127.0.0.1",
  port: 8000,
  grpcPort: 8001,
  bodyLimit: 64 * 1024 * 1024,
  preload: "none",
  maxBatch: 16,
  batchWaitMs: 0,
  maxQueue: 256,
  timeoutMs: 30_000,
  maxElements: 16 * 1024 * 1024,
  parallel: 1,
};

/** Where a listen failed; startServer rethrows the socket error (code EADDRINUSE, ...) with this as `listen`. */
export interface ListenFailure {
  readonly endpoint: "REST" | "gRPC";
  readonly host: string;
  readonly port: number;
}

function listenFailed(e: unknown, listen: ListenFailure): Error {
  return Object.assign(e instanceof Error ? e : new Error(String(e)), { listen });
}

/** The ListenFailure of an error from startServer, if it is one. */
export const listenFailureOf = (e: unknown): ListenFailure | undefined =>
  e instanceof Error ? (e as Error & { listen?: ListenFailure }).listen : undefined;

export interface RunningServer {
  readonly engine: Engine;
  readonly url: string; // http://host:port
  readonly grpcAddress: string | null; // host:port
  /** Stops taking requests, finishes those in flight, closes both endpoints. */
  close(): Promise<void>;
}

export async function startServer(models: ReadonlyMap<string, MtlModel>, o: ServeOptions): Promise<RunningServer> {
  const metrics = new ServeMetrics();
  const engine = new Engine(models, o.executor ?? localExecutor(models), o, metrics);
  const limits = { maxElements: o.maxElements };
  const app: FastifyInstance = restServer(engine, { bodyLimit: o.bodyLimit, limits, log: o.log });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await app.close();
    throw listenFailed(e, { endpoint: "REST", host: o.host, port: o.port });
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  let rpc: grpc.Server | null = null;
  let grpcPort: number | null = null;
  // Whatever fails from here (a busy gRPC port, a preload), both endpoints close: an open one keeps the process alive.
  try {
    if (o.grpcPort !== null) {
      const wanted = o.grpcPort;
      rpc = grpcServer(engine, limits, o.log);
      grpcPort = await bindGrpc(rpc, o.host, wanted).catch((e: unknown) => {
        throw listenFailed(e, { endpoint: "gRPC", host: o.host, port: wanted });
      });
    }
    if (o.preload !== "none")
      for (const [name, m] of models) {
        const t0 = performance.now();
        const configs =
          o.preload === "pareto" ? paretoConfigs(m.costs, m.meta, m.profile) : (o.preload.get(name) ?? []);
        await engine.preload(name, configs);
        const which = o.preload === "pareto" ? "Pareto " : "";
        const s = ((performance.now() - t0) / 1000).toFixed(1);
        o.log?.(`preloaded ${configs.length} ${which}configurations of ${name} in ${s} s`);
      }
  } catch (e) {
    rpc?.forceShutdown();
    await app.close();
    throw e;
  }
  engine.ready = true;
  let closing: Promise<void> | undefined;
  return {
    engine,
    url: `http://${o.host}:${port}`,
    grpcAddress: grpcPort === null ? null : `${o.host}:${grpcPort}`,
    close: () =>
      (closing ??= (async () => {
        await engine.drain();
        await app.close();
        if (rpc) await new Promise<void>((done) => rpc!.tryShutdown(() => done()));
      })()),
  };
}
