// KServe v2 clients for mtl serve (and Triton / KServe): per-request budgets, preferences, tasks.
export { KServeRestClient } from "./rest";
export { KServeGrpcClient } from "./grpc";
export { KServeError, type ClientTensor, type InferOptions, type InferResult, type OutputTensorResult } from "./types";
