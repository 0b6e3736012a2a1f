// Ctrl+C (SIGINT) sent to a real `mtl train` process mid-epoch: it finishes the step, writes a
// checkpoint of it, prints where and the command that resumes, and exits 130; that command
// ends with bitwise the files of an unbroken run (one thread).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MTL_BIN, STACK_TRACE } from "../helpers/cli";
import { SMALL_MULTIMNIST, smallMultiMnist } from "../helpers/train-fixture";

const work = mkdtempSync(join(tmpdir(), "mtl-train-int-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let data = "";
const env = { ...process.env, NO_COLOR: "1" };

/** `mtl train` that gets SIGINT once its first progress line is out; its exit code and output. */
function interrupted(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MTL_BIN, ...args], { cwd: work, env });
    let out = "";
    let err = "";
    let sent = false;
    child.stdout.on("data", (d) => {
      out += d;
      if (!sent && /epoch 1 \[/.test(out)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => done({ code, out, err }));
  });
}

describe("mtl train interrupted", () => {
  beforeAll(async () => {
    data = await smallMultiMnist();
    writeFileSync(join(work, "mm.mtl"), SMALL_MULTIMNIST);
  }, 60_000);

  it("saves a checkpoint of the last step on Ctrl+C, and resuming ends as an unbroken run", async () => {
    const args = ["train", "mm.mtl", "--data", data, "-o", "run", "--steps", "30", "--threads", "1"];
    const r = await interrupted(args);
    expect(r.code, r.err).toBe(130);
    expect(r.err).not.toMatch(STACK_TRACE);
    const m = /interrupted at step (\d+) of 30: saved (\S+); resume with: (mtl train .*)\n/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(30);
    expect(m![2]).toBe(join("run", "checkpoint.safetensors"));
    expect(m![3]).toBe(`mtl train mm.mtl --data ${data} -o run --steps 30 --threads 1 --provider cpu --resume`);
    expect(readdirSync(join(work, "run"))).toEqual(["checkpoint.safetensors"]); // no temporary file, no model

    const words = m![3].split(" ").slice(1);
    const resumed = spawnSync(process.execPath, [MTL_BIN, ...words], { cwd: work, env, encoding: "utf8" });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resuming at step ${m![1]} of 30`));
    const unbroken = spawnSync(process.execPath, [MTL_BIN, ...args.slice(0, 5), "full", ...args.slice(6)], {
      cwd: work,
      env,
      encoding: "utf8",
    });
    expect(unbroken.status, unbroken.stderr).toBe(0);
    for (const f of ["checkpoint.safetensors", "weights.safetensors"])
      expect(readFileSync(join(work, "run", f)).equals(readFileSync(join(work, "full", f))), f).toBe(true);
    expect(existsSync(join(work, "run", "model.onnx"))).toBe(true);
  }, 240_000);

  it.each([
    ["while the training child loads", 400],
    ["while it compiles and reads the data set", 1500],
  ])(
    "SIGTERM %s: exit 143, and a run folder only with a checkpoint",
    async (_, after) => {
      const child = spawn(
        process.execPath,
        [MTL_BIN, "train", "mm.mtl", "--data", data, "-o", "early", "--steps", "30"],
        {
          cwd: work,
          env,
        },
      );
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      // as a shell reports it: a process the signal itself ended (before any handler) is 128 + 15
      const code = await new Promise<number | null>((done) => {
        child.on("exit", (c, signal) => done(c ?? (signal === "SIGTERM" ? 143 : null)));
        setTimeout(() => child.kill("SIGTERM"), after);
      });
      expect(code, err).toBe(143);
      expect(err).not.toMatch(STACK_TRACE);
      // stopped before its first step: MTL-TRAIN-032 and no folder; if the (bundled, fast) command had
      // started training by then: the checkpoint of its first step, and nothing else
      const early = join(work, "early");
      if (existsSync(early)) expect(readdirSync(early)).toEqual(["checkpoint.safetensors"]);
      else if (err.includes("error")) expect(err).toContain("error MTL-TRAIN-032: interrupted before the first step");
      rmSync(early, { recursive: true, force: true });
    },
    60_000,
  );
});
