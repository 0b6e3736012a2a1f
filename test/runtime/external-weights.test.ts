// A model loaded from a file builds its specialised sessions with the file's whole tensors as ONNX
// external data (runtime/external-file.ts): the encoded model is small, the outputs are those of
// a model loaded from the same bytes, and a file replaced or rewritten after loading is not read
// (the loaded weights answer, encoded as before).
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { readArtifact } from "../../runtime/artifact";
import { ExternalFile } from "../../runtime/external-file";
import { load } from "../../runtime/index";
import { stdlibFiles } from "../helpers/check";
import { seededImage, TWO_TASK } from "../helpers/compiled";

const work = mkdtempSync(join(tmpdir(), "mtl-external-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const compiled = (seed: number): Uint8Array => {
  const r = compileProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": TWO_TASK }), { seed });
  if (!r.ok) throw new Error("test model does not compile");
  return r.compiled.bytes;
};
const A = compiled(0);
const B = compiled(1);
const input = { image: { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] } };
const CONFIGS = [
  { e: 3, seg: 3, cls: 3 },
  { e: 1, seg: 0, cls: 2 },
];

async function outputs(source: string | Uint8Array): Promise<string[]> {
  const m = await load(source, { threads: 1 });
  const out: string[] = [];
  for (const config of CONFIGS) {
    const r = await m.run(input, { config, mode: "specialised" });
    out.push(JSON.stringify(r.outputs, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
  }
  await m.close();
  return out;
}

describe("whole weights read from the model file", () => {
  it("encodes references instead of the file's whole tensors, and runs as the same bytes do", async () => {
    const file = join(work, "a.onnx");
    writeFileSync(file, A);
    const { bytes, external } = await ExternalFile.read(file);
    const ir = readArtifact(bytes, file).ir!;
    const fixed = { widths: { e: 3, seg: 3, cls: 3 }, run: { seg: true, cls: true } };
    const refs = external.references()!;
    const inline = ir.bytesFor(fixed);
    const referenced = ir.bytesFor(fixed, refs);
    expect(referenced.length).toBeLessThan(inline.length / 4);
    external.close();
    expect(external.references()).toBeUndefined();
    const fromBytes = await outputs(A);
    expect(await outputs(file)).toEqual(fromBytes);
    expect(await outputs(B)).not.toEqual(fromBytes); // the check can tell the two models apart
  }, 60_000);

  it("a file replaced or rewritten after loading is not read: the loaded weights answer", async () => {
    const fromBytes = await outputs(A);
    for (const change of ["rename", "rewrite"] as const) {
      const file = join(work, `${change}.onnx`);
      writeFileSync(file, A);
      const m = await load(file, { threads: 1 });
      if (change === "rename") {
        writeFileSync(`${file}.new`, B);
        renameSync(`${file}.new`, file);
      } else writeFileSync(file, B); // same size, new contents, in place
      expect(readFileSync(file).length).toBe(B.length);
      const out: string[] = [];
      for (const config of CONFIGS) {
        const r = await m.run(input, { config, mode: "specialised" });
        out.push(JSON.stringify(r.outputs, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
      }
      await m.close();
      expect(out, change).toEqual(fromBytes);
    }
  }, 60_000);
});
