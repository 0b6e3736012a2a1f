// Flags that name nothing or the same thing twice are usage errors (exit 2), as a name given twice in
// --config or --prefer is: `--tasks ''` (not "every task"), `--tasks seg,seg`, a configuration listed
// twice by --preload (however written), and serve's --port equal to its --grpc-port (said before
// binding, not reported as a port in use). In-process, on the command functions.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCompile } from "../../cli/commands/compile";
import { runRun } from "../../cli/commands/run";
import { runSearch } from "../../cli/commands/search";
import { runServe } from "../../cli/commands/serve";
import { out } from "../../cli/io";
import { preloadFlag } from "../../cli/preload";
import { readArtifact } from "../../runtime/artifact";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const dir = mkdtempSync(join(tmpdir(), "mtl-dupes-"));
const model = join(dir, "two.onnx");
const usage = (text: string) => ({ code: "MTL-CLI-001", exitCode: 2, message: expect.stringContaining(text) });

beforeAll(() => {
  vi.spyOn(out, "log").mockImplementation(() => undefined);
  vi.spyOn(out, "err").mockImplementation(() => undefined);
  writeFileSync(model, compileSource(TWO_TASK));
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe("--tasks", () => {
  it.each([[""], [" , "]])("refuses %j in search and run instead of running every task", async (tasks) => {
    await expect(runSearch(model, { tasks })).rejects.toMatchObject(usage("--tasks names no task"));
    await expect(runRun(model, { random: true, tasks })).rejects.toMatchObject(usage("--tasks names no task"));
  });
  it("refuses a task given twice", async () => {
    await expect(runSearch(model, { tasks: "seg,seg" })).rejects.toMatchObject(usage("--tasks gives `seg` twice"));
    await expect(runRun(model, { random: true, tasks: "seg,cls,seg" })).rejects.toMatchObject(usage("twice"));
  });
  it("still takes distinct tasks", async () => {
    expect(await runSearch(model, { tasks: "seg" })).toBe(0);
  });
});

describe("--preload", () => {
  const meta = () => readArtifact(compileSource(TWO_TASK), "two.onnx").meta;
  it.each([["seg=0.25;seg=0.25"], ["seg=0.25;e=1,seg=0.25"], ["seg=0.25;cls=1;seg=0.25"]])(
    "refuses %j, one configuration twice",
    (text) => expect(() => preloadFlag(text, meta())).toThrow(expect.objectContaining(usage("twice"))),
  );
  it("takes distinct configurations", () => {
    expect(preloadFlag("seg=0.25;seg=0.5", meta())).toHaveLength(2);
  });
});

describe("serve --port and --grpc-port", () => {
  it("refuses the same port for both before loading anything", async () => {
    await expect(runServe([join(dir, "missing.onnx")], { port: "18001", grpcPort: "18001" })).rejects.toMatchObject(
      usage("--port 18001 and --grpc-port 18001 are the same port"),
    );
  });
});

describe("--budget", () => {
  const bad = (text: string) => ({ code: "bad-budget", exitCode: 2, message: expect.stringContaining(text) });
  it.each([["150%"], ["1000%"], ["flops <= 101%"], ["params <= 150%"]])(
    "refuses %j in search, run and compile, as a .mtl file refuses it",
    async (budget) => {
      const range = `--budget ${budget}: a relative budget must be above 0% and at most 100%`;
      await expect(runSearch(model, { budget })).rejects.toMatchObject(bad(range));
      await expect(runRun(model, { random: true, budget })).rejects.toMatchObject(bad(range));
      const mm = join(import.meta.dirname, "..", "..", "examples", "multimnist.mtl");
      await expect(runCompile(mm, { output: join(dir, "x.onnx"), budget })).rejects.toMatchObject(bad(range));
    },
  );
  it.each([["0%"], ["%"], ["-5%"], ["NaN"], ["60"], ["0M"]])("refuses %j before the model loads", async (budget) => {
    await expect(runSearch(join(dir, "missing.onnx"), { budget })).rejects.toMatchObject(bad(`--budget ${budget}:`));
  });
  it("takes 100% and absolute budgets above the full model", async () => {
    expect(await runSearch(model, { budget: "100%" })).toBe(0);
    expect(await runSearch(model, { budget: "1T" })).toBe(0);
  });
});

describe("--input without NAME=", () => {
  it("asks for NAME=FILE when the value names no file", async () => {
    await expect(runRun(model, { input: ["image"] })).rejects.toMatchObject(
      usage("--input image names no file: write --input NAME=FILE"),
    );
  });
});
