// `mtl serve` answering while it computes: health probes sent every 10 ms during large batches of
// examples/nyud.mtl (full width, binary tensors both ways so that JSON costs little), with batches
// on the server's own thread (--in-process) and on worker threads (the default), side by side in
// one run; then two batches of different configurations sent at once, on one thread and with
// --parallel 2. Prints figures, asserts nothing.
// Usage: npx tsx bench/serve-probes.ts [--batch 4] [--requests 3]
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileProgram } from "../compiler/compile";
import { memoryHost } from "../compiler/host";
import { KServeRestClient } from "../runtime/client/index";
import { stdlibFiles } from "../test/helpers/check";
import { startProcess, stopProcess } from "./serve-process";

const { values: flags } = parseArgs({
  options: { batch: { type: "string", default: "4" }, requests: { type: "string", default: "3" } },
});
const batch = Number(flags.batch);
const requests = Number(flags.requests);
const root = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "mtl-bench-probes-"));

const r = compileProgram(
  "main.mtl",
  memoryHost({ ...stdlibFiles, "main.mtl": readFileSync(join(root, "examples", "nyud.mtl"), "utf8") }),
);
if (!r.ok) throw new Error("examples/nyud.mtl does not compile");
const file = join(tmp, "nyud.onnx");
writeFileSync(file, r.compiled.bytes);
const input = r.compiled.graph.inputs[0];
const shape = r.compiled.graph.values.get(input.value)!.type.shape.map((d) => (typeof d === "number" ? d : batch));
let seed = 1;
const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
});
const image = [{ name: input.name, datatype: "FP32" as const, shape, data }];

/** The two configurations of "two at once"; both preloaded. */
const CONFIGS = ["backbone=1", "backbone=0.5"];
const PRELOAD = ["--preload", CONFIGS.join(";")];

let port = 18_600;
async function serve(flags: string[]): Promise<{ child: ChildProcess; client: KServeRestClient }> {
  const args = ["cli/bin.js", "serve", file, "--port", String(port++), "--grpc-port", "none", ...flags];
  const { child, url } = await startProcess(args);
  return { child, client: new KServeRestClient(url) };
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** `requests` batches one after another, probing health every 10 ms meanwhile. */
async function probed(client: KServeRestClient): Promise<{ infer: number[]; probes: number[] }> {
  const infer: number[] = [];
  const probes: number[] = [];
  let done = false;
  const work = (async () => {
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await client.infer("NYUD", image, { config: "backbone=1", binary: true });
      infer.push(performance.now() - t0);
    }
    done = true;
  })();
  while (!done) {
    const t0 = performance.now();
    await client.live();
    probes.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 10));
  }
  await work;
  return { infer, probes };
}

/** Two batches of different configurations sent at once: wall time until both are answered. */
async function pair(client: KServeRestClient): Promise<number> {
  const t0 = performance.now();
  await Promise.all(CONFIGS.map((config) => client.infer("NYUD", image, { config, binary: true })));
  return performance.now() - t0;
}

try {
  console.log(
    `NYUD (examples/nyud.mtl), input [${shape.join(", ")}], ${requests} batches at full width, probes every 10 ms`,
  );
  console.log(
    `${"server".padEnd(34)} ${"batch ms (median)".padStart(18)} ${"probes".padStart(7)} ${"probe p50 ms".padStart(13)}` +
      ` ${"probe max ms".padStart(13)} ${"two at once ms".padStart(15)}`,
  );
  for (const [what, args] of [
    ["--in-process", ["--in-process", ...PRELOAD]],
    ["worker thread (default)", PRELOAD],
    ["--parallel 2 (two worker threads)", ["--parallel", "2", ...PRELOAD]],
  ] as [string, string[]][]) {
    const s = await serve(args);
    try {
      await pair(s.client); // warm-up
      const p = await probed(s.client);
      const twice = [await pair(s.client), await pair(s.client)];
      console.log(
        `${what.padEnd(34)} ${pct(p.infer, 0.5).toFixed(0).padStart(18)} ${String(p.probes.length).padStart(7)}` +
          ` ${pct(p.probes, 0.5).toFixed(0).padStart(13)} ${Math.max(...p.probes)
            .toFixed(0)
            .padStart(13)} ${Math.min(...twice)
            .toFixed(0)
            .padStart(15)}`,
      );
    } finally {
      await stopProcess(s.child);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
