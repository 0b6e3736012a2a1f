// A KServe v2 REST client (Node's fetch): JSON tensors, or the binary-data extension both ways.
import { fromBytes, joinBytes, toBytes, type Datatype, type TypedData } from "../serve/tensors";
import {
  KServeError,
  requestParameters,
  type ClientTensor,
  type InferOptions,
  type InferResult,
  type OutputTensorResult,
} from "./types";

const isBytes = (t: ClientTensor): t is ClientTensor & { data: readonly Uint8Array[] } => t.datatype === "BYTES";

function jsonData(t: ClientTensor): unknown[] {
  if (isBytes(t)) return t.data.map((b) => Buffer.from(b).toString("base64"));
  const d = t.data as TypedData;
  if (t.datatype === "BOOL") return Array.from(d as Uint8Array, (v) => v !== 0);
  return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
}

export class KServeRestClient {
  constructor(readonly baseUrl: string) {}

  private async get(path: string): Promise<{ status: number; body: unknown }> {
    const r = await fetch(`${this.baseUrl}${path}`);
    return { status: r.status, body: await r.json().catch(() => null) };
  }

  async live(): Promise<boolean> {
    return (await this.get("/v2/health/live")).status === 200;
  }

  async ready(model?: string): Promise<boolean> {
    return (
      (await this.get(model ? `/v2/models/${encodeURIComponent(model)}/ready` : "/v2/health/ready")).status === 200
    );
  }

  async metadata(model: string): Promise<{
    name: string;
    inputs: { name: string; datatype: string; shape: number[] }[];
    outputs: { name: string; datatype: string; shape: number[] }[];
  }> {
    const r = await this.get(`/v2/models/${encodeURIComponent(model)}`);
    if (r.status !== 200) throw new KServeError(r.status, (r.body as { error?: string })?.error ?? `HTTP ${r.status}`);
    return r.body as never;
  }

  /** Runs `model` on the inputs under the options' budget; `binary` sends and receives raw bytes. */
  async infer(
    model: string,
    inputs: readonly ClientTensor[],
    o: InferOptions & { binary?: boolean } = {},
  ): Promise<InferResult> {
    const chunks: Uint8Array[] = [];
    const tensors = inputs.map((t) => {
      const head = { name: t.name, datatype: t.datatype, shape: t.shape };
      if (!o.binary) return { ...head, data: jsonData(t) };
      const bytes = isBytes(t) ? joinBytes(t.data) : toBytes(t.data as TypedData);
      chunks.push(bytes);
      return { ...head, parameters: { binary_data_size: bytes.length } };
    });
    const parameters = { ...requestParameters(o), ...(o.binary ? { binary_data_output: true } : {}) };
    const json = Buffer.from(
      JSON.stringify({
        ...(o.id ? { id: o.id } : {}),
        parameters,
        inputs: tensors,
        ...(o.outputs ? { outputs: o.outputs.map((name) => ({ name })) } : {}),
      }),
    );
    const headers: Record<string, string> = {
      "content-type": o.binary ? "application/octet-stream" : "application/json",
    };
    if (o.binary) headers["inference-header-content-length"] = String(json.length);
    const r = await fetch(`${this.baseUrl}/v2/models/${encodeURIComponent(model)}/infer`, {
      method: "POST",
      headers,
      body: o.binary ? Buffer.concat([json, ...chunks]) : json,
    });
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status !== 200) {
      let msg = `HTTP ${r.status}`;
      try {
        const e = JSON.parse(body.toString("utf8")) as { error?: string; hint?: string };
        msg = `${e.error ?? msg}${e.hint ? ` (hint: ${e.hint})` : ""}`;
      } catch {
        // not JSON: keep the status
      }
      throw new KServeError(
        r.status,
        msg,
        r.headers.get("retry-after") ? Number(r.headers.get("retry-after")) : undefined,
      );
    }
    const headLen = r.headers.get("inference-header-content-length");
    const head = JSON.parse(body.subarray(0, headLen ? Number(headLen) : body.length).toString("utf8")) as {
      parameters?: InferResult["parameters"];
      outputs: {
        name: string;
        datatype: Datatype;
        shape: number[];
        data?: (number | boolean)[];
        parameters?: { binary_data_size?: number };
      }[];
    };
    let at = headLen ? Number(headLen) : body.length;
    const outputs: Record<string, OutputTensorResult> = {};
    for (const t of head.outputs) {
      const count = t.shape.reduce((a, b) => a * b, 1);
      const size = t.parameters?.binary_data_size;
      let data: TypedData;
      if (size !== undefined) {
        data = fromBytes(t.name, t.datatype, new Uint8Array(body.subarray(at, at + size)), count) as TypedData;
        at += size;
      } else data = fromJsonValues(t.datatype, t.data ?? []);
      outputs[t.name] = { datatype: t.datatype, shape: t.shape, data };
    }
    return { outputs, parameters: head.parameters ?? {} };
  }
}

function fromJsonValues(datatype: Datatype, v: (number | boolean)[]): TypedData {
  switch (datatype) {
    case "INT64":
      return BigInt64Array.from(v as number[], (x) => BigInt(x));
    case "BOOL":
      return Uint8Array.from(v, (x) => (x ? 1 : 0));
    case "INT32":
      return Int32Array.from(v as number[]);
    case "FP64":
      return Float64Array.from(v as number[]);
    default:
      return Float32Array.from(v as number[]);
  }
}
