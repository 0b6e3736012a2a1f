// int8 against fp32 (cached specialised session) against PyTorch eager with sliced weights (the
// `mtl export torch` package, /usr/bin/python3, torch 1.13), at full width and 0.5, batch 1 and 8,
// the same intra-op threads, side by side in one run. Calibration uses seeded synthetic images
// (no NYUD data here), so the agreement it prints measures quantisation noise on seeded weights,
// not accuracy on real data. Figures are noisy on a shared machine.
// Run: npx tsx bench/quantize.ts [model.mtl=examples/nyud.mtl] [threads=1] [runs=5]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PNG } from "pngjs";
import { main } from "../cli/main";
import { load, type MtlModel } from "../runtime/index";
import { median } from "../runtime/bench";

const source = resolve(process.argv[2] ?? "examples/nyud.mtl");
const threads = Number(process.argv[3] ?? 1);
const runs = Number(process.argv[4] ?? 5);
const work = mkdtempSync(join(tmpdir(), "mtl-bench-int8-"));
const fp32File = join(work, "fp32.onnx");
const int8File = join(work, "int8.onnx");
const images = join(work, "images");

/** Seeded smooth colour fields with noise: images whose activations are not just noise. */
function writeImages(count: number, width: number, height: number): void {
  mkdirSync(images);
  let s = 12345;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (let k = 0; k < count; k++) {
    const png = new PNG({ width, height });
    const [a, b, c] = [next(), next(), next()];
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        png.data[i] = 255 * (0.5 + 0.5 * Math.sin(x * a * 0.05 + k)) * (0.8 + 0.2 * next());
        png.data[i + 1] = 255 * (0.5 + 0.5 * Math.cos(y * b * 0.05)) * (0.8 + 0.2 * next());
        png.data[i + 2] = 255 * (x + y < (width + height) * c ? 0.8 : 0.2) * (0.8 + 0.2 * next());
        png.data[i + 3] = 255;
      }
    writeFileSync(join(images, `img${k}.png`), PNG.sync.write(png));
  }
}

const PYTHON = String.raw`
import sys, time, json, importlib.util, statistics
import torch
pkg, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cases = json.loads(sys.argv[4])
torch.set_num_threads(threads)
sys.path.insert(0, pkg)
import model as m
net = m.Model().eval()
net.load_weights(pkg + "/weights.safetensors")
out = []
with torch.no_grad():
    for c in cases:
        x = {k: torch.randn(*([c["batch"]] + v)) for k, v in c["inputs"].items()}
        net.decode(net(x, config=c["config"]))
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter(); net.decode(net(x, config=c["config"])); ts.append((time.perf_counter() - t0) * 1000)
        out.append(statistics.median(ts))
print(json.dumps({"ms": out, "torch": torch.__version__}))
`;

/** Medians of int8 and fp32 cached runs, interleaved run by run so that both see the same load. */
async function timeBoth(models: MtlModel[], config: Record<string, number>, batch: number): Promise<number[]> {
  const inputs = Object.fromEntries(
    models[0].meta.inputs.map((i) => {
      const dims = [batch, ...i.shape.slice(1).map((d) => (typeof d === "number" ? d : 1))];
      const n = dims.reduce((a, b) => a * b, 1);
      return [i.name, { data: Float32Array.from({ length: n }, (_, k) => Math.sin(k) * 2), dims }];
    }),
  );
  for (const m of models) await m.run(inputs, { config, mode: "specialised" }); // builds and caches the session
  const ts = models.map(() => [] as number[]);
  for (let r = 0; r < runs; r++)
    for (let k = 0; k < models.length; k++)
      ts[k].push((await models[k].run(inputs, { config, mode: "specialised" })).ms);
  return ts.map(median);
}

try {
  console.log(`compiling ${source}, exporting it to PyTorch, calibrating int8 on 8 synthetic images ...`);
  if ((await main(["compile", source, "-o", fp32File])) !== 0) throw new Error("compile failed");
  if ((await main(["export", "torch", source, "-o", join(work, "torch")])) !== 0) throw new Error("export failed");
  const probe = await load(fp32File);
  const [, , h, w] = probe.meta.inputs[0].shape as number[];
  writeImages(8, w, h);
  const q = ["--quantize", "int8", "--calibrate", images, "--calibration-samples", "6", "--check-samples", "2"];
  if ((await main(["compile", source, "-o", int8File, ...q, "--threads", String(threads)])) !== 0)
    throw new Error("int8 compile failed");
  const fp32 = await load(fp32File, { threads, spinning: false });
  const int8 = await load(int8File, { threads, spinning: false, precision: "int8" });
  const groups = fp32.meta.groups;
  const at = (width: number) =>
    Object.fromEntries(groups.map((g) => [g.name, g.choices.findIndex((c) => Math.abs(c - width) < 1e-9)]));
  const cases = [1, 0.5].flatMap((width) => [1, 8].map((batch) => ({ width, batch, config: at(width) })));
  const rows: { width: number; batch: number; fp32: number; int8: number }[] = [];
  const shapes = Object.fromEntries(fp32.meta.inputs.map((i) => [i.name, i.shape.slice(1)]));
  const torch = { ms: [] as number[], torch: "" };
  // Each case in turn (onnxruntime, then PyTorch right after), so a case's figures share the machine's load.
  for (const c of cases) {
    const [i, f] = await timeBoth([int8, fp32], c.config, c.batch);
    rows.push({ width: c.width, batch: c.batch, fp32: f, int8: i });
    const torchCase = [{ batch: c.batch, config: c.config, inputs: shapes }];
    const py = execFileSync(
      "/usr/bin/python3",
      ["-c", PYTHON, join(work, "torch"), String(threads), String(runs), JSON.stringify(torchCase)],
      { encoding: "utf8", maxBuffer: 1 << 20 },
    );
    const t = JSON.parse(py) as { ms: number[]; torch: string };
    torch.ms.push(t.ms[0]);
    torch.torch = t.torch;
  }
  console.log(`\n${threads} intra-op thread(s), median of ${runs} runs; shared, loaded machine: noisy`);
  console.log("width batch   int8 ms   fp32 ms  torch ms  fp32/int8  torch/int8  torch/fp32");
  rows.forEach((r, k) => {
    const t = torch.ms[k];
    const cells = [r.int8, r.fp32, t].map((x) => x.toFixed(1).padStart(9));
    const ratios = [r.fp32 / r.int8, t / r.int8, t / r.fp32].map((x) => `${x.toFixed(2)}x`.padStart(10));
    console.log(`${String(r.width).padEnd(5)} ${String(r.batch).padStart(5)} ${cells.join(" ")} ${ratios.join("  ")}`);
  });
  console.log(`PyTorch ${torch.torch} eager, sliced weights (mtl export torch)`);
  await fp32.close();
  await int8.close();
  await probe.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
