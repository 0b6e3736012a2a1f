// Long fuzzing run (issue 15): the generators of test/fuzz/ over many inputs, in-process. Prints
// inputs per second and every failure found (an exception that is not a user error, a valid program
// that does not check clean or compile, or an input over the time bound), with the input.
//
//   node --import tsx bench/fuzz.ts [total=100000] [seed=1]
import fc from "fast-check";
import { compileProgram } from "../compiler/compile";
import { memoryHost } from "../compiler/host";
import { checkProgram } from "../compiler/index";
import { formatSource } from "../compiler/format/index";
import { decodeModel } from "../compiler/onnx/decode";
import { encodeModel } from "../compiler/onnx/encode";
import { decodeSafetensors, encodeSafetensors } from "../compiler/weights/safetensors";
import { readArtifact } from "../runtime/artifact";
import { decodeImage } from "../runtime/image";
import { jsonTensor } from "../runtime/json-input";
import { readNpy, writeNpy } from "../runtime/npy";
import { compileSource, TWO_TASK } from "../test/helpers/compiled";
import {
  byteMutations,
  jsonVariants,
  mutateBytes,
  mutatedProgram,
  outcome,
  validProgram,
} from "../test/fuzz/generators";
import { PNG } from "pngjs";

const total = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const CASE_MS = 10_000;

interface Failure {
  target: string;
  problem: string;
  input: string;
}
const failures: Failure[] = [];

/** Runs one input; records a failure instead of stopping, so one run finds many. */
function run(target: string, input: () => string, f: () => string | undefined): void {
  const t0 = performance.now();
  let problem: string | undefined;
  const r = outcome(() => {
    problem = f();
  });
  if (r instanceof Error) problem = `unexpected ${r.name}: ${r.message.slice(0, 300)}`;
  const ms = performance.now() - t0;
  if (ms > CASE_MS) problem = `took ${ms.toFixed(0)} ms`;
  if (problem) failures.push({ target, problem, input: input().slice(0, 2000) });
}

const modelBytes = compileSource(TWO_TASK);
const onnx = decodeModel(modelBytes);
const meta = JSON.parse(onnx.metadata.mtl) as Record<string, unknown>;
const costs = JSON.parse(onnx.metadata["mtl.costs"]) as Record<string, unknown>;
const safetensors = encodeSafetensors(
  new Map([["a.weight", { dtype: "F32", shape: [2, 3], data: new Float32Array(6).fill(1) }]]) as never,
);
const npy = writeNpy(new Float32Array(24).fill(0.5), [1, 2, 3, 4]);
const png = new PNG({ width: 8, height: 8 });
png.data.fill(128);
const pngBytes = new Uint8Array(PNG.sync.write(png));
const hex = (b: Uint8Array) => Buffer.from(b.subarray(0, 256)).toString("hex");

// Share of the inputs per target (valid programs compile, so they are the slowest).
const targets: { name: string; share: number; arb: fc.Arbitrary<unknown>; test: (x: never) => void }[] = [
  {
    name: "valid program",
    share: 0.02,
    arb: validProgram,
    test: (src: string) =>
      run(
        "valid program",
        () => src,
        () => {
          const host = memoryHost({ "main.mtl": src });
          const errors = checkProgram("main.mtl", host).diagnostics.filter((d) => d.severity === "error");
          if (errors.length) return `does not check clean: ${errors[0].code} ${errors[0].message}`;
          const f = formatSource(src, "main.mtl");
          if (f.diagnostics.length || formatSource(f.text, "main.mtl").text !== f.text)
            return "formatting is not clean and stable";
          const c = compileProgram("main.mtl", host);
          return c.ok ? undefined : `does not compile: ${c.message ?? c.diagnostics[0]?.message}`;
        },
      ),
  },
  {
    name: "mutated program",
    share: 0.38,
    arb: mutatedProgram,
    test: (src: string) =>
      run(
        "mutated program",
        () => src,
        () => {
          checkProgram("main.mtl", memoryHost({ "main.mtl": src, "a.mtl": "block a() -> int {\n  return 8\n}\n" }));
          formatSource(src, "main.mtl");
          return undefined;
        },
      ),
  },
  {
    name: "model file",
    share: 0.12,
    arb: fc.tuple(byteMutations(false), fc.boolean()),
    test: ([[ms], head]: [[never[], boolean], boolean]) => {
      const b = mutateBytes(modelBytes, ms, head);
      run(
        "model file",
        () => hex(b),
        () => void readArtifact(b, "fuzz.onnx"),
      );
    },
  },
  {
    name: "metadata",
    share: 0.12,
    arb: fc.tuple(fc.constantFrom("mtl", "mtl.costs", "mtl.config"), fc.oneof(jsonVariants(meta), jsonVariants(costs))),
    test: ([key, text]: [string, string]) =>
      run(
        "metadata",
        () => `${key}: ${text}`,
        () => void readArtifact(encodeModel({ ...onnx, metadata: { ...onnx.metadata, [key]: text } }), "fuzz.onnx"),
      ),
  },
  {
    name: "safetensors",
    share: 0.12,
    arb: byteMutations(),
    test: ([ms, head]: [never[], boolean]) => {
      const b = mutateBytes(safetensors, ms, head);
      run(
        "safetensors",
        () => hex(b),
        () => void decodeSafetensors(b),
      );
    },
  },
  {
    name: "npy / png",
    share: 0.12,
    arb: byteMutations(),
    test: ([ms, head]: [never[], boolean]) => {
      const a = mutateBytes(npy, ms, head);
      run(
        "npy",
        () => hex(a),
        () => void readNpy(a),
      );
      const b = mutateBytes(pngBytes, ms, head);
      run(
        "png",
        () => hex(b),
        () => void decodeImage(b, "fuzz.png"),
      );
    },
  },
  {
    name: "json input",
    share: 0.12,
    arb: jsonVariants({
      a: [
        [1, 2],
        [3, 4],
      ],
      b: 1,
    }),
    test: (text: string) =>
      run(
        "json input",
        () => text,
        () => void jsonTensor(text, "fuzz.json"),
      ),
  },
];

console.log(`fuzzing ${total} inputs (seed ${seed})`);
const started = performance.now();
for (const [i, t] of targets.entries()) {
  const n = Math.max(1, Math.round(total * t.share));
  const before = failures.length;
  const t0 = performance.now();
  fc.assert(
    fc.property(t.arb, (x) => void t.test(x as never)),
    { numRuns: n, seed: seed + i },
  );
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${t.name.padEnd(16)} ${String(n).padStart(7)} inputs  ${(n / s).toFixed(0).padStart(6)}/s  ${failures.length - before} failures`,
  );
}
const s = (performance.now() - started) / 1000;
console.log(
  `total: ${total} inputs in ${s.toFixed(1)} s (${(total / s).toFixed(0)}/s), ${failures.length} ` +
    `failures, peak rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
);
const seen = new Set<string>();
for (const f of failures) {
  const key = `${f.target}|${f.problem.slice(0, 80)}`;
  if (seen.has(key)) continue;
  seen.add(key);
  console.log(`\n[${f.target}] ${f.problem}\n  input: ${JSON.stringify(f.input)}`);
}
process.exitCode = failures.length ? 1 : 0;
