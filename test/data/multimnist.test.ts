// `mtl data multimnist` on a small subset: the layout of docs/data.md, bytes fixed by the seed, and
// every pair checked against MNIST by an independent oracle (numpy + torch's nearest resize).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { writeNpy } from "../../runtime/npy";
import { main } from "../../cli/main";
import { mnistDataDir } from "../../runtime/data/multimnist";
import { openDataset } from "../../runtime/data/dataset";

const work = mkdtempSync(join(tmpdir(), "mtl-mm-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const build = async (name: string, seed: number) => {
  const code = await main([
    "data",
    "multimnist",
    "-o",
    join(work, name),
    "--seed",
    String(seed),
    "--train",
    "500",
    "--test",
    "100",
  ]);
  expect(code).toBe(0);
  return join(work, name);
};
const files = (dir: string) => [
  "manifest.json",
  ...["train", "test"].flatMap((s) =>
    readdirSync(join(dir, s))
      .sort()
      .map((f) => `${s}/${f}`),
  ),
];

// For each pair: find the partner by brute force over the subset, composing with numpy/torch.
const ORACLE = `
import sys, json, numpy as np, torch, torch.nn.functional as F
mnist, data = sys.argv[1], sys.argv[2]
# torch's nearest resize 36 -> 28, as the source index of each output row/column
idx = F.interpolate(torch.arange(36.0)[None, None, None, :].repeat(1, 1, 36, 1), size=(28, 28), mode="nearest")[0, 0, 0].long().numpy()

def check(split, n):
  pre = "train" if split == "train" else "t10k"
  imgs = np.frombuffer(open(f"{mnist}/{pre}-images-idx3-ubyte", "rb").read()[16:], dtype=np.uint8).reshape(-1, 28, 28)[:n]
  labs = np.frombuffer(open(f"{mnist}/{pre}-labels-idx1-ubyte", "rb").read()[8:], dtype=np.uint8)[:n]
  x, left, right = (np.load(f"{data}/{split}/{field}-00000.npy") for field in ("image", "left", "right"))
  assert x.shape == (n, 1, 28, 28) and x.dtype == np.uint8 and left.dtype == np.int64 and right.shape == (n,)
  bad = 0
  for i in range(n):
      canvas = np.zeros((n, 36, 36), dtype=np.uint8)
      canvas[:, 0:28, 0:28] = imgs[i]
      canvas[:, 6:34, 6:34] = np.maximum(canvas[:, 6:34, 6:34], imgs)
      small = canvas[:, idx][:, :, idx]
      hits = [j for j in np.nonzero((small == x[i, 0]).all(axis=(1, 2)))[0] if j != i]
      if left[i] != labs[i] or not hits or right[i] not in {int(labs[j]) for j in hits}:
          bad += 1
  return {"bad": bad, "lefts": len(set(left.tolist())), "rights": len(set(right.tolist()))}
print(json.dumps({s: check(s, int(n)) for s, n in [a.split("=") for a in sys.argv[3:]]}))
`;

describe("mtl data multimnist", () => {
  let a = "";
  beforeAll(async () => {
    a = await build("a", 3);
  });

  it("writes the documented layout", async () => {
    expect(files(a)).toEqual([
      "manifest.json",
      "train/image-00000.npy",
      "train/left-00000.npy",
      "train/right-00000.npy",
      "test/image-00000.npy",
      "test/left-00000.npy",
      "test/right-00000.npy",
    ]);
    const ds = await openDataset(a);
    expect(ds.manifest.inputs).toEqual({ image: { dtype: "uint8", shape: [1, 28, 28] } });
    expect(ds.manifest.targets).toEqual({ left: { dtype: "int64", shape: [] }, right: { dtype: "int64", shape: [] } });
    expect([ds.samples("train"), ds.samples("test")]).toEqual([500, 100]);
    expect(readdirSync(work).filter((f) => f.includes("tmp"))).toEqual([]);
  });

  it("writes the same bytes for the same seed, other bytes for another", async () => {
    const b = await build("b", 3);
    const c = await build("c", 4);
    for (const f of files(a)) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    expect(readFileSync(join(c, "train/image-00000.npy")).equals(readFileSync(join(a, "train/image-00000.npy")))).toBe(
      false,
    );
    // the left digits keep MNIST's order whatever the seed
    expect(readFileSync(join(c, "train/left-00000.npy")).equals(readFileSync(join(a, "train/left-00000.npy")))).toBe(
      true,
    );
  });

  it("pairs each digit with a partner whose label is the right target (numpy/torch oracle)", () => {
    const r = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", ORACLE, mnistDataDir(), a, "train=500", "test=100"], {
        encoding: "utf8",
      }),
    );
    expect(r).toEqual({ train: { bad: 0, lefts: 10, rights: 10 }, test: { bad: 0, lefts: 10, rights: 10 } });
  }, 60_000);

  it("`mtl data check` accepts it for examples/multimnist.mtl and names a damaged shard", async () => {
    expect(await main(["data", "check", a, "--model", "examples/multimnist.mtl"])).toBe(0);
    expect(await main(["data", "check", a, "--model", "examples/nyud.mtl"])).toBe(1);
    const d = await build("damaged", 3);
    writeFileSync(join(d, "test/right-00000.npy"), writeNpy(new BigInt64Array(99), [99]));
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main(["data", "check", d])).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join("")).toContain("test/right-00000.npy has shape [99]");
    } finally {
      err.mockRestore();
    }
  });

  it("refuses a non-empty output folder and bad counts, leaving nothing behind", async () => {
    const full = join(work, "full");
    mkdirSync(full);
    writeFileSync(join(full, "keep.txt"), "x");
    expect(await main(["data", "multimnist", "-o", full, "--train", "10", "--test", "10"])).toBe(1);
    expect(readdirSync(full)).toEqual(["keep.txt"]);
    expect(await main(["data", "multimnist", "-o", join(work, "big"), "--train", "70000", "--test", "10"])).toBe(2); // usage
    expect(await main(["data", "multimnist", "-o", join(work, "neg"), "--train", "-3"])).toBe(2);
    expect(existsSync(join(work, "big"))).toBe(false);
    expect(readdirSync(work).filter((f) => f.includes("tmp"))).toEqual([]);
  });
});
