// Runs the real `mtl` binary (cli/bin.js) as users do, for the CLI tests: plain output (NO_COLOR),
// the exit code, both streams and the signal that ended it, if any.
import { spawnSync } from "node:child_process";
import { createServer, type Server as NetServer } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { join } from "node:path";

/** The `mtl` command's entry point. */
export const MTL_BIN = join(import.meta.dirname, "..", "..", "cli", "bin.js");

export interface CliResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly signal: NodeJS.Signals | null;
}

/** `mtl ARGS...` in `cwd`, waiting for it to end (killed after `timeoutMs`, if given). */
export function runMtl(cwd: string, args: readonly string[], timeoutMs?: number): CliResult {
  const r = spawnSync(process.execPath, [MTL_BIN, ...args], {
    cwd,
    encoding: "utf8",
    timeout: timeoutMs,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

/** A `mtl(...args)` function running in `cwd`, the shape every CLI test uses. */
export const mtlIn =
  (cwd: string, timeoutMs?: number) =>
  (...args: string[]): CliResult =>
    runMtl(cwd, args, timeoutMs);

/** A stack trace in a command's output: a user's mistake must never show one. */
export const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

/** The URL `mtl serve` prints once it listens; rejects with its stderr if it exits first. */
export function servedUrl(
  child: import("node:child_process").ChildProcessWithoutNullStreams | import("node:child_process").ChildProcess,
): Promise<string> {
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise<string>((done, fail) => {
    let text = "";
    child.stdout!.on("data", (d) => {
      text += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) done(m[1]);
    });
    child.once("exit", (code) => fail(new Error(`exited ${code}: ${stderr}`)));
  });
}

/**
 * A loopback port held by a server for the tests of the enclosing describe block (taken before
 * them, released after): read it with the returned function inside a test.
 */
export function busyPort(): () => number {
  let server: NetServer | undefined;
  let port = 0;
  beforeAll(async () => {
    const s = (server = createServer());
    await new Promise<void>((done) => s.listen(0, "127.0.0.1", done));
    port = (s.address() as { port: number }).port;
  });
  afterAll(() => void server?.close());
  return () => port;
}
