// Values a model cannot train on are refused, naming the file, the sample and the value: class
// indices outside 0..classes-1 (except the loss's ignore index), NaN or infinite floats, bce
// targets outside [0, 1]. The loader checks each batch as it reads it, `mtl data check` scans
// every shard, and `mtl train` refuses before it writes anything.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isMtlError } from "../../compiler/errors";
import { openDataset, type BatchOptions } from "../../runtime/data/dataset";
import { ShardSource } from "../../runtime/data/shards";
import { firstBadValue, valueRules, type ValueRules } from "../../runtime/data/values";
import { readNpy, writeNpy } from "../../runtime/npy";
import { mtlIn, STACK_TRACE } from "../helpers/cli";
import { SMALL_MULTIMNIST, smallMultiMnist } from "../helpers/train-fixture";

const work = mkdtempSync(join(tmpdir(), "mtl-values-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const classes = (n: number, ignore: number | null = null) => ({
  kind: "classes" as const,
  task: "t",
  classes: n,
  ignore,
});

describe("firstBadValue", () => {
  it("finds class indices out of range, keeping the ignore index", () => {
    expect(firstBadValue(BigInt64Array.from([0n, 9n, 3n]), classes(10))).toBeNull();
    expect(firstBadValue(BigInt64Array.from([0n, 9n, 10n]), classes(10))).toEqual({ at: 2, value: "10" });
    expect(firstBadValue(BigInt64Array.from([1n, -3n]), classes(10))).toEqual({ at: 1, value: "-3" });
    expect(firstBadValue(BigInt64Array.from([255n, 2n]), classes(10, 255))).toBeNull();
    expect(firstBadValue(BigInt64Array.from([-100n, 2n]), classes(10, -100))).toBeNull();
    expect(firstBadValue(BigInt64Array.from([1n, -1n]), classes(10, -100))).toEqual({ at: 1, value: "-1" });
    // beyond 32 bits: the low half alone would look like class 1
    expect(firstBadValue(BigInt64Array.from([(1n << 40n) + 1n]), classes(10))).toEqual({
      at: 0,
      value: String((1n << 40n) + 1n),
    });
    expect(firstBadValue(BigInt64Array.from([(1n << 40n) + 255n]), classes(10, 255))).not.toBeNull();
  });

  it("finds NaN and infinities in floats, and bce targets outside [0, 1]", () => {
    const finite = { kind: "finite" as const };
    const unit = { kind: "unit" as const, task: "t" };
    expect(firstBadValue(Float32Array.from([0, -1e30, 3]), finite)).toBeNull();
    expect(firstBadValue(Float32Array.from([0, NaN]), finite)).toEqual({ at: 1, value: "NaN" });
    expect(firstBadValue(Float32Array.from([-Infinity]), finite)).toEqual({ at: 0, value: "-Infinity" });
    expect(firstBadValue(Float32Array.from([0, 1, 0.5]), unit)).toBeNull();
    expect(firstBadValue(Float32Array.from([0, 1.5]), unit)).toEqual({ at: 1, value: "1.5" });
    expect(firstBadValue(Float32Array.from([NaN]), unit)).toEqual({ at: 0, value: "NaN" });
  });
});

/** Two shards of 3 samples: x float32 [2], label int64 [], mask int64 [2, 2] (ignore 255), p float32 [] (bce). */
function dataset(name: string, edit: (f: Record<string, Float32Array | BigInt64Array>[]) => void): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "train"), { recursive: true });
  const shards = [0, 1].map(() => ({
    x: new Float32Array(6).fill(0.5),
    label: BigInt64Array.from([1n, 2n, 3n]),
    mask: new BigInt64Array(12).fill(255n),
    p: new Float32Array(3).fill(1),
  }));
  edit(shards);
  const shape = { x: [2], label: [], mask: [2, 2], p: [] } as Record<string, number[]>;
  const files = shards.map((s, k) => {
    const names: Record<string, string> = {};
    for (const [field, data] of Object.entries(s)) {
      names[field] = `train/${field}-${k}.npy`;
      writeFileSync(join(dir, names[field]), writeNpy(data, [3, ...shape[field]]));
    }
    return { samples: 3, files: names };
  });
  const manifest = {
    format: "mtl-dataset",
    version: 1,
    inputs: { x: { dtype: "float32", shape: [2] } },
    targets: {
      label: { dtype: "int64", shape: [] },
      mask: { dtype: "int64", shape: [2, 2] },
      p: { dtype: "float32", shape: [] },
    },
    splits: { train: { samples: 6, shards: files } },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

const RULES: ValueRules = {
  x: { kind: "finite" },
  label: { kind: "classes", task: "label", classes: 4, ignore: null },
  mask: { kind: "classes", task: "mask", classes: 3, ignore: 255 },
  p: { kind: "unit", task: "p" },
};

async function readAll(dir: string, values: ValueRules = RULES): Promise<number> {
  const ds = await openDataset(dir);
  const o: BatchOptions = { split: "train", batchSize: 2, shuffle: true, seed: 1, epoch: 0, values };
  let n = 0;
  for await (const b of ds.batches(o)) n += b.size;
  return n;
}

async function refusal(p: Promise<unknown>): Promise<Error & { code: string; hint?: string }> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(isMtlError(e), String(e)).toBe(true);
  return e as Error & { code: string; hint?: string };
}

describe("the loader and the scan", () => {
  it("read a clean data set (the ignore index kept) and refuse a value naming file, sample and value", async () => {
    const clean = dataset("clean", () => undefined);
    expect(await readAll(clean)).toBe(6);
    await (await openDataset(clean)).scan("train", RULES);

    const cases: [string, (f: Record<string, Float32Array | BigInt64Array>[]) => void, RegExp][] = [
      [
        "label42",
        (f) => (f[1].label[2] = 42n),
        /train\/label-1\.npy, sample 2 \(sample 5 of split `train`\): `label` holds 42, .*0 to 3/,
      ],
      ["negative", (f) => (f[0].label[0] = -3n), /train\/label-0\.npy, sample 0 .*`label` holds -3/],
      [
        "mask",
        (f) => (f[1].mask[4 + 3] = 254n),
        /train\/mask-1\.npy, sample 1 .*`mask` holds 254 at position \[1, 1\].*0 to 2.*ignore index 255/,
      ],
      ["nan", (f) => (f[0].x[3] = NaN), /train\/x-0\.npy, sample 1 .*`x` holds NaN/],
      ["bce", (f) => (f[1].p[0] = 2), /train\/p-1\.npy, sample 0 .*`p` holds 2, .*from 0 to 1/],
    ];
    for (const [name, edit, message] of cases) {
      const dir = dataset(name, edit);
      const viaBatches = await refusal(readAll(dir));
      expect(viaBatches.code).toBe("MTL-DATA-009");
      expect(viaBatches.message).toMatch(message);
      expect(viaBatches.message).toContain(dir);
      const viaScan = await refusal(openDataset(dir).then((ds) => ds.scan("train", RULES)));
      expect(viaScan.message).toBe(viaBatches.message);
      expect(viaScan.hint).toBeTruthy();
    }
  });

  it("scans in bounded reads, not the whole split at once", async () => {
    const dir = join(work, "many");
    mkdirSync(join(dir, "train"), { recursive: true });
    const n = 2_000_000; // 16 MB of int64 labels in one shard
    writeFileSync(join(dir, "train/label.npy"), writeNpy(new BigInt64Array(n), [n]));
    writeFileSync(join(dir, "train/x.npy"), writeNpy(new Uint8Array(n), [n]));
    const files = { label: "train/label.npy", x: "train/x.npy" };
    const manifest = {
      format: "mtl-dataset",
      version: 1,
      inputs: { x: { dtype: "uint8", shape: [] } },
      targets: { label: { dtype: "int64", shape: [] } },
      splits: { train: { samples: n, shards: [{ samples: n, files }] } },
    };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    const read = vi.spyOn(ShardSource.prototype, "read");
    try {
      await (await openDataset(dir)).scan("train", { label: classes(10) });
      const sizes = read.mock.calls.map(([, indices]) => indices.length);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(Math.max(...sizes) * 8).toBeLessThanOrEqual(4 << 20);
    } finally {
      read.mockRestore();
    }
  });

  it("take their rules from the model: classes, ignore index, bce, float inputs", () => {
    const m = JSON.parse(
      readFileSync(
        join(
          dataset("rules", () => undefined),
          "manifest.json",
        ),
        "utf8",
      ),
    );
    const spec = {
      inputs: [{ name: "x", dtype: "f32", shape: ["N", 2] }],
      tasks: [
        { name: "label", loss: "cross_entropy" as const, outputShape: ["N", 4] },
        { name: "mask", loss: "cross_entropy" as const, outputShape: ["N", 3, 2, 2], classAxis: 1, ignoreIndex: 255 },
        { name: "p", loss: "bce" as const, outputShape: ["N"] },
      ],
    };
    expect(valueRules(m, spec)).toEqual(RULES);
    expect(valueRules(m, spec, [])).toEqual({ x: { kind: "finite" } });
    expect(valueRules(m)).toEqual({ x: { kind: "finite" }, p: { kind: "finite" } });
  });
});

describe("mtl data check and mtl train", () => {
  let bad = "";
  let good = "";
  const mtl = mtlIn(work, 120_000);
  beforeAll(async () => {
    good = await smallMultiMnist();
    bad = join(work, "mm42");
    cpSync(good, bad, { recursive: true });
    const file = join(bad, "train/left-00000.npy");
    const a = readNpy(new Uint8Array(readFileSync(file)));
    (a.data as BigInt64Array)[1717] = 42n;
    writeFileSync(file, writeNpy(a.data as BigInt64Array, a.shape));
    writeFileSync(join(work, "mm.mtl"), SMALL_MULTIMNIST);
  }, 60_000);

  it("data check names the label out of range; train refuses before writing anything", () => {
    const check = mtl("data", "check", bad, "--model", "mm.mtl");
    expect(check.code).toBe(1);
    expect(check.out).not.toMatch(/ok/);
    expect(check.err).toMatch(
      /error MTL-DATA-009: .*train\/left-00000\.npy, sample 1717 \(sample 1717 of split `train`\): `left` holds 42/,
    );
    expect(check.err).not.toMatch(STACK_TRACE);
    expect(mtl("data", "check", good, "--model", "mm.mtl").code).toBe(0);

    const run = mtl("train", "mm.mtl", "--data", bad, "-o", "run42", "--steps", "3", "--threads", "1");
    expect(run.code, run.err).toBe(1);
    expect(run.err).toMatch(/error MTL-DATA-009: .*left-00000\.npy, sample 1717/);
    expect(run.err).not.toMatch(STACK_TRACE);
    expect(existsSync(join(work, "run42"))).toBe(false);
  });
});
