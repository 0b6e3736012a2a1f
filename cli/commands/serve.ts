// `mtl serve MODEL.onnx... | REPO/`: KServe v2 over REST and gRPC with per-request budgets; with
// --backend kserve-grpc://HOST:PORT a router that plans here and runs on Triton (or another
// KServe v2 server) holding the repository `mtl export triton` wrote.
import { existsSync, readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { load, type LoadOptions, type MtlModel } from "../../runtime/index";
import { KServeGrpcClient } from "../../runtime/client/grpc";
import { readRoutes, routerExecutor } from "../../runtime/serve/router";
import { ThreadExecutor } from "../../runtime/serve/thread-executor";
import {
  DEFAULTS,
  listenFailureOf,
  startServer,
  type ListenFailure,
  type ServeOptions,
} from "../../runtime/serve/server";
import type { Config } from "../../compiler/ir/types";
import { preloadConfigs } from "../../runtime/preload";
import { preloadFlag } from "../preload";
import { checkReadable, readBytes } from "../files";
import { out, UserError } from "../io";
import { portNumber, precisionFlag } from "../flags";
import { listenError, type ListenPlace } from "../listen";

export interface ServeCliOptions {
  port?: string;
  host?: string;
  grpcPort?: string;
  maxBatch?: string;
  batchWaitMs?: string;
  cache?: string;
  preload?: string;
  maxQueue?: string;
  timeoutMs?: string;
  bodyLimitMb?: string;
  maxElements?: string;
  parallel?: string;
  inProcess?: boolean;
  backend?: string;
  routes?: string;
  precision?: string;
}

function whole(v: string | undefined, flag: string, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UserError(`${flag} takes a whole number >= ${min}, not ${v}`, 2);
  return n;
}

/** Model files, or a Triton-style repository (REPO/<name>/1/model.onnx, served under <name>). */
function modelFiles(paths: readonly string[]): [string | null, string][] {
  const files: [string | null, string][] = [];
  for (const p of paths) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      const found = readdirSync(p).filter((d) => existsSync(join(p, d, "1", "model.onnx")));
      if (!found.length)
        throw new UserError(
          `${p} is a folder without <name>/1/model.onnx models`,
          1,
          "pass .onnx files, or a repository written by `mtl export triton`",
        );
      for (const d of found.sort()) files.push([d, join(p, d, "1", "model.onnx")]);
    } else files.push([null, p]);
  }
  return files;
}

/** The server's flags, checked; the ports 0-65535 here, not as a socket error after the models load. */
function serveOptions(o: ServeCliOptions): Omit<ServeOptions, "preload"> {
  const options = serveFlags(o);
  const { port, grpcPort } = options;
  // REST and gRPC on one port cannot both listen: say so before binding, not "port in use" after.
  if (port !== 0 && port === grpcPort) {
    throw new UserError(
      `--port ${port} and --grpc-port ${grpcPort} are the same port: REST and gRPC need one each`,
      2,
      `pick another for one of them, e.g. --grpc-port ${port === 65535 ? port - 1 : port + 1} (0: any free port, none: no gRPC)`,
    );
  }
  return options;
}

function serveFlags(o: ServeCliOptions): Omit<ServeOptions, "preload"> {
  return {
    ...DEFAULTS,
    host: o.host ?? DEFAULTS.host,
    port: o.port === undefined ? DEFAULTS.port : portNumber(o.port, "--port", DEFAULTS.port),
    grpcPort:
      o.grpcPort === "none"
        ? null
        : o.grpcPort === undefined
          ? DEFAULTS.grpcPort
          : portNumber(o.grpcPort, "--grpc-port", DEFAULTS.grpcPort!),
    maxBatch: whole(o.maxBatch, "--max-batch", DEFAULTS.maxBatch, 1),
    batchWaitMs: whole(o.batchWaitMs, "--batch-wait-ms", DEFAULTS.batchWaitMs),
    maxQueue: whole(o.maxQueue, "--max-queue", DEFAULTS.maxQueue, 1),
    timeoutMs: whole(o.timeoutMs, "--timeout-ms", DEFAULTS.timeoutMs, 1),
    bodyLimit: whole(o.bodyLimitMb, "--body-limit-mb", DEFAULTS.bodyLimit / 1048576, 1) * 1048576,
    maxElements: whole(o.maxElements, "--max-elements", DEFAULTS.maxElements, 1),
    parallel: whole(o.parallel, "--parallel", DEFAULTS.parallel, 1),
    log: (msg) => out.err(msg),
  };
}

/** Where a listen failed, for the shared MTL-CLI-004 wording. */
function listenPlace(f: ListenFailure): ListenPlace {
  const { host, port } = f;
  if (f.endpoint === "REST") return { host, port, flag: "--port", example: DEFAULTS.port };
  return {
    host,
    port,
    flag: "--grpc-port",
    example: DEFAULTS.grpcPort!,
    what: "gRPC port",
    alsoHint: ", none: no gRPC",
  };
}

/** --backend's HOST:PORT, with --routes; --routes alone is a usage error (only the router reads it). */
function backendAddress(o: ServeCliOptions): string | undefined {
  if (o.backend !== undefined && o.inProcess)
    throw new UserError(
      "--in-process runs batches on this server's thread, --backend sends them to Triton: pick one",
      2,
      "drop --in-process in router mode",
    );
  if (o.backend === undefined) {
    if (o.routes !== undefined)
      throw new UserError(
        "--routes goes with --backend: only the router in front of Triton reads the routing table",
        2,
        "add --backend kserve-grpc://HOST:PORT, or drop --routes to serve the models here",
      );
    return undefined;
  }
  const m = /^kserve-grpc:\/\/([^/]+:\d+)\/?$/.exec(o.backend);
  if (!m)
    throw new UserError(
      `--backend ${o.backend} is not a kserve-grpc://HOST:PORT address`,
      2,
      "e.g. --backend kserve-grpc://127.0.0.1:8001",
    );
  if (!o.routes) throw new UserError("--backend needs --routes REPO/mtl.json (written by `mtl export triton`)", 2);
  return m[1];
}

/**
 * The model worker: the TypeScript source through tsx in a development checkout (this module is a
 * .ts file), else the bundle dist/serve-worker.mjs.
 */
export function serveWorker(): { script: URL; entry?: string } {
  const here = import.meta.url;
  if (here.endsWith(".ts"))
    return { script: new URL("../tsx-worker.mjs", here), entry: new URL("../serve-worker.ts", here).href };
  // The bundle this code is in lies in dist/, dist/commands/ or dist/chunks/.
  const dir = dirname(fileURLToPath(here));
  for (const candidate of [join(dir, "serve-worker.mjs"), join(dir, "..", "serve-worker.mjs")])
    if (existsSync(candidate)) return { script: pathToFileURL(candidate) };
  throw new Error(`internal: serve-worker.mjs not found beside ${dir} (run npm run build)`);
}

export async function runServe(paths: string[], o: ServeCliOptions): Promise<number> {
  const cache = whole(o.cache, "--cache", 16, 1);
  const options = serveOptions(o); // every flag is checked before the models load
  const backend = backendAddress(o);
  const preload = o.preload ?? "none";
  const precision = precisionFlag(o.precision);
  const models = new Map<string, MtlModel>();
  const preloads = new Map<string, Config[]>();
  const served: [string, string, LoadOptions][] = [];
  // Local batches run on --parallel worker threads, which share the cores between them. Their idle
  // onnxruntime threads do not spin: the server's own thread needs a core for HTTP and JSON (the
  // CifarMTL server answered 1.5x the requests with spinning off: docs/serving.md).
  // At most one worker per core: more would only hold more copies of the weights (batches beyond
  // them wait for a free worker).
  const workers = Math.min(options.parallel, availableParallelism());
  const threads = workers > 1 ? Math.max(1, Math.floor(availableParallelism() / workers)) : undefined;
  for (const [name, file] of modelFiles(paths)) {
    checkReadable(file, "model");
    // Loaded by path, not from bytes, so every load and session error names the user's file.
    let m = await load(file, { cacheSize: cache, precision });
    const configs = preload === "none" ? [] : preloadConfigs(m.meta, m.costs, preloadFlag(preload, m.meta), m.profile);
    const wanted = configs.length;
    if (wanted > cache) {
      out.err(
        `note: ${m.meta.name} preloads ${wanted} configurations; the session cache holds ${wanted} instead of ${cache}`,
      );
      await m.close();
      m = await load(file, { cacheSize: wanted, precision });
    }
    const key = name ?? m.meta.name;
    preloads.set(key, configs);
    served.push([key, file, { cacheSize: Math.max(cache, wanted), precision, threads, spinning: false }]);
    if (models.has(key))
      throw new UserError(
        `two models are named ${key}`,
        2,
        "serve them from separate processes, or rename one in its .mtl file",
      );
    models.set(key, m);
  }
  let executor;
  let client: KServeGrpcClient | undefined;
  let threaded: ThreadExecutor | undefined;
  if (backend !== undefined && o.routes !== undefined) {
    client = new KServeGrpcClient(backend);
    executor = routerExecutor(models, readRoutes(readBytes(o.routes, "routing table"), o.routes), client);
  } else if (!o.inProcess) {
    try {
      executor = threaded = await ThreadExecutor.start({
        ...serveWorker(),
        models: served,
        workers,
        log: options.log,
      });
    } catch (e) {
      for (const m of models.values()) await m.close();
      throw e;
    }
  }
  let server;
  try {
    server = await startServer(models, {
      ...options,
      preload: preload === "none" || preload === "pareto" ? preload : preloads,
      executor,
    });
  } catch (e) {
    client?.close();
    await threaded?.close();
    for (const m of models.values()) await m.close();
    const failure = listenFailureOf(e);
    throw failure ? listenError(e, listenPlace(failure)) : e;
  }
  out.log(
    [
      `serving ${[...models.keys()].join(", ")} on ${server.url} (REST)`,
      server.grpcAddress ? ` and ${server.grpcAddress} (gRPC)` : "",
      o.backend ? `, running on ${o.backend}` : "",
    ].join(""),
  );
  const signal = await new Promise<string>((done) => {
    process.once("SIGTERM", () => done("SIGTERM"));
    process.once("SIGINT", () => done("SIGINT"));
  });
  out.err(`${signal}: finishing the requests in flight, then exiting`);
  await server.close();
  client?.close();
  await threaded?.close();
  for (const m of models.values()) await m.close();
  return 0;
}
