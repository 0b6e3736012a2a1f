// Loads our KServe v2 .proto (inference.proto, next to this file) for server and client.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Next to this file in the sources; from a bundle in dist/, under the package's runtime/serve/. */
function protoPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    for (const p of [join(dir, "inference.proto"), join(dir, "runtime", "serve", "inference.proto")])
      if (existsSync(p)) return p;
    if (dirname(dir) === dir)
      throw new Error("internal: runtime/serve/inference.proto is missing from the mtl package");
  }
}

export const PROTO_PATH = protoPath();

let cached: grpc.GrpcObject | undefined;

/** The `inference` package; int64 fields as JS numbers (shapes and ids fit in 2^53). */
export function inferencePackage(): grpc.GrpcObject {
  cached ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true }),
  ).inference as grpc.GrpcObject;
  return cached;
}

export const serviceOf = (): grpc.ServiceClientConstructor =>
  inferencePackage().GRPCInferenceService as grpc.ServiceClientConstructor;

export type Param = {
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
  double_param?: number;
  uint64_param?: number;
  parameter_choice?: string;
};

export function fromParam(p: Param): unknown {
  return p.parameter_choice ? (p as Record<string, unknown>)[p.parameter_choice] : undefined;
}

export function toParam(v: unknown): Param {
  if (typeof v === "boolean") return { bool_param: v };
  if (typeof v === "number") return Number.isInteger(v) ? { int64_param: v } : { double_param: v };
  return { string_param: String(v) };
}
