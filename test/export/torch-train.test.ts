// train.py of `mtl export torch`, run as two DistributedDataParallel ranks over gloo on the CPU,
// launched by hand with the environment torchrun would set (Debian's torchrun fails on Python
// 3.11 here, see docs/export-torch.md), on a tiny generated data set in mtl's format (docs/data.md):
// the loss falls, both ranks end with identical weights, the checkpoint keeps one BatchNorm row
// per width (calibrated, so the rows differ) and loads into `mtl compile --weights`, and the compiled
// ONNX model's accuracy equals train.py's own evaluation. About 10-15 s. --steps 0 calibrates the
// weights given, on a split shorter than one batch as mtl does.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { emitModel, prepareModel } from "../../compiler/compile";
import { exportTorch } from "../../compiler/export/torch/index";
import { DEFAULT_TRAIN } from "../../compiler/train/spec";
import { memoryHost } from "../../compiler/host";
import type { Task } from "../../compiler/ir/types";
import {
  decodeSafetensors,
  encodeSafetensors,
  type SafeTensor as SafeTensorLike,
} from "../../compiler/weights/safetensors";
import { exportWeights } from "../../compiler/weights/load";
import { openDataset } from "../../runtime/data/index";
import { calibrate } from "../../runtime/train/calibrate";
import { feedsOf } from "../../runtime/train/loop";
import { trainingPrograms } from "../../runtime/train/programs";
import { sessionSettings, TrainingSessions } from "../../runtime/train/sessions";
import { TrainState } from "../../runtime/train/step";
import { readNpy } from "../../runtime/npy";
import { stdlibFiles } from "../helpers/check";
import { launchRanks, runPython } from "../helpers/torch-ranks";

const SOURCE = `import { mlp_classifier } from "std/heads/classify"

block tiny(x: tensor) -> tensor {
  y = x |> conv(16, k: 3, bias: false) as conv1 |> bn as bn1 |> relu
  y = y |> conv(32, k: 3, stride: 2, bias: false) as conv2 |> bn as bn2 |> relu
  return y
}

model Tiny {
  input image: f32[N, 1, 8, 8]
  widths 0.25, 0.5, 0.75, 1.0
  encoder features = tiny(image)
  task quadrant { head mlp_classifier(features, classes: 4, hidden: 32) decode argmax loss cross_entropy metric accuracy }
  task half { head mlp_classifier(features, classes: 2, hidden: 16) decode argmax loss cross_entropy metric accuracy }
}
`;

// Two shards of 256 samples (or argv[2]) in the layout of docs/data.md: uint8 8x8 images with a bright 4x4
// quadrant (its index is the \`quadrant\` label) and whether the top half is brighter (\`half\`).
const MAKE_DATA = `
import json, os, sys
import numpy as np
root = sys.argv[1]
rng = np.random.default_rng(0)
os.makedirs(os.path.join(root, "train"), exist_ok=True)
shards = []
n = int(sys.argv[2]) if len(sys.argv) > 2 else 256  # samples per shard
for s in range(2):
    q = rng.integers(0, 4, n)
    img = rng.normal(60, 30, (n, 1, 8, 8))
    for i in range(n):
        r, c = divmod(int(q[i]), 2)
        img[i, 0, r * 4:(r + 1) * 4, c * 4:(c + 1) * 4] += 120
    img = img.clip(0, 255).astype(np.uint8)
    half = (img[:, 0, :4].mean((1, 2)) > img[:, 0, 4:].mean((1, 2))).astype(np.int64)
    files = {}
    for name, a in (("image", img), ("quadrant", q.astype(np.int64)), ("half", half)):
        np.save(os.path.join(root, "train", f"{name}-{s:05d}.npy"), a)
        files[name] = f"train/{name}-{s:05d}.npy"
    shards.append({"samples": n, "files": files})
manifest = {
    "format": "mtl-dataset", "version": 1, "layout": "shards",
    "inputs": {"image": {"dtype": "uint8", "shape": [1, 8, 8]}},
    "targets": {"quadrant": {"dtype": "int64", "shape": []}, "half": {"dtype": "int64", "shape": []}},
    "splits": {"train": {"samples": 2 * n, "shards": shards}},
}
json.dump(manifest, open(os.path.join(root, "manifest.json"), "w"))
`;

const work = mkdtempSync(join(tmpdir(), "mtl-export-torch-train-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("mtl export torch: train.py", () => {
  it("two gloo ranks launched by hand: loss falls, identical weights, checkpoint compiles with --weights", async () => {
    const host = memoryHost({ ...stdlibFiles, "tiny.mtl": SOURCE });
    const r = prepareModel("tiny.mtl", host, {});
    if (!r.ok) throw new Error("the tiny model does not compile");
    const pkg = exportTorch(r.prepared.graph, { entry: "tiny.mtl", sourceOf: (f) => host.readFile(f) });
    const dir = join(work, "pkg");
    mkdirSync(dir);
    for (const [name, text] of pkg.files) writeFileSync(join(dir, name), text);
    const made = await runPython(["-c", MAKE_DATA, join(work, "data")], {}, 30_000);
    expect(made.code, made.out).toBe(0);

    const flags = [
      "--data",
      join(work, "data"),
      "-o",
      join(work, "run"),
      "--steps",
      "40",
      "--batch-size",
      "16",
      "--lr",
      "0.05",
    ];
    flags.push("--distill-features", "1", "--eval-split", "train"); // configuration-invariant distillation on, too
    const ranks = await launchRanks(
      [join(dir, "train.py"), ...flags, "--log-every", "5", "--calibration-batches", "2", "--save-every-rank"],
      50_000,
    );
    for (const x of ranks) expect(x.code, x.out).toBe(0);

    const losses = [...ranks[0].out.matchAll(/^step \d+\/40 {2}loss ([0-9.]+)/gm)].map((m) => Number(m[1]));
    expect(losses.length).toBe(8);
    expect(losses[losses.length - 1], ranks[0].out).toBeLessThan(0.6 * losses[0]);

    const read = (f: string) => decodeSafetensors(new Uint8Array(readFileSync(join(work, "run", f)))).tensors;
    const [a, b, final] = [read("rank0.safetensors"), read("rank1.safetensors"), read("model.safetensors")];
    expect([...a.keys()].sort()).toEqual([...r.prepared.graph.params.keys()].sort());
    for (const [name, t] of a) {
      const values = (x: typeof t | undefined) => Array.from(x!.data as Float32Array);
      expect(values(b.get(name)), `${name} differs between the ranks`).toEqual(values(t));
      expect(values(final.get(name)), name).toEqual(values(t));
    }
    // Calibrated per width: the rows of a switchable statistic differ.
    const mean = final.get("bn1.running_mean")!;
    expect(mean.shape).toEqual([4, 16]);
    const row = (i: number) => Array.from(mean.data as Float32Array).slice(16 * i, 16 * i + 4);
    expect(row(0)).not.toEqual(row(3));

    // PyTorch's own evaluation after calibration: both tasks well above chance (1/4, 1/2).
    const accuracy = (cfg: string, task: string) =>
      Number(new RegExp(`^eval train ${cfg}: ${task} accuracy ([0-9.]+)`, "m").exec(ranks[0].out)?.[1]);
    expect(accuracy("largest", "quadrant"), ranks[0].out).toBeGreaterThan(0.6);
    expect(accuracy("largest", "half"), ranks[0].out).toBeGreaterThan(0.7);

    // The checkpoint compiles with --weights, and the ONNX model's accuracy is PyTorch's.
    const back = prepareModel("tiny.mtl", host, { tensors: final });
    if (!back.ok) throw new Error(`the checkpoint does not bind: ${JSON.stringify(back.weightProblems?.slice(0, 3))}`);
    const session = await ort.InferenceSession.create(emitModel(back.prepared, null, "tiny.mtl").bytes);
    try {
      const npy = (f: string) => readNpy(new Uint8Array(readFileSync(join(work, "data", "train", f))));
      const images = [0, 1].map((s) => npy(`image-0000${s}.npy`).data as Uint8Array);
      const pixels = Float32Array.from([...images[0], ...images[1]], (v) => v / 255);
      const feeds: Record<string, ort.Tensor> = { image: new ort.Tensor("float32", pixels, [512, 1, 8, 8]) };
      for (const g of back.prepared.graph.groups) {
        feeds[`width.${g.name}`] = new ort.Tensor("int64", BigInt64Array.from([BigInt(g.choices.length - 1)]), []);
      }
      for (const t of ["quadrant", "half"]) feeds[`run.${t}`] = new ort.Tensor("bool", [true], []);
      const got = await session.run(feeds);
      for (const task of ["quadrant", "half"]) {
        const labels = [0, 1].flatMap((s) => Array.from(npy(`${task}-0000${s}.npy`).data as BigInt64Array, Number));
        const predicted = Array.from(got[task].data as BigInt64Array, Number); // decode argmax
        const onnx = predicted.filter((p, i) => p === labels[i]).length / labels.length;
        expect(Math.abs(onnx - accuracy("largest", task)), `${task}: onnx ${onnx}`).toBeLessThanOrEqual(0.00006);
      }
    } finally {
      await session.release();
    }
  }, 90_000);

  it("dense tasks train: cross_entropy with an ignore index (LossSpec), l1, cosine, crop and flip on", async () => {
    const host = memoryHost({ ...stdlibFiles, "dense.mtl": DENSE });
    const r = prepareModel("dense.mtl", host, {});
    if (!r.ok) throw new Error("the dense model does not compile");
    // The train section and LossSpec as the data branch gives them (until then: set here).
    const seg = { kind: "cross_entropy" as const, ignoreIndex: 255 };
    const graph = {
      ...r.prepared.graph,
      train: { ...DEFAULT_TRAIN, augment: { cropPadding: 1, hflip: true } },
      tasks: r.prepared.graph.tasks.map((t) => (t.name === "seg" ? { ...t, loss: seg as unknown as Task["loss"] } : t)),
    };
    const pkg = exportTorch(graph, { entry: "dense.mtl" });
    expect(pkg.files.get("model.py")).toContain('"seg": {"kind": "cross_entropy", "ignore_index": 255}');
    const dir = join(work, "dense");
    mkdirSync(dir);
    for (const [name, text] of pkg.files) writeFileSync(join(dir, name), text);
    const made = await runPython(["-c", MAKE_DENSE, join(work, "dense-data")], {}, 30_000);
    expect(made.code, made.out).toBe(0);
    const args = [
      join(dir, "train.py"),
      "--data",
      join(work, "dense-data"),
      "-o",
      join(work, "dense-run"),
      "--steps",
      "60",
    ];
    const out = await runPython(
      [...args, "--batch-size", "16", "--lr", "0.01", "--log-every", "20", "--eval-split", "train"],
      {},
      50_000,
    );
    expect(out.code, out.out).toBe(0);
    const losses = [...out.out.matchAll(/^step \d+\/60 {2}loss ([0-9.]+)/gm)].map((m) => Number(m[1]));
    expect(losses.length, out.out).toBe(3);
    expect(losses[2], out.out).toBeLessThan(losses[0]);
    const segAccuracy = Number(/^eval train largest: seg accuracy ([0-9.]+)$/m.exec(out.out)?.[1]);
    expect(segAccuracy, out.out).toBeGreaterThan(0.5); // 3 classes, ambiguous pixels ignored
    expect(out.out).toMatch(/^eval train smallest: normals cosine loss \d\.\d+$/m);

    // Without the ignore index the 255s are a user's mistake: one line naming the task, no trace.
    const plain = exportTorch({ ...graph, tasks: r.prepared.graph.tasks }, { entry: "dense.mtl" });
    writeFileSync(join(dir, "model.py"), plain.files.get("model.py")!);
    const refused = await runPython([...args, "--batch-size", "16"], {}, 50_000);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("error: task 'seg' has class target 255 at step 0, outside 0..3; declare it ignored");
    expect(refused.out).not.toContain("Traceback");

    // A distillation temperature that is not above 0 stops train.py before it reads any data.
    const cold = await runPython([...args, "--distill-temperature", "0"], {}, 50_000);
    expect(cold.code).toBe(1);
    expect(cold.out).toContain("error: --distill-temperature must be above 0, not 0.0");
    expect(cold.out).not.toContain("Traceback");
  }, 60_000);
});

const DENSE = `model Dense {
  input image: f32[N, 3, 8, 8]
  widths 0.5, 1.0
  encoder features = image |> conv(16, k: 3) as c1 |> bn as b1 |> relu
  task seg { head features |> conv(16, k: 3) as s1 |> relu |> fixed conv(4, k: 1) as out decode argmax(axis: 1) loss cross_entropy }
  task depth { head features |> fixed conv(1, k: 1) as out decode identity loss l1 }
  task normals { head features |> fixed conv(3, k: 1) as out decode l2norm(axis: 1) loss cosine }
}
`;

// Per pixel: seg = the brightest channel (255, ignored, where two are close), depth = the mean,
// normals = the pixel's colour as a vector.
const MAKE_DENSE = `
import json, os, sys
import numpy as np
root = sys.argv[1]
rng = np.random.default_rng(1)
os.makedirs(os.path.join(root, "train"), exist_ok=True)
n = 128
img = rng.random((n, 3, 8, 8)).astype(np.float32)
top = np.sort(img, 1)
seg = np.where(top[:, 2] - top[:, 1] < 0.05, 255, img.argmax(1)).astype(np.int64)
arrays = {"image": img, "seg": seg, "depth": img.mean(1, keepdims=True), "normals": img - 0.5}
files = {}
for name, a in arrays.items():
    np.save(os.path.join(root, "train", f"{name}-00000.npy"), a)
    files[name] = f"train/{name}-00000.npy"
field = lambda a: {"dtype": str(a.dtype).replace("float32", "float32"), "shape": list(a.shape[1:])}
manifest = {
    "format": "mtl-dataset", "version": 1, "layout": "shards",
    "inputs": {"image": field(img)},
    "targets": {k: field(a) for k, a in arrays.items() if k != "image"},
    "splits": {"train": {"samples": n, "shards": [{"samples": n, "files": files}]}},
}
json.dump(manifest, open(os.path.join(root, "manifest.json"), "w"))
`;

describe("mtl export torch: train.py --resume", () => {
  it("10 steps, then 10 more with --resume, give the weights of 20 steps in one go", async () => {
    const host = memoryHost({ ...stdlibFiles, "tiny.mtl": SOURCE });
    const r = prepareModel("tiny.mtl", host, {});
    if (!r.ok) throw new Error("the tiny model does not compile");
    const dir = join(work, "resume-pkg");
    mkdirSync(dir);
    // A constant learning rate: a cosine schedule over --steps 10 would differ from one over 20.
    const constant = {
      ...r.prepared.graph,
      train: { ...DEFAULT_TRAIN, schedule: { kind: "constant" as const, warmupSteps: 0 } },
    };
    for (const [name, text] of exportTorch(constant, { entry: "tiny.mtl" }).files) writeFileSync(join(dir, name), text);
    const data = join(work, "resume-data");
    expect((await runPython(["-c", MAKE_DATA, data], {}, 30_000)).code).toBe(0);
    // 16 steps per epoch (512 / 32): the resumed run starts mid-epoch, at its 11th batch.
    const train = (out: string, steps: number, more: string[] = []) => {
      const args = [
        join(dir, "train.py"),
        "--data",
        data,
        "-o",
        join(work, out),
        "--steps",
        String(steps),
        "--batch-size",
        "32",
      ];
      return runPython([...args, ...more], {}, 50_000);
    };
    for (const x of [await train("straight", 20), await train("halves", 10), await train("halves", 20, ["--resume"])]) {
      expect(x.code, x.out).toBe(0);
    }
    const read = (f: string) =>
      decodeSafetensors(new Uint8Array(readFileSync(join(work, f, "model.safetensors")))).tensors;
    const [a, b] = [read("straight"), read("halves")];
    const trained = [...r.prepared.graph.params.keys()].filter((n) => !/running_(mean|var)$/.test(n));
    const values = (t: SafeTensorLike | undefined) => Array.from(t!.data as Float32Array);
    for (const name of trained) expect(values(b.get(name)), name).toEqual(values(a.get(name)));
  }, 90_000);
});

describe("mtl export torch: train.py calibration", () => {
  it("calibration on a split shorter than one batch uses it whole, as mtl's calibrate does", async () => {
    // 4 samples, batches of 8: train.py once dropped the short batch and left the statistics as
    // they were; mtl calibrates on the 4. Same weights, same samples: the same rows.
    const host = memoryHost({ ...stdlibFiles, "tiny.mtl": SOURCE });
    const r = prepareModel("tiny.mtl", host, {});
    if (!r.ok) throw new Error("the tiny model does not compile");
    const { graph, weights } = r.prepared;
    const dir = join(work, "short");
    mkdirSync(join(dir, "pkg"), { recursive: true });
    const pkg = exportTorch(graph, { entry: "tiny.mtl", sourceOf: (f) => host.readFile(f) });
    for (const [name, text] of pkg.files) writeFileSync(join(dir, "pkg", name), text);
    expect((await runPython(["-c", MAKE_DATA, join(dir, "data"), "2"], {}, 30_000)).code).toBe(0);
    writeFileSync(join(dir, "w.safetensors"), encodeSafetensors(exportWeights(graph, weights)));
    const flags = ["--data", join(dir, "data"), "-o", join(dir, "run"), "--weights", join(dir, "w.safetensors")];
    flags.push("--steps", "0", "--batch-size", "8", "--calibration-batches", "2");
    const py = await runPython([join(dir, "pkg", "train.py"), ...flags], {}, 60_000);
    expect(py.code, py.out).toBe(0);
    const torch = decodeSafetensors(new Uint8Array(readFileSync(join(dir, "run", "model.safetensors")))).tensors;

    const sessions = new TrainingSessions(sessionSettings(1));
    const none = new Set<string>();
    const own = new Map([...weights].map(([k, v]) => [k, (v as Float32Array).slice()]));
    const state = new TrainState(graph, own, none, none, trainingPrograms(graph, graph.train), sessions);
    const data = await openDataset(join(dir, "data"));
    const calibrated = await calibrate(state, data, (b) => feedsOf(graph, b), { batches: 2, batchSize: 8, seed: 0 });
    await sessions.close();
    const statistics = [...graph.params.keys()].filter((k) => /running_(mean|var)$/.test(k));
    expect(statistics.length).toBe(4);
    for (const name of statistics) {
      const ours = calibrated.get(name) as Float32Array;
      const theirs = torch.get(name)!.data as Float32Array;
      expect(
        Array.from(ours).some((x, i) => x !== (weights.get(name) as Float32Array)[i]),
        name,
      ).toBe(true);
      ours.forEach((x, i) =>
        expect(Math.abs(x - theirs[i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(x))),
      );
    }
  }, 90_000);
});
