// KServe v2 over gRPC (@grpc/grpc-js, service inference.GRPCInferenceService from our own .proto).
// Outputs go back as raw_output_contents (little-endian bytes), as Triton does.
import * as grpc from "@grpc/grpc-js";
import type { Engine, InferCall } from "./engine";
import { badRequest, ServeError } from "./errors";
import { modelMetadata, serverMetadata } from "./metadata";
import { fromParam, serviceOf, toParam, type Param } from "./proto";
import { checkCount, checkHeader, fromBytes, fromJson, toBytes, type Limits, type WireTensor } from "./tensors";

type Contents = Record<string, unknown[]>;
interface GrpcInput {
  name: string;
  datatype: string;
  shape: number[];
  parameters: Record<string, Param>;
  contents: Contents | null;
}
interface GrpcInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, Param>;
  inputs: GrpcInput[];
  outputs: { name: string }[];
  raw_input_contents: Buffer[];
}

const CONTENTS_FIELD: Record<string, string> = {
  BOOL: "bool_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  UINT8: "uint_contents",
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

export function parseGrpcInfer(req: GrpcInferRequest, limits: Limits): InferCall {
  if (!req.inputs?.length) throw badRequest("inputs is empty", "send at least one input tensor");
  const headers = req.inputs.map((t, i) => checkHeader(`inputs[${i}]`, t));
  checkCount(
    headers.reduce((s, h) => s + h.count, 0),
    limits,
  );
  const raw = req.raw_input_contents ?? [];
  if (raw.length && raw.length !== req.inputs.length)
    throw badRequest(
      `raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs`,
      "give one raw entry per input, in order",
    );
  const inputs: WireTensor[] = headers.map((h, i) => {
    const where = `inputs[${i}]`;
    if (raw.length) return { ...h, data: fromBytes(where, h.datatype, new Uint8Array(raw[i]), h.count) };
    const values = req.inputs[i].contents?.[CONTENTS_FIELD[h.datatype]] ?? [];
    const data = h.datatype === "BYTES" ? values.map((b) => Buffer.from(b as Buffer).toString("base64")) : values;
    return { ...h, data: fromJson(`${where}.contents`, h.datatype, data, h.count) };
  });
  const parameters = Object.fromEntries(Object.entries(req.parameters ?? {}).map(([k, p]) => [k, fromParam(p)]));
  return {
    model: req.model_name,
    version: req.model_version || undefined,
    id: req.id || undefined,
    parameters,
    inputs,
    outputs: (req.outputs ?? []).map((o) => o.name),
  };
}

type Handler = (call: { request: never }, cb: grpc.sendUnaryData<unknown>) => void;

export function grpcServer(engine: Engine, limits: Limits, log?: (m: string) => void): grpc.Server {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  const fail = (cb: grpc.sendUnaryData<unknown>, e: unknown, model?: string) => {
    if (e instanceof ServeError) {
      if (model !== undefined) engine.metrics.requests.inc({ model, protocol: "grpc", code: String(e.status) });
      const metadata = new grpc.Metadata();
      if (e.retryAfterS !== undefined) metadata.set("retry-after", String(e.retryAfterS));
      return cb({ code: e.grpcCode, details: `${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`, metadata });
    }
    if (model !== undefined) engine.metrics.requests.inc({ model, protocol: "grpc", code: "500" });
    log?.(`internal error: ${(e as Error).stack ?? e}`);
    cb({ code: grpc.status.INTERNAL, details: `internal error: ${(e as Error).message}` });
  };
  const handlers: Record<string, Handler> = {
    ServerLive: (_c, cb) => cb(null, { live: true }),
    ServerReady: (_c, cb) => cb(null, { ready: engine.ready }),
    ServerMetadata: (_c, cb) => cb(null, serverMetadata()),
    ModelReady: (c, cb) => {
      const r = c.request as { name: string; version: string };
      try {
        engine.model(r.name, r.version || undefined);
        cb(null, { ready: engine.ready });
      } catch (e) {
        fail(cb, e);
      }
    },
    ModelMetadata: (c, cb) => {
      const r = c.request as { name: string; version: string };
      try {
        cb(null, modelMetadata(r.name, engine.model(r.name, r.version || undefined)));
      } catch (e) {
        fail(cb, e);
      }
    },
    ModelInfer: (c, cb) => {
      const req = c.request as GrpcInferRequest;
      (async () => {
        const reply = await engine.infer(parseGrpcInfer(req, limits));
        engine.metrics.requests.inc({ model: req.model_name, protocol: "grpc", code: "200" });
        cb(null, {
          model_name: reply.model,
          model_version: reply.version,
          id: reply.id ?? "",
          parameters: Object.fromEntries(Object.entries(reply.parameters).map(([k, v]) => [k, toParam(v)])),
          outputs: reply.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
          raw_output_contents: reply.outputs.map((o) => Buffer.from(toBytes(o.data))),
        });
      })().catch((e) => fail(cb, e, req.model_name));
    },
  };
  server.addService(serviceOf().service, handlers as unknown as grpc.UntypedServiceImplementation);
  return server;
}

export function bindGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  // grpc-js logs a failed bind ("No address added out of total 1 resolved") on its own before the
  // error reaches the caller, who reports it with the fix (MTL-CLI-004): quiet while binding, unless
  // the user set GRPC_VERBOSITY.
  const quiet = process.env.GRPC_VERBOSITY === undefined;
  if (quiet) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  return new Promise<number>((done, fail) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? fail(err) : done(bound),
    ),
  ).finally(() => {
    if (quiet) grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
  });
}
