// `mtl export torch` as a generator and a command: an op the export cannot write is MTL6001 at its
// source line (and the generated code raises rather than guessing); the command writes the package
// and refuses a file as its output folder without a stack trace.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { prepareModel } from "../../compiler/compile";
import { exportTorch } from "../../compiler/export/torch/index";
import { memoryHost } from "../../compiler/host";
import type { Graph, Node } from "../../compiler/ir/types";
import { mulberry32 } from "../../compiler/weights/init";
import { decodeSafetensors } from "../../compiler/weights/safetensors";
import { stdlibFiles } from "../helpers/check";

const SOURCE = `model Small {
  input image: f32[N, 3, 16, 16]
  widths 0.5, 1.0
  encoder features = image |> conv(16, k: 3) as stem |> relu |> conv(16, k: 3) as body |> relu
  task cls { head features |> gap |> flatten |> fixed linear(4) as fc decode argmax loss cross_entropy }
}
`;

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-export-torch-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function small(): Graph {
  const r = prepareModel("small.mtl", memoryHost({ ...stdlibFiles, "small.mtl": SOURCE }), {});
  if (!r.ok) throw new Error("the small model does not compile");
  return r.prepared.graph;
}

const withNode = (g: Graph, id: string, change: (n: Node) => Node): Graph => ({
  ...g,
  nodes: g.nodes.map((n) => (n.id === id ? change(n) : n)),
});

describe("MTL6001: layers the PyTorch export cannot write", () => {
  it("a clean model exports without diagnostics", () => {
    expect(exportTorch(small(), { entry: "small.mtl" }).diagnostics).toEqual([]);
  });

  it("a grouped (not depthwise) convolution whose channels slim, at its source line", () => {
    const g = withNode(small(), "body", (n) => ({ ...n, attrs: { ...n.attrs, groups: 2 } }));
    const pkg = exportTorch(g, { entry: "small.mtl" });
    expect(pkg.diagnostics).toHaveLength(1);
    const d = pkg.diagnostics[0];
    expect(d.code).toBe("MTL6001");
    expect(d.severity).toBe("error");
    expect([d.span.file, d.span.line]).toEqual(["small.mtl", 4]);
    expect(d.message).toContain("`body` (conv) cannot be exported to PyTorch: a grouped convolution (groups: 2)");
    expect(pkg.files.get("model.py")).toContain('raise NotImplementedError("body: a grouped convolution'); // never a guess
  });

  it("a resize mode PyTorch has no match for", () => {
    const g = small();
    const cubic = (n: Node): Node => ({
      ...n,
      id: "up",
      op: "resize",
      attrs: { scales: [2, 2], mode: "cubic" },
      params: {},
    });
    const bad = exportTorch(withNode(g, "stem", cubic), { entry: "small.mtl" });
    const found = bad.diagnostics.map((d) => [d.code, d.message]);
    expect(found).toEqual([["MTL6001", '`up` (resize) cannot be exported to PyTorch: resize mode "cubic"']]);
  });
});

function mtl(...args: string[]) {
  const env = { ...process.env, NO_COLOR: "1" };
  const r = spawnSync(process.execPath, [join(root, "cli", "bin.js"), ...args], { cwd: work, encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("mtl export torch (the command)", () => {
  it("writes model.py, train.py, README.md and every switchable row of the weights", () => {
    writeFileSync(
      join(work, "small.mtl"),
      SOURCE.replace("conv(16, k: 3) as stem", "conv(16, k: 3) as stem |> bn as stem_bn"),
    );
    const r = mtl("export", "torch", "small.mtl", "-o", "pkg");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("wrote pkg: model.py, train.py, mtl_data.py, README.md, weights.safetensors (class Small)");
    for (const f of ["model.py", "train.py", "mtl_data.py", "README.md"])
      expect(existsSync(join(work, "pkg", f))).toBe(true);
    const model = readFileSync(join(work, "pkg", "model.py"), "utf8");
    expect(model).toContain("# small.mtl:4  encoder features = image |> conv(16, k: 3) as stem"); // source line quoted
    const readme = readFileSync(join(work, "pkg", "README.md"), "utf8");
    expect(readme).toContain("mtl compile small.mtl --weights run/model.safetensors -o model.onnx");
    const weights = decodeSafetensors(new Uint8Array(readFileSync(join(work, "pkg", "weights.safetensors")))).tensors;
    expect(weights.get("stem_bn.running_var")!.shape).toEqual([2, 16]); // one row per width choice
  });

  it("refuses a file as the output folder, without a stack trace", () => {
    writeFileSync(join(work, "afile"), "x");
    const r = mtl("export", "torch", "small.mtl", "-o", "afile");
    expect(r.code).toBe(1);
    expect(r.err).toContain("error MTL-CLI-003: -o afile is a file; it takes a folder to write into");
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("creates no output folder for a source that does not compile", () => {
    writeFileSync(join(work, "broken.mtl"), "model Broken {\n  input x: f32[N, 3\n}\n");
    const r = mtl("export", "torch", "broken.mtl", "-o", "never");
    expect(r.code).toBe(1);
    expect(existsSync(join(work, "never"))).toBe(false);
  });
});

describe("mtl_data.py reads the folders layout of docs/data.md", () => {
  it("RGB and grey PNGs (every filter type pngjs picks) and .npy samples come back as written", () => {
    const data = join(work, "folders");
    const rand = mulberry32(3);
    const [h, w, n] = [6, 7, 3];
    const rgb: number[][] = [];
    const grey: number[][] = [];
    for (const d of ["train/image", "train/seg", "train/depth"]) mkdirSync(join(data, d), { recursive: true });
    for (let i = 0; i < n; i++) {
      const img = new PNG({ width: w, height: h });
      const lab = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      rgb.push(Array.from({ length: 3 * h * w }, () => Math.floor(rand() * 256)));
      grey.push(Array.from({ length: h * w }, () => Math.floor(rand() * 5)));
      for (let p = 0; p < h * w; p++) {
        for (let c = 0; c < 3; c++) img.data[4 * p + c] = rgb[i][c * h * w + p]; // stored [3, H, W]
        img.data[4 * p + 3] = 255;
      }
      lab.data = Buffer.from(grey[i]);
      writeFileSync(join(data, "train/image", `s${i}.png`), PNG.sync.write(img));
      const greyPng = PNG.sync.write(lab, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
      writeFileSync(join(data, "train/seg", `s${i}.png`), greyPng);
      writeFileSync(
        join(data, "train/depth", `s${i}.npy`),
        npyF32(
          [1, h, w],
          Float32Array.from({ length: h * w }, (_, k) => k + i),
        ),
      );
    }
    const manifest = {
      format: "mtl-dataset",
      version: 1,
      layout: "folders",
      inputs: { image: { dtype: "uint8", shape: [3, h, w] } },
      targets: { seg: { dtype: "uint8", shape: [h, w] }, depth: { dtype: "float32", shape: [1, h, w] } },
      splits: { train: { samples: n } },
    };
    writeFileSync(join(data, "manifest.json"), JSON.stringify(manifest));
    const pkg = exportTorch(small(), { entry: "small.mtl" });
    writeFileSync(join(work, "mtl_data.py"), pkg.files.get("mtl_data.py")!);
    const script = [
      "import json, sys",
      "sys.path.insert(0, sys.argv[1])",
      "from mtl_data import Split",
      'rows = Split(sys.argv[2], "train").rows([0, 1, 2])',
      "print(json.dumps({k: [list(v.shape), v.reshape(-1).tolist()] for k, v in rows.items()}))",
    ].join("\n");
    const r = spawnSync("/usr/bin/python3", ["-c", script, work, data], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, [number[], number[]]>;
    expect(got.image).toEqual([[n, 3, h, w], rgb.flat()]);
    expect(got.seg).toEqual([[n, h, w], grey.flat()]);
    expect(got.depth[0]).toEqual([n, 1, h, w]);
    expect(got.depth[1].slice(h * w, h * w + 3)).toEqual([1, 2, 3]);
  });
});

/** A float32 .npy file (format version 1.0). */
function npyF32(shape: number[], data: Float32Array): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  head.set(new TextEncoder().encode(header), 10);
  const out = new Uint8Array(head.length + data.byteLength);
  out.set(head);
  out.set(new Uint8Array(data.buffer), head.length);
  return out;
}

describe("mtl_data.py augmentation", () => {
  it("crops and flips each image with its dense target; padding is 0 for pixels and the ignore index for targets", () => {
    writeFileSync(join(work, "mtl_data.py"), exportTorch(small(), { entry: "small.mtl" }).files.get("mtl_data.py")!);
    const script = [
      "import sys",
      "sys.path.insert(0, sys.argv[1])",
      "import numpy as np",
      "from mtl_data import augment",
      "class Stub:",
      '    INPUTS = {"image": {"dtype": "f32"}}',
      '    TASKS = ["seg", "label"]',
      '    LOSSES = {"seg": {"kind": "cross_entropy", "ignore_index": 255}, "label": None}',
      "img = (np.arange(64 * 16, dtype=np.uint8).reshape(64, 1, 4, 4) % 200) + 1",
      'arrays = {"image": img, "seg": img[:, 0].astype(np.int64), "label": np.arange(64)}',
      'out = augment(Stub, arrays, {"crop_padding": 1, "hflip": True}, np.random.default_rng(0))',
      'seg, im = out["seg"], out["image"][:, 0].astype(np.int64)',
      "assert ((seg == im) | ((seg == 255) & (im == 0))).all(), 'target and image moved apart'",
      "assert (seg == 255).any() and (im == 0).any(), 'no padding seen'",
      "moved = [not np.array_equal(out['image'][i], img[i]) for i in range(64)]",
      "assert 0 < sum(moved) < 64, sum(moved)",
      "assert np.array_equal(out['label'], arrays['label'])",
      "flipped = sum(np.array_equal(out['image'][i, 0, :, ::-1][1:3, 1:3], img[i, 0, 1:3, 1:3]) for i in range(64))",
      "print('ok', sum(moved), flipped)",
    ].join("\n");
    const r = spawnSync("/usr/bin/python3", ["-c", script, work], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok \d+ \d+/);
  });
});
