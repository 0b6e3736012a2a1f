// `mtl serve` under load on loopback (autocannon): throughput and p50/p99 latency at 1, 16 and 64
// concurrent clients with mixed budgets, against the plain fastify + model.run baseline, with and
// without batching, with batches on a worker thread (the default), on the server's own thread
// (--in-process) and on two worker threads (--parallel 2); then RSS over a mixed-budget soak.
// Prints figures, asserts nothing.
// Usage: npx tsx bench/serve.ts [--seconds 5] [--soak 300] [--soak-only] [--models cifar,two]
//        [--only TEXT] (only the rows whose label holds TEXT). nyud: add "nyud" to --models; it is
//        ~100 MB and slow on a shared machine. Bounded: every run has a fixed duration.
import autocannon from "autocannon";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileProgram } from "../compiler/compile";
import { memoryHost } from "../compiler/host";
import { stdlibFiles } from "../test/helpers/check";
import { TWO_TASK } from "../test/helpers/compiled";
import { SERVING, startProcess, stopProcess } from "./serve-process";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg("seconds", "5"));
const soakSeconds = Number(arg("soak", "30"));
const wanted = arg("models", "cifar,two").split(",");
const only = arg("only", "");
const loadRuns = !process.argv.includes("--soak-only");
const root = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "mtl-bench-serve-"));

const SOURCES: Record<string, () => string> = {
  cifar: () => readFileSync(join(root, "examples", "cifar_mtl.mtl"), "utf8"),
  two: () => TWO_TASK,
  nyud: () => readFileSync(join(root, "examples", "nyud.mtl"), "utf8"),
};

function compile(key: string): { file: string; name: string; shape: number[] } {
  const r = compileProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": SOURCES[key]() }));
  if (!r.ok) throw new Error(`${key} does not compile`);
  const file = join(tmp, `${key}.onnx`);
  writeFileSync(file, r.compiled.bytes);
  const input = r.compiled.graph.inputs[0];
  const shape = r.compiled.graph.values.get(input.value)!.type.shape.map((d) => (typeof d === "number" ? d : 1));
  return { file, name: r.compiled.graph.name, shape };
}

function bodies(shape: number[]): string[] {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = 1;
  const data = Array.from({ length: n }, () =>
    Number((((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1).toFixed(4)),
  );
  return ["25%", "50%", "75%", "100%"].map((budget) =>
    JSON.stringify({ parameters: { budget }, inputs: [{ name: "image", shape, datatype: "FP32", data }] }),
  );
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  url: string,
  name: string,
  shape: number[],
  connections: number,
  duration: number,
): Promise<Figures> {
  const requests = bodies(shape).map((body) => ({
    method: "POST" as const,
    path: `/v2/models/${name}/infer`,
    headers: { "content-type": "application/json" },
    body,
  }));
  const r = await autocannon({ url, connections, duration, requests, timeout: 30 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts };
}

const row = (what: string, c: number, f: Figures) =>
  console.log(
    `  ${what.padEnd(28)} c=${String(c).padStart(2)}  ${f.rps.toFixed(1).padStart(8)} req/s` +
      `  p50 ${String(f.p50).padStart(5)} ms  p99 ${String(f.p99).padStart(5)} ms  errors ${f.errors}`,
  );

let port = 18_400;
/** `mtl serve` of one model on the next port, REST only, with a queue deep enough for 64 clients. */
const serveArgs = (file: string, flags: string[] = []) => [
  "cli/bin.js",
  "serve",
  file,
  "--port",
  String(port++),
  "--grpc-port",
  "none",
  "--max-queue",
  "1024",
  ...flags,
];
try {
  console.log(`mtl serve benchmark: loopback, ${seconds} s per run, shared 2-core machine (figures are noisy)`);
  for (const key of loadRuns ? wanted : []) {
    const m = compile(key);
    console.log(`\n${m.name} (${key}), input [${m.shape.join(", ")}], budgets cycling 25/50/75/100%`);
    const servers: [string, string[], RegExp][] = [
      ["mtl serve (batch 16, wait 0)", serveArgs(m.file, ["--max-batch", "16", "--preload", "pareto"]), SERVING],
      [
        "  the same, --in-process",
        serveArgs(m.file, ["--max-batch", "16", "--preload", "pareto", "--in-process"]),
        SERVING,
      ],
      [
        "  the same, --parallel 2",
        serveArgs(m.file, ["--max-batch", "16", "--preload", "pareto", "--parallel", "2"]),
        SERVING,
      ],
      [
        "mtl serve (batch 16, wait 2)",
        serveArgs(m.file, ["--max-batch", "16", "--batch-wait-ms", "2", "--preload", "pareto"]),
        SERVING,
      ],
      ["mtl serve (no batching)", serveArgs(m.file, ["--max-batch", "1", "--preload", "pareto"]), SERVING],
      ["fastify + model.run", ["--import", "tsx", "bench/serve-baseline.ts", m.file, String(port++)], /on (http:\S+)/],
    ];
    for (const [what, args, match] of servers.filter(([w]) => !only || w.includes(only))) {
      const s = await startProcess(args, match);
      await load(s.url, m.name, m.shape, 4, 1); // warm-up: sessions of the four budgets
      for (const c of [1, 16, 64]) row(what, c, await load(s.url, m.name, m.shape, c, seconds));
      await stopProcess(s.child);
    }
  }
  if (soakSeconds > 0) {
    const m = compile(wanted[0]);
    const s = await startProcess(serveArgs(m.file), SERVING);
    const rss = async () => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return Number(/mtl_process_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? NaN) / 1e6;
    };
    const step = Math.max(1, Math.round(soakSeconds / 10));
    console.log(`\nsoak: ${m.name}, 16 clients, mixed budgets, ${soakSeconds} s; server RSS (MB) every ${step} s:`);
    const samples: number[] = [];
    const run = load(s.url, m.name, m.shape, 16, soakSeconds);
    for (let t = 0; t < soakSeconds; t += step) {
      await new Promise((r) => setTimeout(r, step * 1000));
      samples.push(await rss());
    }
    const f = await run;
    console.log(`  ${samples.map((x) => x.toFixed(0)).join(" ")}`);
    row("soak", 16, f);
    await stopProcess(s.child);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
