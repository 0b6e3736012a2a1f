// The stdlib encoders are torchvision's networks: the weights of an mtl model, exported as a
// state dict, load into the torchvision model with strict=True, and both compute the same outputs
// for the same input (onnxruntime at full width vs. torch in /usr/bin/python3, within 1e-4 of the
// largest output). Checked for ResNet-18, MobileNetV2 and a small ViT (torchvision's
// VisionTransformer class with small sizes); for ResNet-34, ResNet-50, MobileNetV2 with width_mult 0.5 and ViT-B/16 the parameter
// names and shapes are compared with torchvision's state dicts.
//
// Naming pattern: a task head prefixes its layers with the task name, an encoder does not, and a
// model-level assignment creates fixed layers with no prefix. So the torchvision classifiers put
// the network in the encoder and the classifier at model level:
//   encoder backbone = mobilenet_v2(image)
//   logits = mobilenet_v2_classifier(backbone, 1000)    // classifier.1.weight
//   task cls { head logits }
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitModel, optimise, prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { checkProgram } from "../../compiler/index";
import { mulberry32 } from "../../compiler/weights/init";
import { exportWeights, PER_WIDTH_SUFFIX } from "../../compiler/weights/load";
import { encodeSafetensors } from "../../compiler/weights/safetensors";
import { stdlibFiles } from "../helpers/check";
import { testWeights } from "../helpers/test-data";
import { PY_LOAD_SAFETENSORS } from "../helpers/torch-python";
import { maxRelativeDiff } from "../helpers/greedy-reference";

const work = mkdtempSync(join(tmpdir(), "mtl-stdlib-torch-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Case {
  name: string;
  source: string;
  shape: number[];
  torch: string; // a Python expression building the torchvision model
}

const classifierModel = (imports: string, encoder: string, head: string, size: number) => `${imports}

model Net {
  input image: f32[1, 3, ${size}, ${size}]
  encoder backbone = ${encoder}
  logits = ${head}
  task cls { head logits }
}
`;

const COMPARED: Case[] = [
  {
    name: "resnet18",
    source: classifierModel(
      `import { resnet18 } from "std/encoders/resnet"\nimport { classifier } from "std/heads/classify"`,
      "resnet18(image)",
      "classifier(backbone, 1000)",
      224,
    ),
    shape: [1, 3, 224, 224],
    torch: "torchvision.models.resnet18()",
  },
  {
    name: "mobilenet_v2",
    source: classifierModel(
      `import { mobilenet_v2, mobilenet_v2_classifier } from "std/encoders/mobilenet"`,
      "mobilenet_v2(image)",
      "mobilenet_v2_classifier(backbone, 1000)",
      224,
    ),
    shape: [1, 3, 224, 224],
    torch: "torchvision.models.mobilenet_v2()",
  },
  {
    name: "vit_small",
    source: classifierModel(
      `import { vit, vit_classifier } from "std/encoders/vit"`,
      "vit(image, patch: 16, dim: 64, layers: 2, heads: 4, mlp_dim: 128)",
      "vit_classifier(backbone, 10)",
      64,
    ),
    shape: [1, 3, 64, 64],
    torch:
      "torchvision.models.vision_transformer.VisionTransformer(image_size=64, patch_size=16, num_layers=2, " +
      "num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)",
  },
];

const NAMED: Case[] = [
  {
    name: "resnet34",
    source: classifierModel(
      `import { resnet34 } from "std/encoders/resnet"\nimport { classifier } from "std/heads/classify"`,
      "resnet34(image)",
      "classifier(backbone, 1000)",
      224,
    ),
    shape: [],
    torch: "torchvision.models.resnet34()",
  },
  {
    name: "resnet50",
    source: classifierModel(
      `import { resnet50 } from "std/encoders/resnet"\nimport { classifier } from "std/heads/classify"`,
      "resnet50(image)",
      "classifier(backbone, 1000)",
      224,
    ),
    shape: [],
    torch: "torchvision.models.resnet50()",
  },
  {
    name: "mobilenet_v2_x0.5",
    source: classifierModel(
      `import { mobilenet_v2, mobilenet_v2_classifier } from "std/encoders/mobilenet"`,
      "mobilenet_v2(image, width_mult: 0.5)",
      "mobilenet_v2_classifier(backbone, 1000)",
      224,
    ),
    shape: [],
    torch: "torchvision.models.mobilenet_v2(width_mult=0.5)",
  },
  {
    name: "vit_b_16",
    source: classifierModel(
      `import { vit_b_16, vit_classifier } from "std/encoders/vit"`,
      "vit_b_16(image)",
      "vit_classifier(backbone, 1000)",
      224,
    ),
    shape: [],
    torch: "torchvision.models.vit_b_16()",
  },
];

// Reads safetensors without the safetensors package (not installed for /usr/bin/python3). For
// each job: build the model; with weights, load them strictly and run it; always report the
// state dict's names and shapes.
const PYTHON = `${PY_LOAD_SAFETENSORS}
import json, struct, sys
import numpy as np, torch, torchvision
import torchvision.models.vision_transformer
torch.set_num_threads(2)
jobs = json.load(open(sys.argv[1]))
report = {}
for job in jobs:
    torch.manual_seed(0)
    model = eval(job["torch"])
    sd = model.state_dict()
    report[job["name"]] = {k: list(v.shape) for k, v in sd.items()}
    if "weights" not in job:
        continue
    state = load_safetensors(job["weights"])
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.from_numpy(np.fromfile(job["image"], dtype="<f4").reshape(job["shape"]))
    with torch.no_grad():
        model(x).numpy().astype("<f4").tofile(job["out"])
print(json.dumps(report))
`;

const host = (source: string) => memoryHost({ ...stdlibFiles, "main.mtl": source });
const onnxPath = (c: Case) => join(work, `${c.name}.onnx`);
const inputOf = (c: Case) => {
  const rand = mulberry32(42);
  return Float32Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1);
};

let torchNames: Record<string, Record<string, number[]>>;
const mtlNames: Record<string, Record<string, number[]>> = {};

beforeAll(() => {
  const jobs: object[] = [];
  for (const c of COMPARED) {
    const r = prepareModel("main.mtl", host(c.source));
    if (!r.ok)
      throw new Error(`${c.name} does not compile: ${r.message ?? r.diagnostics.map((d) => d.message).join("; ")}`);
    // Seeded weights with non-trivial BatchNorm statistics and LayerNorm affine parameters.
    const weights = testWeights(r.prepared.graph, 9);
    // torchvision keeps one row per BatchNorm: the `<name>.per_width` extras that mtl exports for
    // rows that differ per width are mtl's own (docs/training.md) and are left out here.
    const state = new Map([...exportWeights(r.prepared.graph, weights)].filter(([k]) => !k.endsWith(PER_WIDTH_SUFFIX)));
    mtlNames[c.name] = Object.fromEntries([...state].map(([k, t]) => [k, [...t.shape]]));
    writeFileSync(join(work, `${c.name}.safetensors`), encodeSafetensors(state));
    writeFileSync(onnxPath(c), emitModel({ ...r.prepared, weights }, null, "main.mtl").bytes);
    writeFileSync(join(work, `${c.name}.f32`), new Uint8Array(inputOf(c).buffer));
    jobs.push({
      name: c.name,
      torch: c.torch,
      weights: join(work, `${c.name}.safetensors`),
      image: join(work, `${c.name}.f32`),
      out: join(work, `${c.name}.out.f32`),
      shape: c.shape,
    });
  }
  for (const c of NAMED) {
    const checked = checkProgram("main.mtl", host(c.source));
    if (checked.diagnostics.some((d) => d.severity === "error"))
      throw new Error(`${c.name}: ${checked.diagnostics.map((d) => d.message).join("; ")}`);
    const graph = optimise(checked.graphs[0]);
    mtlNames[c.name] = Object.fromEntries([...graph.params.values()].map((p) => [p.name, [...p.shape]]));
    jobs.push({ name: c.name, torch: c.torch });
  }
  writeFileSync(join(work, "jobs.json"), JSON.stringify(jobs));
  const out = execFileSync("/usr/bin/python3", ["-c", PYTHON, join(work, "jobs.json")], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  torchNames = JSON.parse(out);
}, 150_000);

describe("stdlib encoders against torchvision", () => {
  for (const c of COMPARED)
    it(`${c.name}: strict state-dict load, same outputs`, async () => {
      expect(mtlNames[c.name]).toEqual(torchNames[c.name]);
      const want = new Float32Array(new Uint8Array(readFileSync(join(work, `${c.name}.out.f32`))).buffer);
      const session = await ort.InferenceSession.create(onnxPath(c));
      try {
        const got = await session.run({
          image: new ort.Tensor("float32", inputOf(c), c.shape),
          "width.backbone": new ort.Tensor("int64", BigInt64Array.from([3n]), []), // full width
          "run.cls": new ort.Tensor("bool", [true], []),
        });
        const logits = got.cls.data as Float32Array;
        expect(logits.length).toBe(want.length);
        const { rel, diff, scale } = maxRelativeDiff(logits, want);
        expect(Number.isFinite(scale) && scale > 0).toBe(true);
        expect(rel, `max abs diff ${diff} at scale ${scale}`).toBeLessThan(1e-4);
      } finally {
        await session.release();
      }
    });

  for (const c of NAMED)
    it(`${c.name}: parameter names and shapes are torchvision's`, () => {
      const want = Object.fromEntries(
        Object.entries(torchNames[c.name]).filter(([k]) => !k.endsWith(".num_batches_tracked")),
      );
      expect(mtlNames[c.name]).toEqual(want);
    });
});
