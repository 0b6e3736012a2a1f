// Every stdlib part in a small model: each head on each encoder's outputs (final map, pyramid, or
// ViT's vector) elaborates to verified IR with the expected output shape; two of those models run
// through the runtime at the smallest and the full width; the sequence decoder's greedy decoding
// in the runtime equals an argmax loop over the model's own logits.
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { optimise } from "../../compiler/compile";
import { checkProgram } from "../../compiler/index";
import { memoryHost } from "../../compiler/host";
import type { Graph } from "../../compiler/ir/types";
import { load, type MtlModel } from "../../runtime/index";
import { stdlibFiles } from "../helpers/check";
import { compileSource, seededImage } from "../helpers/compiled";
import { greedyByHand } from "../helpers/greedy-reference";

const IMPORTS = `import { resnet18, resnet34, resnet50, resnet18_features, resnet34_features, resnet50_features } from "std/encoders/resnet"
import { mobilenet_v2, mobilenet_v2_features, mobilenet_v2_classifier } from "std/encoders/mobilenet"
import { vit, vit_b_16, vit_tiny, vit_features, vit_b_16_features, vit_tiny_features, vit_classifier } from "std/encoders/vit"
import { classifier, mlp_classifier } from "std/heads/classify"
import { fcn } from "std/heads/dense"
import { aspp, deeplab_v3plus } from "std/heads/deeplab"
import { fpn } from "std/heads/fpn"
import { regressor } from "std/heads/regression"
import { transformer_decoder } from "std/heads/sequence"
`;

const SMALL_VIT = "patch: 16, dim: 64, layers: 4, heads: 4, mlp_dim: 128";

// Encoders with a pyramid [c2, c3, c4, c5] (strides 4 .. 32) and their final output.
const ENCODERS: { name: string; pyramid: string; final: string; vector: boolean }[] = [
  { name: "resnet18", pyramid: "resnet18_features(image)", final: "resnet18(image)", vector: false },
  { name: "resnet34", pyramid: "resnet34_features(image)", final: "resnet34(image)", vector: false },
  { name: "resnet50", pyramid: "resnet50_features(image)", final: "resnet50(image)", vector: false },
  { name: "mobilenet_v2", pyramid: "mobilenet_v2_features(image)", final: "mobilenet_v2(image)", vector: false },
  {
    name: "mobilenet_v2 x0.5",
    pyramid: "mobilenet_v2_features(image, width_mult: 0.5)",
    final: "mobilenet_v2(image, width_mult: 0.5)",
    vector: false,
  },
  { name: "vit_b_16", pyramid: "vit_b_16_features(image)", final: "vit_b_16(image)", vector: true },
  { name: "vit_tiny", pyramid: "vit_tiny_features(image)", final: "vit_tiny(image)", vector: true },
  {
    name: "vit small, pooled",
    pyramid: `vit_features(image, ${SMALL_VIT}, class_token: false)`,
    final: `vit(image, ${SMALL_VIT}, class_token: false)`,
    vector: true,
  },
];

const S = 64; // input size: strides 4 .. 32 give 16x16 .. 2x2 maps

/** Every head on one encoder: map heads on the pyramid, vector heads on the final output. */
function allHeads(e: (typeof ENCODERS)[number]): string {
  const finalHeads = e.vector
    ? `  task vcls { head vit_classifier(last, 10) }\n`
    : `  task fcls { head classifier(last, 10) }\n  task fmlp { head mlp_classifier(last, 10, hidden: ` +
      `32) }\n  task ffcn { head fcn(last, classes: 2, hidden: 32) }\n`;
  return `${IMPORTS}
model M {
  input image: f32[N, 3, ${S}, ${S}]
  input tokens: i64[N, T]
  encoder [c2, c3, c4, c5] = ${e.pyramid}
  encoder last = ${e.final} as final
  task cls { head classifier(c5, classes: 10) decode argmax }
  task mlp { head mlp_classifier(c5, classes: 10, hidden: 32) decode softmax }
  task reg { head regressor(last, 3, hidden: 16) }
  task reg0 { head regressor(c4, 2, hidden: 0) }
  task seg { head fcn(c5, classes: 5, hidden: 32, scale: 32) decode argmax }
  task seg16 { head fcn(c4, classes: 5, hidden: 32, scale: 16) decode argmax }
  task deeplab { head aspp(c5, classes: 5, hidden: 32, rates: [1, 2, 3]) decode argmax }
  task plus { head deeplab_v3plus([c2, c3, c4, c5], classes: 3, hidden: 32, low: 16) decode l2norm }
  task pyramid { head fpn([c2, c3, c4, c5], classes: 1, dim: 32) decode threshold }
  task caption { head transformer_decoder(c5, tokens, vocab: 50, dim: 32, layers: 1, heads: 4) decode greedy(max_len: 4) }
  task caption_v { head transformer_decoder(last, tokens, vocab: 50, dim: 32, layers: 1, heads: 4) decode beam(beams: 2, max_len: 4) }
${finalHeads}}
`;
}

const EXPECTED: Record<string, (string | number)[]> = {
  cls: ["N", 10],
  mlp: ["N", 10],
  reg: ["N", 3],
  reg0: ["N", 2],
  seg: ["N", 5, S, S],
  seg16: ["N", 5, S, S],
  deeplab: ["N", 5, S, S],
  plus: ["N", 3, S, S],
  pyramid: ["N", 1, S, S],
  vcls: ["N", 10],
  fcls: ["N", 10],
  fmlp: ["N", 10],
  ffcn: ["N", 2, S, S],
};

function elaborate(source: string): Graph {
  const r = checkProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": source }));
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => `${d.code} ${d.span.file}:${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
  return optimise(r.graphs[0]); // verify() runs after every pass
}

const shapeOf = (g: Graph, task: string) => g.values.get(g.tasks.find((t) => t.name === task)!.output)!.type.shape;

describe("every head on every encoder", () => {
  for (const e of ENCODERS)
    it(e.name, () => {
      const g = elaborate(allHeads(e));
      for (const t of g.tasks) {
        const shape = shapeOf(g, t.name);
        if (t.name.startsWith("caption")) expect([shape[0], shape[2]], t.name).toEqual(["N", 50]);
        else expect(shape, t.name).toEqual(EXPECTED[t.name]);
      }
      // Every task with a slimming layer has its own width group, plus the two encoders' groups.
      expect(g.groups.map((x) => x.name).sort()).toEqual(
        [
          "c2_c3_c4_c5",
          "last",
          ...g.tasks.filter((t) => !["cls", "fcls", "vcls", "reg0"].includes(t.name)).map((t) => t.name),
        ].sort(),
      );
    });
});

// Two models through the runtime, batch 2: the slimmed and the full network both run, outputs are finite.
const RUNNABLE = `${IMPORTS}
model Run {
  input image: f32[N, 3, ${S}, ${S}]
  encoder [c2, c3, c4, c5] = ENCODER
  task cls { head classifier(c5, classes: 10) decode argmax }
  task reg { head regressor(c5, 3, hidden: 16) }
  task seg { head fcn(c5, classes: 5, hidden: 32) decode argmax }
  task deeplab { head aspp(c5, classes: 5, hidden: 16, rates: [1, 2]) decode softmax }
  task plus { head deeplab_v3plus([c2, c3, c4, c5], classes: 3, hidden: 16, low: 8) decode l2norm }
  task pyramid { head fpn([c2, c3, c4, c5], classes: 1, dim: 16) }
}
`;

describe("runs in the runtime", () => {
  for (const [name, encoder] of [
    ["mobilenet_v2 x0.5", "mobilenet_v2_features(image, width_mult: 0.5)"],
    ["vit small", `vit_features(image, ${SMALL_VIT})`],
  ])
    it(name, async () => {
      const model = await load(compileSource(RUNNABLE.replace("ENCODER", encoder)));
      try {
        const image = { data: seededImage(2 * 3 * S * S, 3), dims: [2, 3, S, S] }; // batch 2
        for (const choice of [0, 3]) {
          const config = Object.fromEntries(model.meta.groups.map((g) => [g.name, choice]));
          const r = await model.run({ image }, { config, mode: "dynamic" });
          expect(Object.keys(r.outputs).sort()).toEqual(["cls", "deeplab", "plus", "pyramid", "reg", "seg"]);
          expect([...r.outputs.seg.seg.dims]).toEqual([2, S, S]);
          expect([...r.outputs.plus.plus.dims]).toEqual([2, 3, S, S]);
          expect([...r.outputs.pyramid.pyramid.dims]).toEqual([2, 1, S, S]);
          expect([...r.outputs.reg.reg.dims]).toEqual([2, 3]);
          for (const out of Object.values(r.outputs))
            for (const t of Object.values(out))
              if (t.data instanceof Float32Array) expect(t.data.every(Number.isFinite)).toBe(true);
        }
      } finally {
        await model.close();
      }
    });
});

// The sequence decoder: greedy decoding in the runtime equals an argmax loop over the logits.
const CAPTION = `import { mobilenet_v2_features } from "std/encoders/mobilenet"
import { transformer_decoder } from "std/heads/sequence"

model Caption {
  input image: f32[N, 3, 32, 32]
  input tokens: i64[N, T]
  widths 0.5, 1.0
  encoder [c2, c3, c4, c5] = mobilenet_v2_features(image, width_mult: 0.35)
  task caption { head transformer_decoder(c4, tokens, vocab: 24, dim: 32, layers: 2, heads: 4) decode greedy(max_len: 6, bos: 1, eos: 2) }
}
`;

describe("transformer_decoder with greedy decoding", () => {
  let model: MtlModel | undefined;
  afterAll(async () => model?.close());

  it("the runtime's tokens are the argmax loop's", async () => {
    model = await load(compileSource(CAPTION));
    const image = { data: seededImage(3 * 32 * 32, 11), dims: [1, 3, 32, 32] };
    const config = Object.fromEntries(model.meta.groups.map((g) => [g.name, 0]));
    const r = await model.run({ image }, { config });
    const got = Array.from(r.outputs.caption["caption.tokens"].data as BigInt64Array, Number);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThanOrEqual(6);

    const widths = Object.fromEntries(model.meta.groups.map((g) => [g.name, 0.5]));
    const session = await ort.InferenceSession.create(compileSource(CAPTION, widths));
    try {
      const want = await greedyByHand(session, image, {
        task: "caption",
        bos: 1,
        eos: 2,
        maxLen: 6,
        onLogits: (positions, prefixLength) => expect(positions).toBe(prefixLength), // causal: one position per word
      });
      expect(got).toEqual(want);
    } finally {
      await session.release();
    }
  });
});
