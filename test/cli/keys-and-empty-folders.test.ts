// A key or input given twice is a usage error (not silently the last value).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { mtlIn, STACK_TRACE } from "../helpers/cli";
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
