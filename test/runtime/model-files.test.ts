// Issue 15 item 9: damaged or edited model files get clear, coded errors naming the file: metadata
// checked against a schema, onnxruntime's refusals reported as user errors, devices never read.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isMtlError } from "../../compiler/errors";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import type { OnnxModel } from "../../compiler/onnx/model";
import { readArtifact } from "../../runtime/artifact";
import { load } from "../../runtime/index";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

let bytes: Uint8Array;
let onnx: OnnxModel;
const dir = mkdtempSync(join(tmpdir(), "mtl-model-files-"));

beforeAll(() => {
  bytes = compileSource(TWO_TASK);
  onnx = decodeModel(bytes);
});

const withMetadata = (key: string, value: string | undefined): Uint8Array => {
  const metadata: Record<string, string> = { ...onnx.metadata };
  if (value === undefined) delete metadata[key];
  else metadata[key] = value;
  return encodeModel({ ...onnx, metadata });
};

function readError(b: Uint8Array): { code: string; message: string } {
  try {
    readArtifact(b, "m.onnx");
  } catch (e) {
    expect(isMtlError(e), String(e)).toBe(true);
    return e as { code: string; message: string };
  }
  throw new Error("expected readArtifact to fail");
}

describe("model metadata is validated", () => {
  it("accepts what mtl compile writes", () => {
    expect(readArtifact(bytes, "m.onnx").meta.tasks.map((t) => t.name)).toEqual(["seg", "cls"]);
  });

  const meta = () => JSON.parse(onnx.metadata.mtl) as Record<string, unknown>;
  const costs = () => JSON.parse(onnx.metadata["mtl.costs"]) as { terms: { macs: number[] }[]; groups: unknown[] };

  it.each([
    ["not JSON", "mtl", "{tasks:", /not valid JSON/],
    ["null", "mtl", "null", /malformed/],
    ["a number", "mtl", "42", /malformed/],
    ["an empty object", "mtl", "{}", /malformed/],
    ["tasks not a list", "mtl", () => JSON.stringify({ ...meta(), tasks: 7 }), /malformed at tasks/],
    [
      "an input with a negative size",
      "mtl",
      () => JSON.stringify({ ...meta(), inputs: [{ name: "image", dtype: "f32", shape: [1, -3] }] }),
      /inputs\[0\]\.shape/,
    ],
    ["a future format", "mtl", () => JSON.stringify({ ...meta(), format: 2 }), /format 2/],
    ["no cost table", "mtl.costs", undefined, /no "mtl.costs"/],
    ["a cost table of null", "mtl.costs", "null", /malformed/],
    [
      "a cost term of the wrong size",
      "mtl.costs",
      () => {
        const c = costs();
        c.terms[0].macs.push(1);
        return JSON.stringify(c);
      },
      /cost term 0 has/,
    ],
    [
      "a cost term with a negative cost",
      "mtl.costs",
      () => {
        const c = costs();
        c.terms[0].macs[0] = -5;
        return JSON.stringify(c);
      },
      /malformed at terms\[0\]\.macs\[0\]/,
    ],
    [
      "a cost table without groups",
      "mtl.costs",
      () => JSON.stringify({ ...costs(), groups: [] }),
      /which the table does not declare/,
    ],
    ["a static config with a width of 3", "mtl.config", JSON.stringify({ e: 3 }), /malformed at e/],
  ] as const)("rejects %s", (_, key, value, pattern) => {
    const text = typeof value === "function" ? value() : value;
    const e = readError(withMetadata(key, text));
    expect(e.message).toMatch(pattern);
    expect(e.message).toContain("m.onnx");
  });
});

describe("onnxruntime's refusals are user errors naming the file", () => {
  // Without its IR ("mtl.ir"), so that specialised sessions come from the edited graph too (a file with
  // one builds them from the IR: test/runtime/specialise-ir.test.ts).
  const edited = (change: (m: OnnxModel) => OnnxModel): string => {
    const path = join(dir, `edited-${Math.random().toString(36).slice(2)}.onnx`);
    const { "mtl.ir": _ir, ...metadata } = onnx.metadata;
    writeFileSync(path, encodeModel(change({ ...onnx, metadata })));
    return path;
  };
  const image = { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] };

  it.each([
    ["opset 999", (m: OnnxModel) => ({ ...m, opset: 999 })],
    [
      "an unknown operator",
      (m: OnnxModel) => ({
        ...m,
        graph: { ...m.graph, nodes: m.graph.nodes.map((n, i) => (i === 0 ? { ...n, opType: "NoSuchOp" } : n)) },
      }),
    ],
    [
      "a dangling input",
      (m: OnnxModel) => ({
        ...m,
        graph: {
          ...m.graph,
          nodes: m.graph.nodes.map((n, i) => (i === 0 ? { ...n, inputs: ["nowhere", ...n.inputs.slice(1)] } : n)),
        },
      }),
    ],
  ])("%s", async (_, change) => {
    const path = edited(change);
    const model = await load(path);
    for (const mode of ["dynamic", "specialised"] as const) {
      const err = await model.run({ image }, { mode }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMtlError(err), String(err)).toBe(true);
      expect((err as Error).message).toContain(path);
    }
    await model.close();
  });
});

describe("reads are bounded", () => {
  it("refuses devices and folders before reading", async () => {
    for (const path of ["/dev/zero", dir]) {
      const err = await load(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMtlError(err), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/not a regular file|is a folder/);
    }
  });
});
