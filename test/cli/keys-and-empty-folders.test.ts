// A key or input given twice is a usage error (not silently the last value); a failing `mtl run -o`,
// `mtl train -o`, `mtl export torch -o` or `mtl playground --build` leaves no empty folder it created
// (but keeps one that existed); `mtl data check --model` prints "ok" only when the model was read and
// the data fits it.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { MTL_BIN, mtlIn, STACK_TRACE } from "../helpers/cli";
import { SMALL_MULTIMNIST } from "../helpers/train-fixture";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-keys-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const mtl = mtlIn(work);
const example = join(root, "examples", "multimnist.mtl");
const weights = join(root, "examples", "trained", "multimnist", "weights.safetensors");
const [png0, png1] = ["0000", "0001"].map((n) =>
  join(root, "examples", "trained", "multimnist", "digits", "test", "image", `${n}.png`),
);
const onnx = join(work, "mm.onnx");
const data = join(work, "data");
const small = join(work, "small.mtl");

beforeAll(async () => {
  const c = mtl("compile", example, "-o", onnx, "--weights", weights);
  expect(c.code, c.err).toBe(0);
  await buildMultiMnist({ output: data, seed: 0, train: 64, test: 16 });
  writeFileSync(small, SMALL_MULTIMNIST.replace("batch 50", "batch 16"));
}, 60_000);

const usage = (r: { code: number | null; err: string }, pattern: RegExp) => {
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(STACK_TRACE);
};

describe("a key given twice", () => {
  it("is refused by run --config, compile --config and search --prefer, naming the key", () => {
    usage(mtl("run", onnx, "--random", "--config", "features=0.25,features=1"), /--config gives `features` twice/);
    usage(
      mtl("compile", example, "-o", join(work, "x.onnx"), "--config", "left=0.25,left=1"),
      /--config gives `left` twice/,
    );
    expect(existsSync(join(work, "x.onnx"))).toBe(false);
    usage(mtl("search", onnx, "--prefer", "left=1,left=3"), /--prefer gives `left` twice/);
    usage(mtl("run", onnx, "--random", "--budget", "60%", "--prefer", "left=1,left=1"), /--prefer gives `left`/);
    usage(mtl("run", onnx, "--random", "--preload", "left=0.5,left=1"), /--preload gives `left` twice/);
  });

  it("still runs each key given once", () => {
    const r = mtl("run", onnx, "--random", "--config", "features=0.25,left=1", "--json");
    expect(r.code, r.err).toBe(0);
  });

  it("refuses one input given twice, once by its default name", () => {
    usage(mtl("run", onnx, "--input", png0, "--input", `image=${png1}`), /--input gives input `image` twice/);
    usage(mtl("run", onnx, "--input", png0, "--input", png1), /--input gives input `image` twice/);
  });
});

describe("a failing command leaves no empty output folder", () => {
  it("run: an infeasible budget or an unknown task removes the -o folder it created", () => {
    const out1 = join(work, "out1");
    const r1 = mtl("run", onnx, "--input", png0, "-o", out1, "--budget", "5%");
    expect(r1.code, r1.err).toBe(1);
    expect(existsSync(out1)).toBe(false);
    const out2 = join(work, "out2", "nested");
    const r2 = mtl("run", onnx, "--input", png0, "-o", out2, "--tasks", "left,nope");
    expect(r2.code, r2.err).toBe(1);
    expect(existsSync(join(work, "out2"))).toBe(false); // the parents it made too
  });

  it("run: a folder that existed before is kept, and a successful run writes into a new one", () => {
    const kept = join(work, "kept");
    mkdirSync(kept);
    expect(mtl("run", onnx, "--input", png0, "-o", kept, "--tasks", "left,nope").code).toBe(1);
    expect(existsSync(kept)).toBe(true);
    const fresh = join(work, "fresh");
    const ok = mtl("run", onnx, "--input", png0, "-o", fresh);
    expect(ok.code, ok.err).toBe(0);
    expect(readdirSync(fresh).sort()).toEqual(["left.npy", "right.npy"]);
  });

  it("train: bad --threads, no train split, --resume with no checkpoint, --provider cuda", () => {
    const noTrain = join(work, "no-train");
    mkdirSync(noTrain);
    const manifest = JSON.parse(readFileSync(join(data, "manifest.json"), "utf8"));
    delete manifest.splits.train;
    writeFileSync(join(noTrain, "manifest.json"), JSON.stringify(manifest));
    cpSync(join(data, "test"), join(noTrain, "test"), { recursive: true });
    const cases: [string[], number][] = [
      [["--data", data, "--threads", "0"], 2],
      [["--data", noTrain], 1],
      [["--data", data, "--resume"], 1],
      [["--data", data, "--provider", "cuda"], 1],
    ];
    for (const [i, [flags, code]] of cases.entries()) {
      const run = join(work, `run${i}`);
      const r = mtl("train", small, "-o", run, "--steps", "2", "--threads", "1", ...flags);
      if (flags.includes("cuda") && r.code === 0) continue; // a CUDA build trains
      expect(r.code, `${flags.join(" ")}: ${r.err}`).toBe(code);
      expect(r.err).not.toMatch(STACK_TRACE);
      expect(existsSync(run), flags.join(" ")).toBe(false);
    }
  }, 60_000);

  it("export torch: a write that fails (a file size limit here) removes the -o folder it created", () => {
    const pkg = join(work, "torch", "nested");
    // ulimit -f 1: every file over 1 kB fails to write (EFBIG), as on a full disk
    const r = spawnSync(
      "sh",
      ["-c", 'ulimit -f 1; exec "$0" "$@"', process.execPath, MTL_BIN, "export", "torch"].concat([example, "-o", pkg]),
      { cwd: work, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot write .*EFBIG/);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(existsSync(join(work, "torch"))).toBe(false);
  });

  it("playground --build: a build that fails removes the folder it created", async () => {
    vi.doMock("vite", () => ({ build: () => Promise.reject(new Error("the build broke")) }));
    try {
      const { buildPlayground } = await import("../../cli/playground");
      const site = join(work, "site", "nested");
      await expect(buildPlayground(site, { verbose: false })).rejects.toThrow("the build broke");
      expect(existsSync(join(work, "site"))).toBe(false);
    } finally {
      vi.doUnmock("vite");
    }
  });
});

describe("mtl data check --model", () => {
  it("prints ok only when the model is read and the data fits it", () => {
    const good = mtl("data", "check", data, "--model", small);
    expect(good.code, good.err).toBe(0);
    expect(good.out).toMatch(/: ok \(/);
    expect(good.out).toMatch(/feeds model MM/);

    const missing = mtl("data", "check", data, "--model", join(work, "nope.mtl"));
    expect(missing.code).toBe(1);
    expect(missing.out).toBe("");

    const misfit = join(work, "misfit.mtl");
    writeFileSync(misfit, SMALL_MULTIMNIST.replace("f32[N, 1, 28, 28]", "f32[N, 3, 28, 28]"));
    const r = mtl("data", "check", data, "--model", misfit);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/MTL-DATA-005/);
    expect(r.out).toBe("");
  });
});
