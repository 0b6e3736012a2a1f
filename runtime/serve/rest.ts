// KServe v2 over HTTP/REST (fastify): health, server and model metadata, `infer` with JSON
// tensors or the binary-data extension (`Inference-Header-Content-Length`) or a bare PNG/JPEG
// upload, and /metrics.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Engine, InferCall, InferReply } from "./engine";
import { badRequest, errorBody, ServeError } from "./errors";
import { modelMetadata, serverMetadata } from "./metadata";
import { checkCount, checkHeader, fromBytes, fromJson, toBytes, toJson, type Limits, type WireTensor } from "./tensors";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Splits a body into the JSON header and the binary section that follows it. */
function splitBody(body: Buffer, headerLength: string | undefined): { json: unknown; binary: Buffer } {
  let jsonBytes: Buffer = body;
  let binary: Buffer = Buffer.alloc(0);
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!Number.isSafeInteger(n) || n < 0 || n > body.length)
      throw badRequest(
        `header Inference-Header-Content-Length is ${headerLength}, but the body has ${body.length} bytes`,
        "set it to the byte length of the JSON part",
      );
    jsonBytes = body.subarray(0, n);
    binary = body.subarray(n);
  }
  try {
    return { json: JSON.parse(jsonBytes.toString("utf8")), binary };
  } catch (e) {
    throw badRequest(
      `the request body is not valid JSON (${(e as Error).message})`,
      'send a KServe v2 inference request: {"inputs": [{"name", "shape", "datatype", "data"}]}',
    );
  }
}

export function parseRestInfer(
  model: string,
  version: string | undefined,
  body: Buffer,
  headerLength: string | undefined,
  limits: Limits,
): { call: InferCall; binaryOut: Set<string> | "all" } {
  const { json, binary } = splitBody(body, headerLength);
  if (!isObject(json))
    throw badRequest("the request body must be a JSON object", '{"inputs": [...], "parameters": {...}}');
  for (const k of Object.keys(json))
    if (!["id", "parameters", "inputs", "outputs"].includes(k))
      throw badRequest(`\`${k}\` is not a field of an inference request`, "fields: id, parameters, inputs, outputs");
  if (json.id !== undefined && typeof json.id !== "string") throw badRequest("id must be a string");
  const parameters = json.parameters ?? {};
  if (!isObject(parameters)) throw badRequest("parameters must be an object", 'e.g. {"budget": "40%"}');
  if (!Array.isArray(json.inputs) || !json.inputs.length)
    throw badRequest(
      "inputs must be a non-empty list of tensors",
      '{"inputs": [{"name": ..., "shape": ..., "datatype": ..., "data": ...}]}',
    );
  const headers = json.inputs.map((t, i) => {
    if (!isObject(t)) throw badRequest(`inputs[${i}] must be an object`);
    return { t, h: checkHeader(`inputs[${i}]`, t) };
  });
  checkCount(
    headers.reduce((s, x) => s + x.h.count, 0),
    limits,
  );
  let at = 0;
  const inputs: WireTensor[] = headers.map(({ t, h }, i) => {
    const where = `inputs[${i}]`;
    const p = t.parameters ?? {};
    if (!isObject(p)) throw badRequest(`${where}.parameters must be an object`);
    const size = p.binary_data_size;
    if (size !== undefined) {
      if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || at + size > binary.length)
        throw badRequest(
          `${where}.parameters.binary_data_size is ${JSON.stringify(size)} but ${binary.length - at} binary bytes remain`,
          "sizes must add up to the bytes after the JSON header",
        );
      const data = fromBytes(where, h.datatype, binary.subarray(at, at + size), h.count);
      at += size;
      return { ...h, data };
    }
    return { ...h, data: fromJson(where, h.datatype, t.data, h.count) };
  });
  if (at !== binary.length)
    throw badRequest(
      `${binary.length - at} binary bytes after the JSON header belong to no input`,
      "give each binary input parameters.binary_data_size",
    );
  const outputs: string[] = [];
  const binaryOut = new Set<string>();
  if (json.outputs !== undefined) {
    if (!Array.isArray(json.outputs)) throw badRequest('outputs must be a list of {"name": ...}');
    json.outputs.forEach((o, i) => {
      if (!isObject(o) || typeof o.name !== "string") throw badRequest(`outputs[${i}].name must be a string`);
      outputs.push(o.name);
      if (isObject(o.parameters) && o.parameters.binary_data === true) binaryOut.add(o.name);
    });
  }
  const call: InferCall = { model, version, id: json.id as string | undefined, parameters, inputs, outputs };
  return { call, binaryOut: parameters.binary_data_output === true ? "all" : binaryOut };
}

/**
 * A bare image upload (`Content-Type: image/png` or `image/jpeg`, e.g. `curl --data-binary @x.png`)
 * for a model with one input; parameters come from the query string (`?budget=40%&tasks=depth`).
 */
export function parseImageUpload(
  model: string,
  version: string | undefined,
  inputName: string | undefined,
  body: Buffer,
  query: Record<string, string>,
): { call: InferCall; binaryOut: Set<string> | "all" } {
  if (!inputName)
    throw badRequest(
      `model ${model} has several inputs; an image upload fits a model with one`,
      "send a KServe v2 JSON request with a BYTES tensor per image input",
    );
  const parameters: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query))
    parameters[k] =
      ["seed", "timeout_ms"].includes(k) && v !== "" && !Number.isNaN(Number(v))
        ? Number(v)
        : k === "binary_data_output"
          ? v === "true"
          : v;
  const call: InferCall = {
    model,
    version,
    parameters,
    inputs: [{ name: inputName, datatype: "BYTES", shape: [1], data: [new Uint8Array(body)] }],
  };
  return { call, binaryOut: parameters.binary_data_output === true ? "all" : new Set() };
}

function sendReply(res: FastifyReply, r: InferReply, binaryOut: Set<string> | "all"): FastifyReply {
  const chunks: Buffer[] = [];
  const outputs = r.outputs.map((o) => {
    if (binaryOut === "all" || binaryOut.has(o.name)) {
      const bytes = Buffer.from(toBytes(o.data));
      chunks.push(bytes);
      return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: bytes.length } };
    }
    return { name: o.name, datatype: o.datatype, shape: o.shape, data: toJson(o.datatype, o.data) };
  });
  const head = Buffer.from(
    JSON.stringify({
      model_name: r.model,
      model_version: r.version,
      ...(r.id ? { id: r.id } : {}),
      parameters: r.parameters,
      outputs,
    }),
  );
  if (!chunks.length) return res.type("application/json").send(head);
  return res
    .header("Inference-Header-Content-Length", head.length)
    .type("application/octet-stream")
    .send(Buffer.concat([head, ...chunks]));
}

function sendError(res: FastifyReply, e: ServeError): FastifyReply {
  if (e.retryAfterS !== undefined) res.header("Retry-After", String(e.retryAfterS));
  return res.status(e.status).type("application/json").send(errorBody(e));
}

export interface RestOptions {
  readonly bodyLimit: number;
  readonly limits: Limits;
  readonly log?: (msg: string) => void;
}

export function restServer(engine: Engine, o: RestOptions): FastifyInstance {
  const app = Fastify({ bodyLimit: o.bodyLimit, logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  const count = (model: string, code: number) =>
    engine.metrics.requests.inc({ model, protocol: "rest", code: String(code) });

  app.setErrorHandler((err, _req, res) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return sendError(
        res,
        new ServeError(
          "too-large",
          `the request body is larger than ${o.bodyLimit} bytes`,
          "send fewer rows per request, or start the server with a larger --body-limit",
        ),
      );
    if (e.statusCode && e.statusCode < 500) return sendError(res, badRequest(e.message));
    o.log?.(`internal error: ${(err as Error).stack ?? e.message}`);
    return res.status(500).send({ error: `internal error: ${e.message}` });
  });
  app.setNotFoundHandler((req, res) =>
    sendError(
      res,
      new ServeError(
        "not-found",
        `no route ${req.method} ${req.url}`,
        "KServe v2 paths start with /v2; see docs/serving.md",
      ),
    ),
  );

  app.get("/v2", async () => serverMetadata());
  app.get("/v2/health/live", async () => ({ live: true }));
  app.get("/v2/health/ready", async (_req, res) => res.status(engine.ready ? 200 : 503).send({ ready: engine.ready }));
  app.get("/metrics", async (_req, res) =>
    res.type(engine.metrics.registry.contentType).send(await engine.metrics.registry.metrics()),
  );

  const metadata = async (name: string, version: string | undefined, res: FastifyReply) => {
    try {
      return res.send(modelMetadata(name, engine.model(name, version)));
    } catch (e) {
      if (e instanceof ServeError) return sendError(res, e);
      throw e;
    }
  };
  const ready = async (name: string, version: string | undefined, res: FastifyReply) => {
    try {
      engine.model(name, version);
      return res.status(engine.ready ? 200 : 503).send({ name, ready: engine.ready });
    } catch (e) {
      if (e instanceof ServeError) return sendError(res, e);
      throw e;
    }
  };
  const infer = async (name: string, version: string | undefined, req: FastifyRequest, res: FastifyReply) => {
    try {
      const buf = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const image = /^image\/(png|jpeg)\b/.test(String(req.headers["content-type"] ?? ""));
      const single = () => {
        const inputs = engine.model(name, version).meta.inputs;
        return inputs.length === 1 ? inputs[0].name : undefined;
      };
      const { call, binaryOut } = image
        ? parseImageUpload(name, version, single(), buf, req.query as Record<string, string>)
        : parseRestInfer(
            name,
            version,
            buf,
            req.headers["inference-header-content-length"] as string | undefined,
            o.limits,
          );
      const reply = await engine.infer(call);
      count(name, 200);
      return sendReply(res, reply, binaryOut);
    } catch (e) {
      if (e instanceof ServeError) {
        count(name, e.status);
        return sendError(res, e);
      }
      count(name, 500);
      o.log?.(`internal error: ${(e as Error).stack ?? e}`);
      return res.status(500).send({ error: `internal error: ${(e as Error).message}` });
    }
  };
  type P = { name: string; version?: string };
  app.get<{ Params: P }>("/v2/models/:name", (req, res) => metadata(req.params.name, undefined, res));
  app.get<{ Params: P }>("/v2/models/:name/versions/:version", (req, res) =>
    metadata(req.params.name, req.params.version, res),
  );
  app.get<{ Params: P }>("/v2/models/:name/ready", (req, res) => ready(req.params.name, undefined, res));
  app.get<{ Params: P }>("/v2/models/:name/versions/:version/ready", (req, res) =>
    ready(req.params.name, req.params.version, res),
  );
  app.post<{ Params: P }>("/v2/models/:name/infer", (req, res) => infer(req.params.name, undefined, req, res));
  app.post<{ Params: P }>("/v2/models/:name/versions/:version/infer", (req, res) =>
    infer(req.params.name, req.params.version, req, res),
  );
  return app;
}
