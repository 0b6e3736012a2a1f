// Processes for the PyTorch export tests: Debian's /usr/bin/python3 (it has torch) with one OpenMP
// thread, and train.py's DistributedDataParallel ranks launched by hand over gloo on loopback
// (Debian's torchrun is broken, docs/export-torch.md).
import { spawn } from "node:child_process";
import { createServer } from "node:net";

export interface ProcessResult {
  /** The exit code; -1 when a signal (the timeout's SIGKILL) ended it. */
  readonly code: number;
  /** stdout and stderr, interleaved. */
  readonly out: string;
}

/** Runs `cmd ARGS...` to its end, killed after `timeoutMs`. */
export function runProcess(
  cmd: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<ProcessResult> {
  return new Promise((done) => {
    const p = spawn(cmd, args, { env: { ...process.env, OMP_NUM_THREADS: "1", ...env } });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("close", (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, out });
    });
  });
}

export const runPython = (args: readonly string[], env: Record<string, string> = {}, timeoutMs?: number) =>
  runProcess("/usr/bin/python3", args, env, timeoutMs);

/** A TCP port free on 127.0.0.1 just now (for the ranks' rendezvous). */
export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });

/** `python3 ARGS...` as `worldSize` ranks of one gloo group; each rank's result, rank 0 first. */
export async function launchRanks(args: readonly string[], timeoutMs: number, worldSize = 2): Promise<ProcessResult[]> {
  const port = String(await freePort());
  return Promise.all(
    Array.from({ length: worldSize }, (_, rank) =>
      runPython(
        args,
        {
          MASTER_ADDR: "127.0.0.1",
          MASTER_PORT: port,
          RANK: String(rank),
          WORLD_SIZE: String(worldSize),
          LOCAL_RANK: String(rank),
        },
        timeoutMs,
      ),
    ),
  );
}
