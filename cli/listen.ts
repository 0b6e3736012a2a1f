// Listen failures users can fix (busy port, no permission, unknown interface) as MTL-CLI-004, shared
// by `mtl playground` and `mtl serve` (REST and gRPC) so both word them, and hint at a fix, alike.
import { UserError } from "./io";

export interface ListenPlace {
  readonly host: string;
  readonly port: number;
  /** The flag that chose the port and an example value for it, e.g. "--grpc-port", 8001. */
  readonly flag: string;
  readonly example: number;
  /** What listens, in the message: "port" (default), "gRPC port". */
  readonly what?: string;
  /** Appended to the busy-port hint, e.g. ", none: no gRPC". */
  readonly alsoHint?: string;
}

/** The error code of a failed listen; gRPC reports only a message, naming the code inside it. */
function errnoOf(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return code;
  return /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN)\b/.exec(String((e as Error)?.message))?.[1];
}

/** `e` as a coded UserError when it is a listen failure the user can fix, else `e` unchanged. */
export function listenError(e: unknown, p: ListenPlace): unknown {
  const fail = (message: string, hint: string) => new UserError(message, 1, hint, "MTL-CLI-004");
  const what = p.what ?? "port";
  switch (errnoOf(e)) {
    case "EADDRINUSE":
      return fail(
        `${what} ${p.port} on ${p.host} is in use`,
        `stop what is using it, or pick another: ${p.flag} ${p.port + 1} (0: any free port${p.alsoHint ?? ""})`,
      );
    case "EACCES":
      return fail(
        `no permission to listen on ${what} ${p.port}`,
        `ports below 1024 need privileges; use ${p.flag} ${p.example}`,
      );
    case "EADDRNOTAVAIL":
      return fail(`cannot listen on ${p.host}: no such interface on this machine`, "use --host 127.0.0.1");
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return fail(`cannot listen on ${p.host}: not an address or a host name that resolves`, "use --host 127.0.0.1");
    default:
      return e;
  }
}
