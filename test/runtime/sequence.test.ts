// Sequence heads through the runtime: greedy decoding must equal a hand-written argmax loop over
// the model's own logits, and beam search with one beam must equal greedy.
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load, type MtlModel } from "../../runtime/index";
import { compileSource, seededImage } from "../helpers/compiled";
import { greedyByHand } from "../helpers/greedy-reference";

const source = (decode: string) => `
model Tiny {
  input image: f32[N, 3, 8, 8]
  input tokens: i64[N, T]
  widths 0.5, 1.0
  encoder e = image |> conv(16, k: 3, stride: 2) |> relu
  task caption {
    head dec(e, tokens)
    decode ${decode}
  }
}
block dec(f: tensor, tokens: tensor) -> tensor {
  img = f |> gap |> flatten |> fixed linear(32) as proj |> reshape([0, 1, 32])
  x = concat([img, fixed embedding(tokens, vocab: 12, dim: 32) as embed], axis: 1)
  x = x + (x |> layernorm as ln |> attention(heads: 4) as attn)
  return x |> fixed linear(12) as lm
}`;

let greedy: MtlModel;
let beam1: MtlModel;
const image = { data: seededImage(3 * 8 * 8, 7), dims: [1, 3, 8, 8] };

beforeAll(async () => {
  greedy = await load(compileSource(source("greedy(max_len: 6, bos: 1, eos: 2)")));
  beam1 = await load(compileSource(source("beam(beams: 1, length_penalty: 0, max_len: 6, bos: 1, eos: 2)")));
});
afterAll(async () => {
  await greedy.close();
  await beam1.close();
});

describe("sequence decoding in the runtime", () => {
  it("greedy equals an argmax loop over the model's logits", async () => {
    const r = await greedy.run({ image }, { config: { e: 0 } });
    const got = Array.from(r.outputs.caption["caption.tokens"].data as BigInt64Array, Number);

    const session = await ort.InferenceSession.create(
      compileSource(source("greedy(max_len: 6, bos: 1, eos: 2)"), { e: 0.5 }),
    );
    const want = await greedyByHand(session, image, { task: "caption", bos: 1, eos: 2, maxLen: 6 });
    expect(got.slice(0, want.length)).toEqual(want);
  });

  it("beam search with one beam and no length penalty equals greedy", async () => {
    const a = await greedy.run({ image }, { config: { e: 1 } });
    const b = await beam1.run({ image }, { config: { e: 1 } });
    expect(Array.from(b.outputs.caption["caption.tokens"].data as BigInt64Array)).toEqual(
      Array.from(a.outputs.caption["caption.tokens"].data as BigInt64Array),
    );
  });
});
