// A ResNet-18 written in mtl is torchvision's resnet18: its weights, exported with
// `mtl weights export`, load into torchvision.models.resnet18() with strict=True, and both compute
// the same logits for the same input (onnxruntime at full width vs. torch, in /usr/bin/python3).
//
// Naming: torchvision's classifier is `fc`, but a task head prefixes its layers with the task
// name (`task cls { head classifier(backbone, 1000) }` gives `cls.fc.weight`), and no label on
// the call removes a prefix. The language has a clean way out: a model-level assignment creates
// fixed layers with no path prefix, so `logits = classifier(backbone, 1000)` names them `fc.*`,
// and the task's head is just that value. No renaming of keys is needed.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, expect, it } from "vitest";
import { prepareModel } from "../../compiler/compile";
import { exportWeights } from "../../compiler/weights/load";
import { mulberry32 } from "../../compiler/weights/init";
import { decodeSafetensors, encodeSafetensors } from "../../compiler/weights/safetensors";
import { fileHost } from "../../cli/host";
import { PY_LOAD_SAFETENSORS } from "../helpers/torch-python";
import { testWeights } from "../helpers/test-data";
import { maxRelativeDiff } from "../helpers/greedy-reference";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "cli", "bin.js");
const work = mkdtempSync(join(tmpdir(), "mtl-torchvision-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SOURCE = `import { resnet18 } from "std/encoders/resnet"
import { classifier } from "std/heads/classify"

model ResNet18 {
  input image: f32[1, 3, 224, 224]
  encoder backbone = resnet18(image)
  logits = classifier(backbone, 1000)   // model level: no \`cls.\` prefix, so fc.weight / fc.bias
  task cls { head logits  decode identity }
}
`;

// load_safetensors needs only numpy (the safetensors package is not installed for /usr/bin/python3).
const PYTHON = `${PY_LOAD_SAFETENSORS}
import json, struct, sys
import numpy as np, torch, torchvision
torch.set_num_threads(1)
weights, image, out = sys.argv[1:4]
state = load_safetensors(weights)
model = torchvision.models.resnet18()
model.load_state_dict(state, strict=True)
model.eval()
x = torch.from_numpy(np.fromfile(image, dtype="<f4").reshape(1, 3, 224, 224))
with torch.no_grad():
    model(x).numpy().astype("<f4").tofile(out)
`;

const mtl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8" });
  expect(r.status, `mtl ${args.join(" ")}: ${r.stderr}`).toBe(0);
};

it("exports weights torchvision's resnet18 loads with strict=True, and computes the same logits", async () => {
  writeFileSync(join(work, "r18.mtl"), SOURCE);
  // Seeded weights with non-trivial BatchNorm statistics (a swapped mean/var would show), as a
  // state dict: the model is compiled from them, and `mtl weights export` must give them back.
  const r = prepareModel("r18.mtl", fileHost(join(work, "r18.mtl"), work));
  if (!r.ok)
    throw new Error(`r18.mtl does not compile: ${r.message ?? r.diagnostics.map((d) => d.message).join("; ")}`);
  const initial = encodeSafetensors(exportWeights(r.prepared.graph, testWeights(r.prepared.graph, 9)));
  writeFileSync(join(work, "init.safetensors"), initial);
  mtl("compile", "r18.mtl", "--weights", "init.safetensors", "-o", "r18.onnx");
  mtl("weights", "export", "r18.onnx", "-o", "r18.safetensors");
  const exported = readFileSync(join(work, "r18.safetensors"));
  expect(exported.equals(Buffer.from(initial))).toBe(true);
  // These seeded BatchNorm rows differ per width, so the export above also holds `<name>.per_width`
  // rows; torchvision's strict load takes the export without them.
  expect(decodeSafetensors(new Uint8Array(exported)).tensors.has("bn1.running_mean.per_width")).toBe(true);
  mtl("weights", "export", "r18.onnx", "-o", "r18.safetensors", "--full-width-only");
  const keys = [
    ...decodeSafetensors(new Uint8Array(readFileSync(join(work, "r18.safetensors")))).tensors.keys(),
  ].sort();
  const torchKeys = JSON.parse(
    readFileSync(join(root, "test", "helpers", "resnet18-state-dict-keys.json"), "utf8"),
  ) as string[]; // without the counters
  expect(keys.filter((k) => !k.endsWith(".num_batches_tracked"))).toEqual([...torchKeys].sort());

  const rand = mulberry32(42);
  const image = Float32Array.from({ length: 3 * 224 * 224 }, () => rand() * 2 - 1);
  writeFileSync(join(work, "image.f32"), new Uint8Array(image.buffer));
  execFileSync(
    "/usr/bin/python3",
    ["-c", PYTHON, join(work, "r18.safetensors"), join(work, "image.f32"), join(work, "torch.f32")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const want = new Float32Array(new Uint8Array(readFileSync(join(work, "torch.f32"))).buffer);

  const session = await ort.InferenceSession.create(join(work, "r18.onnx"));
  try {
    const got = await session.run({
      image: new ort.Tensor("float32", image, [1, 3, 224, 224]),
      "width.backbone": new ort.Tensor("int64", BigInt64Array.from([3n]), []), // full width (choices 0.25 .. 1)
      "run.cls": new ort.Tensor("bool", [true], []),
    });
    const logits = got.cls.data as Float32Array;
    expect([...got.cls.dims]).toEqual([1, 1000]);
    expect(want.length).toBe(1000);
    const { rel, diff, scale } = maxRelativeDiff(logits, want);
    expect(Number.isFinite(scale) && scale > 0).toBe(true);
    expect(rel, `max abs diff ${diff} at scale ${scale}`).toBeLessThan(1e-4);
  } finally {
    await session.release();
  }
}, 170_000);
