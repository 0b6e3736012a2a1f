// The causal decoder layer of std/heads/sequence against PyTorch: causal self-attention plus
// cross-attention plus the MLP, pre-norm, is torch.nn.TransformerDecoderLayer(norm_first=True,
// activation="gelu") with a square subsequent mask: the mtl weights load into it with strict=True
// and both give the same outputs (onnxruntime vs. torch in /usr/bin/python3, within 1e-4 of the
// largest output). And causality: changing a later token never changes earlier logits.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { emitModel, prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { mulberry32 } from "../../compiler/weights/init";
import { exportWeights } from "../../compiler/weights/load";
import { encodeSafetensors } from "../../compiler/weights/safetensors";
import { stdlibFiles } from "../helpers/check";
import { compileSource, seededImage } from "../helpers/compiled";
import { maxRelativeDiff } from "../helpers/greedy-reference";
import { testWeights } from "../helpers/test-data";
import { PY_LOAD_SAFETENSORS } from "../helpers/torch-python";

const work = mkdtempSync(join(tmpdir(), "mtl-causal-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LAYER = `import { causal_decoder_layer } from "std/heads/sequence"
model Dec {
  input x: f32[2, 5, 32]
  input memory: f32[2, 7, 32]
  y = causal_decoder_layer(x, memory, heads: 4, hidden: 64)
  task out { head y }
}`;

const PYTHON = `${PY_LOAD_SAFETENSORS}
import sys
torch.set_num_threads(1)
layer = torch.nn.TransformerDecoderLayer(32, 4, dim_feedforward=64, dropout=0.0, activation="gelu",
                                         batch_first=True, norm_first=True)
layer.load_state_dict(load_safetensors(sys.argv[1]), strict=True)
layer.eval()
x = torch.from_numpy(np.fromfile(sys.argv[2], dtype="<f4").reshape(2, 5, 32))
m = torch.from_numpy(np.fromfile(sys.argv[3], dtype="<f4").reshape(2, 7, 32))
mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
with torch.no_grad():
    layer(x, m, tgt_mask=mask).numpy().astype("<f4").tofile(sys.argv[4])
`;

const random = (n: number, seed: number) => {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
};

describe("causal decoder layer", () => {
  it("equals torch.nn.TransformerDecoderLayer (norm_first, gelu, causal mask) with the same weights", async () => {
    const r = prepareModel("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": LAYER }));
    if (!r.ok) throw new Error(r.message ?? r.diagnostics.map((d) => d.message).join("; "));
    const weights = testWeights(r.prepared.graph, 5);
    writeFileSync(join(work, "w.safetensors"), encodeSafetensors(exportWeights(r.prepared.graph, weights)));
    const [x, m] = [random(2 * 5 * 32, 1), random(2 * 7 * 32, 2)];
    writeFileSync(join(work, "x.f32"), new Uint8Array(x.buffer));
    writeFileSync(join(work, "m.f32"), new Uint8Array(m.buffer));
    const files = ["w.safetensors", "x.f32", "m.f32", "out.f32"].map((f) => join(work, f));
    execFileSync("/usr/bin/python3", ["-c", PYTHON, ...files], { encoding: "utf8" });
    const want = new Float32Array(new Uint8Array(readFileSync(files[3])).buffer);

    const session = await ort.InferenceSession.create(emitModel({ ...r.prepared, weights }, null, "main.mtl").bytes);
    try {
      const feeds: Record<string, ort.Tensor> = {
        x: new ort.Tensor("float32", x, [2, 5, 32]),
        memory: new ort.Tensor("float32", m, [2, 7, 32]),
      };
      if (session.inputNames.includes("run.out")) feeds["run.out"] = new ort.Tensor("bool", [true], []);
      const got = (await session.run(feeds)).out.data as Float32Array;
      expect(got.length).toBe(want.length);
      const { rel, diff, scale } = maxRelativeDiff(got, want);
      expect(rel, `max abs diff ${diff} at scale ${scale}`).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  }, 120_000);

  it("changing a later token never changes earlier logits (and does change its own)", async () => {
    const source = `import { transformer_decoder } from "std/heads/sequence"
model Cap {
  input image: f32[N, 3, 16, 16]
  input tokens: i64[N, T]
  widths 0.5, 1.0
  encoder e = image |> conv(32, k: 3, stride: 2) |> relu
  task caption { head transformer_decoder(e, tokens, vocab: 20, dim: 32, layers: 2, heads: 4) }
}`;
    const session = await ort.InferenceSession.create(compileSource(source));
    const T = 6;
    const run = async (tokens: number[]) => {
      const out = await session.run({
        image: new ort.Tensor("float32", seededImage(3 * 16 * 16, 3), [1, 3, 16, 16]),
        tokens: new ort.Tensor("int64", BigInt64Array.from(tokens, BigInt), [1, T]),
        "width.e": new ort.Tensor("int64", BigInt64Array.from([0n]), []),
        "width.caption": new ort.Tensor("int64", BigInt64Array.from([0n]), []),
        "run.caption": new ort.Tensor("bool", [true], []),
      });
      return out.caption.data as Float32Array;
    };
    try {
      const base = [1, 5, 7, 3, 9, 4];
      const a = await run(base);
      expect(a.length).toBe(T * 20);
      for (let changed = 1; changed < T; changed++) {
        const b = await run(base.map((t, i) => (i === changed ? (t + 6) % 20 : t)));
        expect(Array.from(b.subarray(0, changed * 20))).toEqual(Array.from(a.subarray(0, changed * 20)));
        expect(Array.from(b.subarray(changed * 20, (changed + 1) * 20))).not.toEqual(
          Array.from(a.subarray(changed * 20, (changed + 1) * 20)),
        );
      }
    } finally {
      await session.release();
    }
  }, 60_000);
});
