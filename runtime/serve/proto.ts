// Loads our KServe v2 .proto (inference.proto, next to this file) for server and client.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROTO_PATH = join(dirname(fileURLToPath(import.meta.url)), "inference.proto");

let cached: grpc.GrpcObject | undefined;

/** The `inference` package; int64 fields as JS numbers (shapes and ids fit in 2^53). */
export function inferencePackage(): grpc.GrpcObject {
  cached ??= grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })).inference as grpc.GrpcObject;
  return cached;
}

export const serviceOf = (): grpc.ServiceClientConstructor => inferencePackage().GRPCInferenceService as grpc.ServiceClientConstructor;

export type Param = { bool_param?: boolean; int64_param?: number; string_param?: string; double_param?: number; uint64_param?: number; parameter_choice?: string };

export function fromParam(p: Param): unknown {
  return p.parameter_choice ? (p as Record<string, unknown>)[p.parameter_choice] : undefined;
}

export function toParam(v: unknown): Param {
  if (typeof v === "boolean") return { bool_param: v };
  if (typeof v === "number") return Number.isInteger(v) ? { int64_param: v } : { double_param: v };
  return { string_param: String(v) };
}
