// `mtl serve` (or a baseline server) as a child process for the serving benchmarks: started from
// the repository root, ready once its stdout names its URL; stopped with SIGTERM (it drains first).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

/** The line `mtl serve` prints once it listens. */
export const SERVING = /on (http:\S+) /;

export function startProcess(args: string[], match: RegExp = SERVING): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn("node", args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((done, fail) => {
    let text = "";
    child.stdout!.on("data", (d) => {
      text += d;
      const m = match.exec(text);
      if (m) done({ child, url: m[1] });
    });
    child.stderr!.on("data", () => undefined);
    child.once("exit", (code) => fail(new Error(`server exited ${code}`)));
  });
}

export const stopProcess = (c: ChildProcess) =>
  new Promise<void>((done) => (c.exitCode !== null ? done() : (c.once("exit", () => done()), c.kill("SIGTERM"))));
