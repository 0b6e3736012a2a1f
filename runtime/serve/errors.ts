// Errors of `mtl serve`: each maps to an HTTP status (and a gRPC status) and names the request
// field at fault and the fix, so a client never sees a stack trace for its own mistake.
import { MtlError } from "../../compiler/errors";

export type ServeErrorKind =
  | "bad-request" // malformed body, wrong dtype or shape, unknown parameter (400)
  | "not-found" // unknown model or version (404)
  | "too-large" // body or element count over the server's limit (413)
  | "busy" // queue full (429)
  | "unavailable" // draining or not ready (503)
  | "timeout" // the request waited or ran longer than its timeout (504)
  | "backend" // the router's backend failed (502)
  | "worker"; // the worker thread running the batch died (500)

const STATUS: Record<ServeErrorKind, number> = {
  "bad-request": 400,
  "not-found": 404,
  "too-large": 413,
  busy: 429,
  unavailable: 503,
  timeout: 504,
  backend: 502,
  worker: 500,
};

/** gRPC status codes (grpc.status) per kind. */
const GRPC: Record<ServeErrorKind, number> = {
  "bad-request": 3,
  "not-found": 5,
  "too-large": 8,
  busy: 8,
  unavailable: 14,
  timeout: 4,
  backend: 14,
  worker: 13,
};

const CODE: Record<ServeErrorKind, string> = {
  "bad-request": "MTL-SRV-001",
  "not-found": "MTL-SRV-002",
  "too-large": "MTL-SRV-003",
  busy: "MTL-SRV-004",
  unavailable: "MTL-SRV-005",
  timeout: "MTL-SRV-006",
  backend: "MTL-SRV-007",
  worker: "MTL-SRV-008",
};

export class ServeError extends MtlError {
  constructor(
    readonly kind: ServeErrorKind,
    message: string,
    hint?: string,
    readonly retryAfterS?: number,
  ) {
    super(CODE[kind], message, hint);
  }
  get status(): number {
    return STATUS[this.kind];
  }
  get grpcCode(): number {
    return GRPC[this.kind];
  }
}

export const badRequest = (message: string, hint?: string): ServeError => new ServeError("bad-request", message, hint);

/** The KServe error body: `{"error": "..."}`, with mtl's code and hint alongside. */
export function errorBody(e: ServeError): { error: string; code: string; hint?: string } {
  return { error: e.message, code: e.code, ...(e.hint ? { hint: e.hint } : {}) };
}
