// The streaming loader: order, shuffling and augmentation fixed by the seed, reading ahead by at
// most `prefetch` batches, normalisation, both layouts, and clear errors for broken data sets.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it, vi } from "vitest";
import { writeNpy } from "../../runtime/npy";
import { openDataset, type Batch, type BatchOptions } from "../../runtime/data/dataset";
import { ShardSource } from "../../runtime/data/shards";
import { checkDataFitsModel, modelDataSpec } from "../../runtime/data/check";
import { isMtlError } from "../../compiler/errors";
import { expectClean } from "../helpers/check";

const work = mkdtempSync(join(tmpdir(), "mtl-loader-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const H = 4;
const W = 5;
/** Sample i's image: pixel (y, x) = 10 * i + 2 * y + x (mod 256), so the sample and position are readable back. */
const pixel = (i: number, y: number, x: number) => (10 * i + 2 * y + x) % 256;

/** A data set of `sizes.length` shards: image uint8 [1, H, W], label int64 = index, mask int64 [H, W] = the image. */
function makeShards(name: string, sizes: number[]): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "train"), { recursive: true });
  const shards = [];
  let at = 0;
  for (const [k, n] of sizes.entries()) {
    const img = new Uint8Array(n * H * W);
    const mask = new BigInt64Array(n * H * W);
    const label = new BigInt64Array(n);
    for (let s = 0; s < n; s++) {
      label[s] = BigInt(at + s);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          img[s * H * W + y * W + x] = pixel(at + s, y, x);
          mask[s * H * W + y * W + x] = BigInt(pixel(at + s, y, x));
        }
    }
    const f = (field: string) => `train/${field}-${k}.npy`;
    writeFileSync(join(dir, f("image")), writeNpy(img, [n, 1, H, W]));
    writeFileSync(join(dir, f("label")), writeNpy(label, [n]));
    writeFileSync(join(dir, f("mask")), writeNpy(mask, [n, H, W]));
    shards.push({ samples: n, files: { image: f("image"), label: f("label"), mask: f("mask") } });
    at += n;
  }
  const manifest = {
    format: "mtl-dataset",
    version: 1,
    inputs: { image: { dtype: "uint8", shape: [1, H, W] } },
    targets: { label: { dtype: "int64", shape: [] }, mask: { dtype: "int64", shape: [H, W] } },
    splits: { train: { samples: at, shards } },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

async function collect(dir: string, o: Partial<BatchOptions> = {}): Promise<Batch[]> {
  const ds = await openDataset(dir);
  const out: Batch[] = [];
  for await (const b of ds.batches({ split: "train", batchSize: 4, shuffle: false, seed: 0, epoch: 0, ...o }))
    out.push(b);
  return out;
}
const labels = (bs: Batch[]) => bs.flatMap((b) => Array.from(b.targets.label.data as BigInt64Array, Number));

async function expectDataError(p: Promise<unknown>, code: string, ...mentions: string[]) {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isMtlError(e), String(e)).toBe(true);
  expect((e as { code: string }).code).toBe(code);
  for (const m of mentions) expect(`${(e as Error).message} ${(e as { hint?: string }).hint ?? ""}`).toContain(m);
}

describe("loader", () => {
  const dir = makeShards("plain", [7, 6]);

  it("reads samples in order across shards, in batches", async () => {
    const bs = await collect(dir);
    expect(bs.map((b) => b.size)).toEqual([4, 4, 4, 1]);
    expect(labels(bs)).toEqual([...Array(13).keys()]);
    expect(bs[0].inputs.image.dims).toEqual([4, 1, H, W]);
    expect(bs[0].inputs.image.dtype).toBe("float32");
    expect(bs[0].targets.label).toMatchObject({ dims: [4], dtype: "int64" });
    expect(bs[0].targets.mask.dims).toEqual([4, H, W]);
    // uint8 images are scaled to [0, 1]
    const img = bs[1].inputs.image.data as Float32Array;
    expect(img[2 * W + 3]).toBeCloseTo(pixel(4, 2, 3) / 255, 7);
    expect(labels(await collect(dir, { dropLast: true }))).toEqual([...Array(12).keys()]);
    expect(labels(await collect(dir, { limit: 5 }))).toEqual([0, 1, 2, 3, 4]);
  });

  it("shuffles by seed and epoch: a permutation each epoch, the same for the same seed", async () => {
    const e0 = labels(await collect(dir, { shuffle: true, seed: 5, epoch: 0 }));
    const e1 = labels(await collect(dir, { shuffle: true, seed: 5, epoch: 1 }));
    expect([...e0].sort((a, b) => a - b)).toEqual([...Array(13).keys()]);
    expect([...e1].sort((a, b) => a - b)).toEqual([...Array(13).keys()]);
    expect(e0).not.toEqual(e1);
    expect(e0).not.toEqual([...Array(13).keys()]);
    expect(labels(await collect(dir, { shuffle: true, seed: 5, epoch: 0 }))).toEqual(e0);
    expect(labels(await collect(dir, { shuffle: true, seed: 6, epoch: 0 }))).not.toEqual(e0);
    // each image still belongs to its label
    for (const b of await collect(dir, { shuffle: true, seed: 5, epoch: 0 }))
      for (let s = 0; s < b.size; s++)
        expect(Math.round((b.inputs.image.data as Float32Array)[s * H * W] * 255)).toBe(
          pixel(Number((b.targets.label.data as BigInt64Array)[s]), 0, 0),
        );
  });

  it("normalises with the model's mean and std after scaling", async () => {
    const [b] = await collect(dir, { normalize: { image: { mean: [0.5], std: [0.25] } } });
    expect((b.inputs.image.data as Float32Array)[7]).toBeCloseTo((pixel(0, 1, 2) / 255 - 0.5) / 0.25, 5);
    await expectDataError(
      collect(dir, { normalize: { image: { mean: [0.5, 0.5], std: [1, 1] } } }),
      "MTL-DATA-005",
      "image",
      "channels",
    );
  });

  it("crops with zero padding and flips, the same way for the image and a dense target, reproducibly", async () => {
    const augment = { cropPadding: 2, hflip: true };
    const bs = await collect(dir, { augment, seed: 3 });
    const seen = new Set<string>();
    for (const b of bs)
      for (let s = 0; s < b.size; s++) {
        const i = Number((b.targets.label.data as BigInt64Array)[s]);
        const img = Array.from((b.inputs.image.data as Float32Array).subarray(s * H * W, (s + 1) * H * W), (v) =>
          Math.round(v * 255),
        );
        const mask = Array.from((b.targets.mask.data as BigInt64Array).subarray(s * H * W, (s + 1) * H * W), Number);
        expect(mask).toEqual(img); // the target moved with the image (both fill with 0)
        // brute force: which crop offset and flip give this image?
        const matches: string[] = [];
        for (let dy = 0; dy <= 4; dy++)
          for (let dx = 0; dx <= 4; dx++)
            for (const flip of [false, true]) {
              const want: number[] = [];
              for (let y = 0; y < H; y++)
                for (let x = 0; x < W; x++) {
                  const sy = y + dy - 2;
                  const sx = (flip ? W - 1 - x : x) + dx - 2;
                  want.push(sy >= 0 && sy < H && sx >= 0 && sx < W ? pixel(i, sy, sx) : 0);
                }
              if (want.join() === img.join()) matches.push(`${dy},${dx},${flip}`);
            }
        expect(matches.length, `sample ${i}`).toBeGreaterThan(0);
        seen.add(matches[0]);
      }
    expect(seen.size).toBeGreaterThan(5);
    const again = await collect(dir, { augment, seed: 3 });
    expect(again.map((b) => Array.from(b.inputs.image.data as Float32Array))).toEqual(
      bs.map((b) => Array.from(b.inputs.image.data as Float32Array)),
    );
    const other = await collect(dir, { augment, seed: 3, epoch: 1 });
    expect(other.map((b) => Array.from(b.inputs.image.data as Float32Array))).not.toEqual(
      bs.map((b) => Array.from(b.inputs.image.data as Float32Array)),
    );
  });

  it("skips an epoch's first batches without reading them, the rest as in the whole epoch", async () => {
    const augment = { cropPadding: 2, hflip: true };
    const whole = await collect(dir, { augment, seed: 3, shuffle: true });
    const read = vi.spyOn(ShardSource.prototype, "read");
    const rest = await collect(dir, { augment, seed: 3, shuffle: true, skip: 2 });
    const fields = 3; // image, label, mask: one read each per batch
    expect(read.mock.calls.length).toBe((whole.length - 2) * fields);
    read.mockRestore();
    const pixels = (bs: Batch[]) => bs.map((b) => Array.from(b.inputs.image.data as Float32Array));
    expect(pixels(rest)).toEqual(pixels(whole.slice(2)));
    expect(labels(rest)).toEqual(labels(whole.slice(2)));
    await expectDataError(collect(dir, { skip: -1 }), "MTL-DATA-006", "skip");
  });

  it("reads at most `prefetch` batches ahead of the caller", async () => {
    const big = makeShards("big", [40]);
    const read = vi.spyOn(ShardSource.prototype, "read");
    try {
      const ds = await openDataset(big);
      const it = ds
        .batches({ split: "train", batchSize: 2, shuffle: true, seed: 1, epoch: 0, prefetch: 2 })
        [Symbol.asyncIterator]();
      await it.next();
      await new Promise((r) => setTimeout(r, 50));
      const fieldsPerBatch = 3;
      expect(read.mock.calls.length).toBeLessThanOrEqual(3 * fieldsPerBatch); // the one handed out + 2 ahead
      expect(read.mock.calls.length).toBeGreaterThanOrEqual(2 * fieldsPerBatch);
      await it.return?.();
    } finally {
      read.mockRestore();
    }
  });

  it("reads only what a batch needs, not whole shards", async () => {
    const big = makeShards("bytes", [40]);
    const ds = await openDataset(big);
    const sizes: number[] = [];
    const orig = ShardSource.prototype.read;
    const spy = vi.spyOn(ShardSource.prototype, "read").mockImplementation(async function (this: ShardSource, f, idx) {
      const out = await orig.call(this, f, idx);
      sizes.push(out.length);
      return out;
    });
    try {
      for await (const b of ds.batches({ split: "train", batchSize: 3, shuffle: true, seed: 2, epoch: 0, limit: 6 }))
        expect(b.size).toBe(3);
      expect(Math.max(...sizes)).toBe(3 * H * W * 8); // 3 masks of int64, the largest field
    } finally {
      spy.mockRestore();
    }
  });
});

describe("data set errors", () => {
  const broken = (name: string, edit: (dir: string) => void) => {
    const dir = makeShards(name, [3]);
    edit(dir);
    return dir;
  };
  const manifest = (dir: string, m: object) => writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));

  it("names the manifest and the field at fault", async () => {
    await expectDataError(openDataset(join(work, "nowhere")), "MTL-DATA-001", "manifest.json", "nowhere");
    await expectDataError(
      openDataset(broken("json", (d) => writeFileSync(join(d, "manifest.json"), "{ nope"))),
      "MTL-DATA-001",
      "not valid JSON",
    );
    await expectDataError(
      openDataset(broken("fmt", (d) => manifest(d, { format: "x", version: 1 }))),
      "MTL-DATA-002",
      "`format`",
    );
    const base = JSON.parse(
      JSON.stringify({
        format: "mtl-dataset",
        version: 1,
        inputs: { image: { dtype: "uint8", shape: [1, H, W] } },
        targets: { label: { dtype: "int64", shape: [] } },
      }),
    );
    await expectDataError(
      openDataset(broken("dtype", (d) => manifest(d, { ...base, inputs: { image: { dtype: "u8", shape: [1] } } }))),
      "MTL-DATA-002",
      "inputs.image.dtype",
    );
    await expectDataError(
      openDataset(
        broken("count", (d) =>
          manifest(d, {
            ...base,
            splits: {
              train: {
                samples: 4,
                shards: [{ samples: 3, files: { image: "train/image-0.npy", label: "train/label-0.npy" } }],
              },
            },
          }),
        ),
      ),
      "MTL-DATA-002",
      "splits.train.samples",
      "hold 3",
    );
    await expectDataError(
      openDataset(
        broken("escape", (d) =>
          manifest(d, {
            ...base,
            splits: {
              train: { samples: 3, shards: [{ samples: 3, files: { image: "../x.npy", label: "train/label-0.npy" } }] },
            },
          }),
        ),
      ),
      "MTL-DATA-002",
      "leaves the data set folder",
    );
    await expectDataError(
      openDataset(
        broken("nofile", (d) =>
          manifest(d, {
            ...base,
            splits: { train: { samples: 3, shards: [{ samples: 3, files: { image: "train/image-0.npy" } }] } },
          }),
        ),
      ),
      "MTL-DATA-002",
      "files.label",
      "missing",
    );
  });

  it("names the shard at fault when a split is read", async () => {
    const ds = await openDataset(broken("missing", (d) => rmSync(join(d, "train/label-0.npy"))));
    await expectDataError(collect(ds.dir), "MTL-DATA-003", "train/label-0.npy", "does not exist");
    await expectDataError(
      collect(
        broken("wrongtype", (d) => writeFileSync(join(d, "train/label-0.npy"), writeNpy(new Float32Array(3), [3]))),
      ),
      "MTL-DATA-004",
      "train/label-0.npy",
      "<f4",
      "int64",
    );
    await expectDataError(
      collect(
        broken("wrongshape", (d) => writeFileSync(join(d, "train/label-0.npy"), writeNpy(new BigInt64Array(4), [4]))),
      ),
      "MTL-DATA-004",
      "train/label-0.npy",
      "[4]",
      "[3]",
    );
    await expectDataError(
      collect(
        broken("short", (d) =>
          truncateSync(join(d, "train/image-0.npy"), statSync(join(d, "train/image-0.npy")).size - 5),
        ),
      ),
      "MTL-DATA-004",
      "truncated",
    );
    await expectDataError(
      collect(broken("garbage", (d) => writeFileSync(join(d, "train/mask-0.npy"), "hello"))),
      "MTL-DATA-004",
      "train/mask-0.npy",
      "not a .npy",
    );
    await expectDataError(collect(dirOf("plainsplit"), { split: "val" }), "MTL-DATA-006", "`val`", "train");
    await expectDataError(collect(dirOf("badbatch"), { batchSize: 0 }), "MTL-DATA-006", "batch size");
    await expectDataError(
      collect(dirOf("badnorm"), { normalize: { label: { mean: [0], std: [1] } } }),
      "MTL-DATA-006",
      "`label`",
    );
    const tokens = dirOf("tokens");
    const m = JSON.parse(readFileSync(join(tokens, "manifest.json"), "utf8"));
    m.inputs.image.shape = [H * W];
    m.targets = {};
    for (const sh of m.splits.train.shards) sh.files = { image: sh.files.image };
    writeFileSync(join(tokens, "manifest.json"), JSON.stringify(m));
    writeFileSync(join(tokens, "train/image-0.npy"), writeNpy(new Uint8Array(2 * H * W), [2, H * W]));
    await expectDataError(
      collect(tokens, { augment: { cropPadding: 2, hflip: false } }),
      "MTL-DATA-006",
      "augmentation needs an image input",
    );
  });
});

function dirOf(name: string): string {
  return makeShards(name, [2]);
}

describe("data against a model", () => {
  const graph = (input: string, head: string, loss = "cross_entropy") =>
    expectClean(`model M {
  input image: ${input}
  encoder e = image |> conv(8, k: 3) |> relu
  task label { head ${head} loss ${loss} }
}`).graphs[0];
  const gap = "e |> global_avgpool |> flatten |> fixed linear(13)";

  it("accepts a fitting data set and names the input or task that does not fit", async () => {
    const ds = await openDataset(makeShards("fit", [2]));
    const m = ds.manifest;
    checkDataFitsModel(m, modelDataSpec(graph(`f32[N, 1, ${H}, ${W}]`, gap)), "d");
    // no task trained: only the inputs are checked
    checkDataFitsModel(m, modelDataSpec(graph(`f32[N, 1, ${H}, ${W}]`, "fixed conv(e, 3, k: 1)")), "d", []);
    const fail = (input: string, head: string, ...mentions: string[]) => {
      let err: unknown;
      try {
        checkDataFitsModel(
          { ...m, targets: { ...m.targets, label: head.includes("conv") ? m.targets.mask : m.targets.label } },
          modelDataSpec(graph(input, head)),
          "DIR/manifest.json",
        );
      } catch (e) {
        err = e;
      }
      expect(isMtlError(err), `${input} ${head}: ${String(err)}`).toBe(true);
      expect((err as { code: string }).code).toBe("MTL-DATA-005");
      for (const s of ["DIR/manifest.json", ...mentions]) expect((err as Error).message).toContain(s);
    };
    fail(`f32[N, 3, ${H}, ${W}]`, gap, "input `image`", "[1, 4, 5]", "[3, 4, 5]");
    expect(() =>
      checkDataFitsModel(
        { ...m, inputs: { image: { dtype: "int64", shape: [1, H, W] } } },
        modelDataSpec(graph(`f32[N, 1, ${H}, ${W}]`, gap)),
        "d",
      ),
    ).toThrow(/input `image` is int64 in the data set but f32/);
    // per-pixel classes: the mask [H, W] fits a [N, C, H, W] head; a wrong size names the task
    checkDataFitsModel(
      { ...m, targets: { label: m.targets.mask } },
      modelDataSpec(graph(`f32[N, 1, ${H}, ${W}]`, "fixed conv(e, 3, k: 3)")),
      "d",
    );
    fail(`f32[N, 1, ${H}, ${W}]`, "fixed conv(e, 3, k: 3, pad: 0)", "target `label`", "[4, 5]", "[2, 3]");
    let err: unknown;
    try {
      checkDataFitsModel(
        m,
        modelDataSpec(graph(`f32[N, 1, ${H}, ${W}]`, "e |> global_avgpool |> flatten |> fixed linear(1)", "l2")),
        "d",
      );
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain("float32");
  });
});

describe("folders layout", () => {
  const png = (w: number, h: number, value: (x: number, y: number) => number) => {
    const p = new PNG({ width: w, height: h });
    for (let i = 0; i < w * h; i++) p.data.set([value(i % w, Math.floor(i / w)), 0, 0, 255], i * 4);
    return PNG.sync.write(p);
  };
  const make = (name: string, badSize = false) => {
    const dir = join(work, name);
    for (const f of ["image", "seg", "depth"]) mkdirSync(join(dir, "train", f), { recursive: true });
    for (const s of ["b", "a", "c"]) {
      const v = s.charCodeAt(0);
      writeFileSync(
        join(dir, "train/image", `${s}.png`),
        png(badSize && s === "c" ? W + 1 : W, H, (x, y) => v + x + y),
      );
      writeFileSync(
        join(dir, "train/seg", `${s}.png`),
        png(W, H, (x) => x % 3),
      );
      writeFileSync(join(dir, "train/depth", `${s}.npy`), writeNpy(new Float32Array(H * W).fill(v), [1, H, W]));
    }
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify({
        format: "mtl-dataset",
        version: 1,
        layout: "folders",
        inputs: { image: { dtype: "uint8", shape: [1, H, W] } },
        targets: { seg: { dtype: "uint8", shape: [H, W] }, depth: { dtype: "float32", shape: [1, H, W] } },
        splits: { train: { samples: 3 } },
      }),
    );
    return dir;
  };

  it("matches samples by file name, in sorted order", async () => {
    const [b] = await collect(make("folders"));
    expect(b.size).toBe(3);
    const depth = Array.from(b.targets.depth.data as Float32Array).filter((_, i) => i % (H * W) === 0);
    expect(depth).toEqual([97, 98, 99]); // a, b, c
    expect(Math.round((b.inputs.image.data as Float32Array)[H * W + W + 2] * 255)).toBe(98 + 2 + 1);
    expect(b.targets.seg.dtype).toBe("int64");
    expect(
      Array.from(b.targets.seg.data as BigInt64Array)
        .slice(0, W)
        .map(Number),
    ).toEqual([0, 1, 2, 0, 1]);
  });

  it("reads JPEG images too", async () => {
    const dir = make("folders-jpeg");
    const jpeg = (await import("jpeg-js")).default;
    const rgba = Buffer.alloc(W * H * 4, 200);
    rmSync(join(dir, "train/image/a.png"));
    writeFileSync(join(dir, "train/image/a.jpg"), jpeg.encode({ data: rgba, width: W, height: H }, 100).data);
    const [b] = await collect(dir);
    const first = Array.from((b.inputs.image.data as Float32Array).subarray(0, H * W), (v) => Math.round(v * 255));
    for (const v of first) expect(Math.abs(v - 200)).toBeLessThanOrEqual(2);
  });

  it("names a missing sample file or a wrong-sized image", async () => {
    const missing = make("folders-missing");
    rmSync(join(missing, "train/depth/b.npy"));
    await expectDataError(collect(missing), "MTL-DATA-003", "`b`", join("train", "depth"));
    await expectDataError(
      collect(make("folders-size", true)),
      "MTL-DATA-004",
      join("train", "image", "c.png"),
      "6x4",
      "5x4",
    );
  });
});
