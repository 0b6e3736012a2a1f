// Peak RSS of a whole `mtl run` process against a PyTorch 1.13 process (Debian /usr/bin/python3)
// running the same model (`mtl export torch`: the same seeded weights) at the same configuration,
// one image, one thread each, side by side in one run. Node's and Python's own start-up memory is
// included on both sides, as a user sees it.
// Run: npx tsx bench/rss-vs-torch.ts [examples/nyud.mtl] [runs]
// MTL_BEFORE_BIN=/path/to/other/cli/bin.js also times another build of mtl (e.g. the previous
// commit's) in the same interleaved rounds, for before/after figures from one run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const here = resolve(import.meta.dirname, "..");
const source = resolve(process.argv[2] ?? join(here, "examples", "nyud.mtl"));
const runs = Number(process.argv[3] ?? 3);
const python = "/usr/bin/python3";
if (!existsSync(python)) throw new Error(`${python} (Debian's, with torch) is needed`);
const work = mkdtempSync(join(tmpdir(), "mtl-rss-"));
const bin = join(here, "cli", "bin.js");

function sh(cmd: string, args: string[], cwd = work): { out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return { out: r.stdout, err: r.stderr };
}

const model = join(work, "model.onnx");
sh(process.execPath, [bin, "compile", source, "-o", model]);
sh(process.execPath, [bin, "export", "torch", source, "-o", join(work, "torch")]);
const { metadata: meta } = JSON.parse(sh(process.execPath, [bin, "info", model, "--json"]).out) as {
  metadata: { groups: { name: string; choices: number[] }[]; inputs: { name: string; shape: (number | string)[] }[] };
};

const TORCH = `
import resource, sys, json, torch
torch.set_num_threads(1)
sys.path.insert(0, "torch")
from model import Model
config = json.loads(sys.argv[1])
shapes = json.loads(sys.argv[2])
m = Model().eval()
m.load_weights("torch/weights.safetensors")
g = torch.Generator().manual_seed(0)
inputs = {k: torch.rand(*s, generator=g) for k, s in shapes.items()}
with torch.no_grad():
    m.decode(m(inputs, config=config))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
`;

const before = process.env.MTL_BEFORE_BIN;
const mtlRss = (config: string, cli = bin): number => {
  const r = sh(
    process.execPath,
    ["-r", join(here, "bench", "report-rss.cjs"), cli, "run", model, "--random", "--threads", "1"].concat(
      config ? ["--config", config] : [],
    ),
  );
  return Number(/MTL_BENCH_MAX_RSS_KB=(\d+)/.exec(r.err)![1]) / 1024;
};
const torchRss = (config: Record<string, number>): number => {
  const shapes = Object.fromEntries(
    meta.inputs.map((i) => [i.name, i.shape.map((d) => (typeof d === "number" ? d : 1))]),
  );
  return Number(sh(python, ["-c", TORCH, JSON.stringify(config), JSON.stringify(shapes)]).out.trim()) / 1024;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`peak RSS, whole process, median of ${runs} interleaved runs, one thread, one image (shared machine)`);
for (const [label, pick] of [
  ["width 0.25", 0],
  ["width 0.75", 2],
  ["width 1", 3],
] as const) {
  const indices = Object.fromEntries(meta.groups.map((g) => [g.name, Math.min(pick, g.choices.length - 1)]));
  const widths = meta.groups.map((g) => `${g.name}=${g.choices[indices[g.name]]}`).join(",");
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(mtlRss(widths));
    b.push(torchRss(indices));
    if (before) c.push(mtlRss(widths, before));
  }
  const [m, t] = [median(a), median(b)];
  const old = before ? `  before ${median(c).toFixed(0)} MiB (${(median(c) / t).toFixed(2)}x)` : "";
  console.log(
    `${label.padEnd(11)} mtl run ${m.toFixed(0)} MiB  PyTorch ${t.toFixed(0)} MiB  mtl/PyTorch ${(m / t).toFixed(2)}x${old}`,
  );
}
