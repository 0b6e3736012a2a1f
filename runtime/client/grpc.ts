// A KServe v2 gRPC client (@grpc/grpc-js on our .proto): inputs sent as raw_input_contents,
// outputs read from raw_output_contents (or typed contents, for servers that send those).
import * as grpc from "@grpc/grpc-js";
import { fromParam, serviceOf, toParam, type Param } from "../serve/proto";
import { fromBytes, fromJson, joinBytes, toBytes, type Datatype, type TypedData } from "../serve/tensors";
import {
  KServeError,
  requestParameters,
  type ClientTensor,
  type InferOptions,
  type InferResult,
  type OutputTensorResult,
} from "./types";

type Unary = (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

const CONTENTS_FIELD: Record<string, string> = {
  BOOL: "bool_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  FP32: "fp32_contents",
  FP64: "fp64_contents",
};

export class KServeGrpcClient {
  private readonly client: grpc.Client & Record<string, Unary>;

  constructor(readonly address: string) {
    const Service = serviceOf();
    this.client = new Service(address, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    }) as never;
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((done, fail) =>
      this.client[method].call(this.client, req, (err, res) => {
        if (!err) return done(res as T);
        const retry = err.metadata?.get("retry-after")[0];
        fail(new KServeError(err.code, err.details || err.message, retry !== undefined ? Number(retry) : undefined));
      }),
    );
  }

  async live(): Promise<boolean> {
    return (await this.call<{ live: boolean }>("ServerLive", {})).live;
  }

  async ready(model?: string): Promise<boolean> {
    if (model) return (await this.call<{ ready: boolean }>("ModelReady", { name: model, version: "" })).ready;
    return (await this.call<{ ready: boolean }>("ServerReady", {})).ready;
  }

  metadata(model: string): Promise<{
    name: string;
    inputs: { name: string; datatype: string; shape: number[] }[];
    outputs: { name: string; datatype: string; shape: number[] }[];
  }> {
    return this.call("ModelMetadata", { name: model, version: "" });
  }

  async infer(model: string, inputs: readonly ClientTensor[], o: InferOptions = {}): Promise<InferResult> {
    const req = {
      model_name: model,
      model_version: "",
      id: o.id ?? "",
      parameters: Object.fromEntries(Object.entries(requestParameters(o)).map(([k, v]) => [k, toParam(v)])),
      inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      outputs: (o.outputs ?? []).map((name) => ({ name })),
      raw_input_contents: inputs.map((t) =>
        Buffer.from(t.datatype === "BYTES" ? joinBytes(t.data as readonly Uint8Array[]) : toBytes(t.data as TypedData)),
      ),
    };
    const res = await this.call<{
      parameters: Record<string, Param>;
      outputs: { name: string; datatype: Datatype; shape: number[]; contents: Record<string, unknown[]> | null }[];
      raw_output_contents: Buffer[];
    }>("ModelInfer", req);
    const outputs: Record<string, OutputTensorResult> = {};
    res.outputs.forEach((t, i) => {
      const count = t.shape.reduce((a, b) => a * b, 1);
      const raw = res.raw_output_contents[i];
      const data = raw
        ? fromBytes(t.name, t.datatype, new Uint8Array(raw), count)
        : fromJson(t.name, t.datatype, t.contents?.[CONTENTS_FIELD[t.datatype]] ?? [], count);
      outputs[t.name] = { datatype: t.datatype, shape: t.shape, data: data as TypedData };
    });
    return {
      outputs,
      parameters: Object.fromEntries(
        Object.entries(res.parameters).map(([k, p]) => [k, fromParam(p) as string | number | boolean]),
      ),
    };
  }

  close(): void {
    this.client.close();
  }
}
