// --threads, --no-spin and --ep on the commands that build sessions: accepted on run and bench,
// a usage error for a bad thread count, a coded error naming the provider for one not in this build.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mtlIn } from "../helpers/cli";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const dir = mkdtempSync(join(tmpdir(), "mtl-session-flags-"));
const mtl = mtlIn(dir);

beforeAll(() => writeFileSync(join(dir, "two.onnx"), compileSource(TWO_TASK)));

describe("session flags", () => {
  it("run gives the same outputs with --threads 1 --no-spin --ep cpu as without", () => {
    const plain = mtl("run", "two.onnx", "--random", "--json", "--config", "e=1");
    const tuned = mtl(
      "run",
      "two.onnx",
      "--random",
      "--json",
      "--config",
      "e=1",
      "--threads",
      "1",
      "--no-spin",
      "--ep",
      "cpu",
    );
    expect(plain.code).toBe(0);
    expect(tuned.code).toBe(0);
    const outputs = (s: string) => JSON.stringify((JSON.parse(s) as { outputs: unknown }).outputs);
    expect(outputs(tuned.out)).toBe(outputs(plain.out));
  });

  it("a provider not in this build is a clear error naming it (MTL-RUN-002)", () => {
    const r = mtl("run", "two.onnx", "--random", "--ep", "cuda");
    expect(r.code).toBe(1);
    expect(r.err).toContain("MTL-RUN-002");
    expect(r.err).toContain("execution provider `cuda` is not in this build of onnxruntime-node");
    expect(r.err).toContain("cpu");
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("--threads must be a whole number of at least 1 (a usage error)", () => {
    for (const args of [["run", "--random"], ["bench"], ["profile", "-o", "lat.json"]]) {
      const r = mtl(args[0], "two.onnx", ...args.slice(1), "--threads", "0");
      expect(r.code).toBe(2);
      expect(r.err).toContain("--threads takes a whole number of at least 1");
    }
  });
});
