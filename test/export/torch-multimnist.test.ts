// examples/multimnist.mtl trained by its generated train.py as two DistributedDataParallel ranks
// over gloo, launched by hand (Debian's torchrun is broken, docs/export-torch.md), on a small
// MultiMNIST subset (`mtl data multimnist --train 2000 --test 500`), 150 steps at batch 16 per
// rank with the model's own train section (sandwich of 4, in-place and feature distillation,
// crop augmentation, BN calibration): the loss falls, both ranks end with identical weights, the
// checkpoint compiles with `mtl compile --weights`, and the compiled model's accuracy on the test
// split (runtime/model.ts fed by runtime/data's loader) equals train.py's own evaluation at the
// largest and the smallest configuration. About 40-60 s on the shared 2-core machine.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { decodeSafetensors } from "../../compiler/weights/safetensors";
import { openDataset } from "../../runtime/data";
import { load } from "../../runtime/model";
import { normalisationOf } from "../../runtime/train/dataset";
import { stdlibFiles } from "../helpers/check";
import { MTL_BIN } from "../helpers/cli";
import { launchRanks, runProcess } from "../helpers/torch-ranks";

const STEPS = 150;
const work = mkdtempSync(join(tmpdir(), "mtl-torch-multimnist-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const mtl = (...args: string[]) => runProcess(process.execPath, [MTL_BIN, ...args]);

describe("mtl export torch: MultiMNIST on two gloo ranks, back through mtl compile --weights", () => {
  it(`${STEPS} steps: loss falls, ranks agree, ONNX accuracy equals PyTorch's`, async () => {
    const [data, pkg, out] = ["data", "pkg", "run"].map((d) => join(work, d));
    for (const x of [
      await mtl("data", "multimnist", "-o", data, "--train", "2000", "--test", "500"),
      await mtl("export", "torch", "examples/multimnist.mtl", "-o", pkg),
    ])
      expect(x.code, x.out).toBe(0);

    const ranks = await launchRanks(
      [join(pkg, "train.py"), "--data", data, "-o", out, "--steps", String(STEPS), "--batch-size", "16"].concat([
        "--log-every",
        "50",
        "--save-every-rank",
        "--eval-split",
        "test",
      ]),
      90_000,
    );
    for (const x of ranks) expect(x.code, x.out).toBe(0);
    const log = ranks[0].out;
    expect(log, log).toContain(`${STEPS} steps, 2 process(es), batch 16 each`);
    const losses = [...log.matchAll(/^step \d+\/\d+ {2}loss ([0-9.]+)/gm)].map((m) => Number(m[1]));
    expect(losses.length, log).toBe(3);
    expect(losses[2], log).toBeLessThan(losses[0] * 0.9);

    // Both ranks hold the same weights, BatchNorm statistics included (calibration averages them).
    const read = (f: string) => decodeSafetensors(new Uint8Array(readFileSync(join(out, f)))).tensors;
    const [a, b, final] = [read("rank0.safetensors"), read("rank1.safetensors"), read("model.safetensors")];
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a) {
      expect(Array.from(b.get(name)!.data as Float32Array), name).toEqual(Array.from(t.data as Float32Array));
      expect(Array.from(final.get(name)!.data as Float32Array), name).toEqual(Array.from(t.data as Float32Array));
    }

    const onnx = join(work, "m.onnx");
    const compiled = await mtl(
      "compile",
      "examples/multimnist.mtl",
      "--weights",
      join(out, "model.safetensors"),
      "-o",
      onnx,
    );
    expect(compiled.code, compiled.out).toBe(0);

    // The compiled model on the test split, fed by mtl's loader (uint8 / 255, then the image's mean and std).
    const host = memoryHost({ ...stdlibFiles, "m.mtl": readFileSync("examples/multimnist.mtl", "utf8") });
    const prepared = prepareModel("m.mtl", host, {});
    if (!prepared.ok) throw new Error("examples/multimnist.mtl does not compile");
    const graph = prepared.prepared.graph;
    const model = await load(onnx);
    const dataset = await openDataset(data);
    const configs = {
      largest: Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1])),
      smallest: Object.fromEntries(graph.groups.map((g) => [g.name, 0])),
    };
    for (const [label, config] of Object.entries(configs)) {
      const hits: Record<string, number> = { left: 0, right: 0 };
      let count = 0;
      const options = {
        split: "test",
        batchSize: 100,
        shuffle: false,
        seed: 0,
        epoch: 0,
        normalize: normalisationOf(graph),
      };
      for await (const batch of dataset.batches(options)) {
        const image = batch.inputs.image;
        const result = await model.run({ image: { data: image.data as Float32Array, dims: image.dims } }, { config });
        for (const task of ["left", "right"]) {
          const predicted = result.outputs[task][task].data as BigInt64Array; // decode argmax
          const target = batch.targets[task].data as BigInt64Array;
          for (let i = 0; i < batch.size; i++) if (predicted[i] === target[i]) hits[task]++;
        }
        count += batch.size;
      }
      expect(count).toBe(500);
      for (const task of ["left", "right"]) {
        const pattern = new RegExp(`^eval test ${label}: ${task} accuracy ([0-9.]+)$`, "m");
        const torch = Number(pattern.exec(log)?.[1]);
        // 500 samples: every accuracy is a multiple of 0.002, printed with 4 decimals, so exact.
        expect(hits[task] / count, `${label} ${task}: torch ${torch}`).toBeCloseTo(torch, 6);
      }
    }
    // Trained, not chance (10 classes): a weak bound, the run is short.
    expect(Number(/^eval test largest: left accuracy ([0-9.]+)$/m.exec(log)?.[1])).toBeGreaterThan(0.2);
  }, 150_000);
});
