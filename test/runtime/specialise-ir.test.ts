// Specialising in the IR (runtime/specialise-ir.ts): a configuration's session built from the file's
// IR and only its cut weights gives the outputs of the old path (the file's bytes with the control
// inputs patched to constants, folded by onnxruntime) and of the static export, on several
// configurations and task subsets; the IR survives its JSON round trip; a file without an IR still
// runs, and a damaged IR is a coded error.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { emitModel, prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { graphFromJson, graphToJson, IrFormatError } from "../../compiler/ir/serialise";
import { decodeModel } from "../../compiler/onnx/decode";
import { decodeMetadata } from "../../compiler/onnx/decode-metadata";
import { encodeModel } from "../../compiler/onnx/encode";
import { load } from "../../runtime/model";
import { specialiseBytes } from "../../runtime/specialise";
import { IrSpecialiser } from "../../runtime/specialise-ir";
import { stdlibFiles } from "../helpers/check";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

const bytes = compileSource(TWO_TASK);
const ir = IrSpecialiser.from(decodeMetadata(bytes), bytes, "two.onnx")!;
const image = new ort.Tensor("float32", seededImage(2 * 3 * 16 * 16), [2, 3, 16, 16]);

async function outputs(
  model: Uint8Array,
  names: readonly string[],
  extra: Record<string, ort.Tensor> = {},
): Promise<Record<string, unknown[]>> {
  const s = await ort.InferenceSession.create(model);
  const r = await s.run({ image, ...extra }, [...names]);
  await s.release();
  return Object.fromEntries(names.map((n) => [n, Array.from(r[n].data as ArrayLike<unknown>)]));
}

const cases = [
  { widths: { e: 0, seg: 0, cls: 0 }, run: { seg: true, cls: true } },
  { widths: { e: 0, seg: 3, cls: 1 }, run: { seg: true, cls: true } },
  { widths: { e: 3, seg: 0, cls: 2 }, run: { seg: false, cls: true } },
  { widths: { e: 2, seg: 2, cls: 0 }, run: { seg: true, cls: false } },
  { widths: { e: 3, seg: 3, cls: 3 }, run: { seg: true, cls: true } },
];
const fetched = (run: Readonly<Record<string, boolean>>) =>
  [...(run.seg ? ["seg"] : []), ...(run.cls ? ["cls.values", "cls.indices"] : [])] as const;

describe("specialisation in the IR", () => {
  it("round-trips the IR through its JSON form", () => {
    const r = prepareModel("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": TWO_TASK }));
    if (!r.ok) throw new Error("does not compile");
    expect(graphFromJson(graphToJson(r.prepared.graph))).toEqual(r.prepared.graph);
    expect(() => graphFromJson('{"format": 99}')).toThrow(IrFormatError);
    const other = JSON.stringify({ ...JSON.parse(graphToJson(r.prepared.graph)), format: 1 });
    expect(IrSpecialiser.from({ "mtl.ir": other }, bytes, "old.onnx")).toBeNull(); // the byte path takes over
  });

  it.each(cases)("gives the old path's outputs, from a smaller model (%j)", async (fixed) => {
    const small = ir.bytesFor(fixed);
    const names = fetched(fixed.run);
    expect(await outputs(small, names)).toEqual(await outputs(specialiseBytes(bytes, fixed), names));
    const model = decodeModel(small);
    expect(model.graph.inputs.map((i) => i.name)).toEqual(["image"]); // no width or task inputs left
    if (fixed.widths.e === 0) expect(small.length).toBeLessThan(bytes.length / 4);
  });

  it("picks the configuration's row of switchable BatchNorm parameters whose rows differ", async () => {
    const r = prepareModel("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": TWO_TASK }));
    if (!r.ok) throw new Error("does not compile");
    const weights = new Map(r.prepared.weights);
    let switchable = 0;
    for (const p of r.prepared.graph.params.values()) {
      if (p.perWidth === null) continue;
      const data = Float32Array.from(weights.get(p.name)!);
      const size = p.shape.reduce((a, b) => a * b, 1);
      // Row k's channel c scaled by 1 + k (c mod 3) / 2: positive, and different per channel (argmax moves).
      for (let i = size; i < data.length; i++) data[i] *= 1 + (Math.floor(i / size) * ((i % size) % 3)) / 2;
      weights.set(p.name, data);
      switchable++;
    }
    expect(switchable).toBeGreaterThan(0);
    const rows = emitModel({ ...r.prepared, weights }, null, "main.mtl").bytes;
    const own = IrSpecialiser.from(decodeMetadata(rows), rows, "rows.onnx")!;
    for (const fixed of cases.slice(2)) {
      const names = fetched(fixed.run);
      const ours = await outputs(own.bytesFor(fixed), names);
      expect(ours).toEqual(await outputs(specialiseBytes(rows, fixed), names));
      expect(ours).not.toEqual(await outputs(ir.bytesFor(fixed), names)); // rows other than the first were read
    }
  });

  it("gives the static export's outputs", async () => {
    const fixed = { widths: { e: 1, seg: 2, cls: 0 }, run: { seg: true, cls: true } };
    const exported = compileSource(TWO_TASK, { e: 0.5, seg: 0.75, cls: 0.25 });
    const names = fetched(fixed.run);
    const on = new ort.Tensor("bool", Uint8Array.from([1]), []);
    expect(await outputs(ir.bytesFor(fixed), names)).toEqual(
      await outputs(exported, names, { "run.seg": on, "run.cls": on }),
    );
  });

  it("runs a file without an IR by the old path, and reports a damaged IR as MTL-ART-001", async () => {
    const decoded = decodeModel(bytes);
    const { "mtl.ir": _ir, ...rest } = decoded.metadata;
    const old = await load(encodeModel({ ...decoded, metadata: rest }));
    const now = await load(bytes);
    const config = { e: 1, seg: 0, cls: 3 };
    const a = await old.run({ image: { dims: [2, 3, 16, 16], data: image.data as Float32Array } }, { config });
    const b = await now.run({ image: { dims: [2, 3, 16, 16], data: image.data as Float32Array } }, { config });
    expect(a.outputs).toEqual(b.outputs);
    await old.close();
    await now.close();
    const ir = JSON.parse(decoded.metadata["mtl.ir"]) as { params: { name: string; shape: number[] }[] };
    ir.params[0].shape = [ir.params[0].shape[0] + 1, ...ir.params[0].shape.slice(1)];
    const broken = await load(
      encodeModel({ ...decoded, metadata: { ...decoded.metadata, "mtl.ir": JSON.stringify(ir) } }),
    );
    await expect(
      broken.run({ image: { dims: [2, 3, 16, 16], data: image.data as Float32Array } }),
    ).rejects.toMatchObject({
      code: "MTL-ART-001",
      message: expect.stringMatching(/damaged: its IR/),
    });
    await broken.close();
    const garbage = await load(encodeModel({ ...decoded, metadata: { ...decoded.metadata, "mtl.ir": "{" } }));
    await expect(
      garbage.run({ image: { dims: [2, 3, 16, 16], data: image.data as Float32Array } }),
    ).rejects.toMatchObject({
      code: "MTL-ART-001",
    });
    await garbage.close();
  });
});
