// Fuzzing in CI-sized batches (issue 15): generated valid programs must check clean, format stably
// and compile; mutated programs, damaged model files, metadata, weights and inputs must end in a
// result or a user error (never another exception), each within a time bound; a few CLI runs must
// exit 0, 1 or 2 without a stack trace. Seeds are fixed, so a failure reproduces; bench/fuzz.ts
// runs the same generators for 100,000 inputs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { checkProgram } from "../../compiler/index";
import { formatSource } from "../../compiler/format/index";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { decodeSafetensors, encodeSafetensors } from "../../compiler/weights/safetensors";
import { readArtifact } from "../../runtime/artifact";
import { decodeImage } from "../../runtime/image";
import { jsonTensor } from "../../runtime/json-input";
import { readNpy, writeNpy } from "../../runtime/npy";
import { compileSource, TWO_TASK } from "../helpers/compiled";
import { byteMutations, jsonVariants, mutateBytes, mutatedProgram, outcome, validProgram } from "./generators";
import { PNG } from "pngjs";

/** Per-input time bound: generous for a loaded 2-core machine; a hang or blow-up is far over it. */
const CASE_MS = 10_000;

function bounded<T>(f: () => T): T {
  const t0 = performance.now();
  const r = f();
  expect(performance.now() - t0, "one fuzz input took too long").toBeLessThan(CASE_MS);
  return r;
}

const expectUserOrOk = (f: () => unknown) => {
  const r = bounded(() => outcome(f));
  if (r instanceof Error) throw r; // shows the unexpected error and fast-check's counterexample
};

const params = (numRuns: number, seed: number) => ({ numRuns, seed, endOnFailure: true });

describe("programs", () => {
  it("generated valid programs check clean, format to a fixed point and compile", () => {
    fc.assert(
      fc.property(validProgram, (src) => {
        const host = memoryHost({ "main.mtl": src });
        const checked = bounded(() => checkProgram("main.mtl", host));
        expect(
          checked.diagnostics.filter((d) => d.severity === "error"),
          src,
        ).toEqual([]);
        const formatted = formatSource(src, "main.mtl");
        expect(formatted.diagnostics, src).toEqual([]);
        expect(formatSource(formatted.text, "main.mtl").text).toBe(formatted.text);
        const compiled = bounded(() => compileProgram("main.mtl", host));
        expect(compiled.ok, src).toBe(true);
      }),
      params(60, 15001),
    );
  });

  it("mutated programs give diagnostics, never an exception", () => {
    fc.assert(
      fc.property(mutatedProgram, (src) => {
        const host = memoryHost({ "main.mtl": src, "a.mtl": "block a() -> int {\n  return 8\n}\n" });
        const r = bounded(() => checkProgram("main.mtl", host));
        for (const d of r.diagnostics) expect(d.code).toMatch(/^MTL\d{4}$/);
        bounded(() => formatSource(src, "main.mtl"));
      }),
      params(1500, 15002),
    );
  });
});

describe("files", () => {
  const modelBytes = compileSource(TWO_TASK);
  const onnx = decodeModel(modelBytes);

  it("damaged model files are read or refused with a user error", () => {
    fc.assert(
      fc.property(byteMutations(false), fc.boolean(), ([ms], head) => {
        expectUserOrOk(() => readArtifact(mutateBytes(modelBytes, ms, head), "fuzz.onnx"));
      }),
      params(1000, 15003),
    );
  });

  it("malformed metadata and cost tables are refused with a user error", () => {
    const meta = JSON.parse(onnx.metadata.mtl) as Record<string, unknown>;
    const costs = JSON.parse(onnx.metadata["mtl.costs"]) as Record<string, unknown>;
    fc.assert(
      fc.property(
        fc.constantFrom("mtl", "mtl.costs", "mtl.config"),
        fc.oneof(jsonVariants(meta), jsonVariants(costs)),
        (key, text) => {
          expectUserOrOk(() =>
            readArtifact(encodeModel({ ...onnx, metadata: { ...onnx.metadata, [key]: text } }), "fuzz.onnx"),
          );
        },
      ),
      params(800, 15004),
    );
  });

  it("damaged safetensors files are read or refused with a user error", () => {
    const good = encodeSafetensors(
      new Map([
        ["a.weight", { dtype: "F32", shape: [2, 3], data: new Float32Array(6).fill(1) }],
        ["b.bias", { dtype: "F32", shape: [4], data: new Float32Array(4) }],
      ]) as never,
    );
    fc.assert(
      fc.property(byteMutations(), ([ms, head]) => {
        expectUserOrOk(() => decodeSafetensors(mutateBytes(good, ms, head)));
      }),
      params(1000, 15005),
    );
  });

  it("damaged .npy, .json and image inputs are read or refused with a user error", () => {
    const npy = writeNpy(new Float32Array(24).fill(0.5), [1, 2, 3, 4]);
    const png = new PNG({ width: 8, height: 8 });
    png.data.fill(128);
    const pngBytes = new Uint8Array(PNG.sync.write(png));
    fc.assert(
      fc.property(byteMutations(), ([ms, head]) => {
        expectUserOrOk(() => readNpy(mutateBytes(npy, ms, head)));
        expectUserOrOk(() => decodeImage(mutateBytes(pngBytes, ms, head), "fuzz.png"));
      }),
      params(1000, 15006),
    );
    fc.assert(
      fc.property(
        jsonVariants({
          a: [
            [1, 2],
            [3, 4],
          ],
          b: 1,
        }),
        (text) => {
          expectUserOrOk(() => jsonTensor(text, "fuzz.json"));
        },
      ),
      params(1000, 15007),
    );
  });
});

describe("the CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "mtl-fuzz-cli-"));
  writeFileSync(join(dir, "two.mtl"), TWO_TASK);
  writeFileSync(join(dir, "two.onnx"), compileSource(TWO_TASK));
  writeFileSync(join(dir, "bad.onnx"), mutateBytes(compileSource(TWO_TASK), [{ kind: "truncate", at: 300 }], false));
  writeFileSync(join(dir, "x.json"), "null");
  writeFileSync(join(dir, "x.npy"), new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 3, 0, 255, 255, 255, 255]));

  const argv = fc
    .oneof(
      fc.tuple(
        fc.constantFrom("check", "fmt"),
        fc.constantFrom("two.mtl", "missing.mtl", "/dev/zero", "."),
        fc.subarray(["--json", "--check", "--limits", "steps=0", "--root", "/"]),
      ),
      fc.tuple(
        fc.constantFrom("info", "search", "run", "bench", "weights"),
        fc.constantFrom("two.onnx", "bad.onnx", "/dev/zero", "two.mtl"),
        fc.subarray([
          "--json",
          "--budget",
          "NaN",
          "--prefer",
          "seg=-1",
          "--input",
          "x.json",
          "--input",
          "x.npy",
          "--config",
          "e=0.3",
          "--random",
          "--tasks",
          "nope",
        ]),
      ),
    )
    .map(([cmd, file, flags]) => [cmd, file, ...flags]);

  it("exits 0, 1 or 2 without a stack trace", () => {
    fc.assert(
      fc.property(argv, (args) => {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, [join(import.meta.dirname, "..", "..", "cli", "bin.js"), ...args], {
          cwd: dir,
          encoding: "utf8",
          timeout: 60_000,
        });
        expect([0, 1, 2], `mtl ${args.join(" ")}: ${r.stderr}`).toContain(r.status);
        expect(r.stderr, `mtl ${args.join(" ")}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
        expect(performance.now() - t0).toBeLessThan(60_000);
      }),
      params(12, 15008),
    );
  }, 600_000);
});

describe("memory", () => {
  it("stays bounded over the batches above", () => {
    expect(process.memoryUsage().rss).toBeLessThan(3 * 2 ** 30);
  });
});
