// Flags that cannot apply to the command as given are usage errors (exit 2) naming both flags, not
// silently ignored: run's planning flags with --config, report's measuring flags without --data,
// compile's --prefer without --budget and its --quantize settings without --quantize. Bad values are
// usage errors too: `data multimnist --train 0`, `eval --configs bogus`; and search's --seed with a
// strategy that never draws random numbers, and serve's --routes without --backend.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mtlIn, STACK_TRACE } from "../helpers/cli";

const root = resolve(import.meta.dirname, "..", "..");
const src = join(root, "examples", "multimnist.mtl");
const weights = join(root, "examples", "trained", "multimnist", "weights.safetensors");
const images = join(root, "examples", "trained", "multimnist", "digits", "test", "image");
const dir = mkdtempSync(join(tmpdir(), "mtl-flags-"));
const mtl = mtlIn(dir);

beforeAll(() => {
  const r = mtl("compile", src, "-o", "mm.onnx", "--weights", weights);
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const image = () =>
  join(
    images,
    readdirSync(images).find((f) => f.endsWith(".png"))!,
  );

function usageError(args: string[], ...texts: string[]): void {
  const r = mtl(...args);
  expect(r.code, r.err).toBe(2);
  for (const t of texts) expect(r.err).toContain(t);
  expect(r.err).not.toMatch(STACK_TRACE);
}

describe("--accept-unreliable-latency needs --latency", () => {
  it.each([[["search", "mm.onnx"]], [["run", "mm.onnx", "--random"]]])("refuses it alone in %j", (args) =>
    usageError([...args, "--accept-unreliable-latency"], "--accept-unreliable-latency goes with --latency"),
  );
});

describe("run --config plans nothing", () => {
  const run = ["run", "mm.onnx", "--random", "--config", "features=0.5"];
  it.each([
    [["--latency", "missing.json"], "--latency"],
    [["--profile", "missing.json"], "--profile"],
    [["--objective", "chebyshev"], "--objective"],
    [["--accept-unreliable-latency"], "--accept-unreliable-latency"],
  ])("refuses %j", (more, flag) => usageError([...run, ...more], `give either --config or ${flag}, not both`));
  it("refuses --seed without --random, which seeds nothing then", () =>
    usageError(
      ["run", "mm.onnx", "--input", image(), "--config", "features=0.5", "--seed", "3"],
      "--seed",
      "--random",
    ));
  it("keeps --seed with --random, and --seed for planning", () => {
    expect(mtl(...run, "--seed", "3").code).toBe(0);
    expect(mtl("run", "mm.onnx", "--input", image(), "--seed", "3").code).toBe(0);
  });
});

describe("report", () => {
  it("refuses --profile with --data", () =>
    usageError(["report", "mm.onnx", "-o", "r", "--profile", "p.json", "--data", "d"], "--data or --profile"));
  it.each([
    ["--configs", "all"],
    ["--split", "test"],
    ["--batches", "2"],
    ["--samples", "5"],
    ["--batch-size", "4"],
    ["--threads", "1"],
    ["--provider", "cpu"],
    ["--source", "m.mtl"],
    ["--root", "."],
  ])("refuses %s without --data", (flag, value) =>
    usageError(["report", "mm.onnx", "-o", "r", flag, value], flag, "--data"),
  );
  it("checks --configs before measuring", () =>
    usageError(["report", "mm.onnx", "-o", "r", "--data", "no-such-data", "--configs", "bogus"], "--configs takes"));
  it("checks --seed before measuring", () =>
    usageError(["report", "mm.onnx", "-o", "r", "--data", "no-such-data", "--seed", "abc"], "--seed"));
});

describe("compile", () => {
  it("refuses --prefer without --budget, and with --config", () => {
    usageError(["compile", src, "-o", "x.onnx", "--prefer", "left=5"], "--prefer", "--budget");
    usageError(
      ["compile", src, "-o", "x.onnx", "--prefer", "left=5", "--config", "features=0.5"],
      "give either --config or --prefer",
    );
  });
  it.each([
    ["--threads", "0"],
    ["--calibration-samples", "0"],
    ["--check-samples", "3"],
    ["--calibration-method", "percentile"],
    ["--percentile", "99"],
    ["--calibrate-configs", "all"],
  ])("refuses %s without --quantize", (flag, value) =>
    usageError(["compile", src, "-o", "x.onnx", flag, value], flag, "--quantize int8"),
  );
  it("refuses negative seeds, as other commands do", () => {
    usageError(["compile", src, "-o", "x.onnx", "--seed", "-5"], "--seed takes a whole number of at least 0");
    usageError(["export", "torch", src, "-o", "torch", "--seed", "-3"], "--seed takes a whole number of at least 0");
  });
  it("says latency budgets are not for compile", () => {
    const r = mtl("compile", src, "-o", "x.onnx", "--budget", "latency <= 3ms");
    expect(r.code).toBe(2);
    expect(r.err).toContain("macs or params budget");
    expect(r.err).toContain("mtl run");
    expect(r.err).not.toContain("pass a latency table");
  });
  it("keeps --prefer with --budget", () =>
    expect(mtl("compile", src, "-o", "s.onnx", "--budget", "50%", "--prefer", "left=5").code).toBe(0));
});

describe("bad counts and selections are usage errors", () => {
  it.each([
    [["--train", "0"], "--train takes a whole number from 1 to 60000"],
    [["--train", "abc"], "--train takes a whole number from 1 to 60000"],
    [["--test", "10001"], "--test takes a whole number from 1 to 10000"],
  ])("data multimnist %j", (flags, text) => {
    usageError(["data", "multimnist", "-o", "mm-data", ...flags], text);
    expect(readdirSync(dir)).not.toContain("mm-data");
  });

  it.each(["bogus", "1", "0"])("eval --configs %s names the accepted values before reading anything", (value) =>
    usageError(
      ["eval", "mm.onnx", "--data", "no-such-data", "--configs", value],
      `--configs takes factorised, all, pareto or a number N of at least 2, not "${value}"`,
    ),
  );
});

describe("search --seed", () => {
  it.each(["exact", "paper"])("refuses it with --strategy %s, which never draws random numbers", (strategy) =>
    usageError(["search", "mm.onnx", "--strategy", strategy, "--seed", "3"], "--seed", `--strategy ${strategy}`),
  );
  it.each([[["evolutionary"]], [["auto"]], [["exact", "--objective", "chebyshev"]]])(
    "keeps it with --strategy %j",
    (flags) => {
      const r = mtl("search", "mm.onnx", "--budget", "50%", "--strategy", ...flags, "--seed", "3");
      expect(r.code, r.err).toBe(0);
    },
  );
});

describe("serve --routes needs --backend", () => {
  it("refuses --routes alone, which only the router reads, before loading the models", () =>
    usageError(["serve", "no-such-model.onnx", "--routes", "mtl.json"], "--routes goes with --backend"));
  it("checks --backend before loading the models too", () =>
    usageError(["serve", "no-such-model.onnx", "--backend", "http://x"], "--backend http://x is not"));
});
