// The opt-in low-resolution dense argmax against the exact one (argmax of the full-resolution
// logits): per model and width, the time of the argmax tasks alone (cached sessions) and the
// fraction of pixels whose class agrees, on seeded smooth synthetic images (no NYUD / PASCAL data
// here, seeded weights: boundaries of random-weight class maps, not of trained ones). Noisy: shared machine.
// Run: npx tsx bench/dense-argmax.ts [threads=1] [runs=5] [images=4]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../cli/main";
import { load } from "../runtime/index";
import { median } from "../runtime/bench";

const threads = Number(process.argv[2] ?? 1);
const runs = Number(process.argv[3] ?? 5);
const images = Number(process.argv[4] ?? 4);
const work = mkdtempSync(join(tmpdir(), "mtl-bench-argmax-"));

function smooth(seed: number, c: number, h: number, w: number): Float32Array {
  const [a, b] = [1 + (seed % 5), 2 + (seed % 3)];
  return Float32Array.from({ length: c * h * w }, (_, i) => {
    const x = i % w;
    const y = Math.floor(i / w) % h;
    const k = Math.floor(i / (h * w));
    return Math.sin((x * a) / 40 + k + seed) + Math.cos((y * b) / 30 - k * 2);
  });
}

try {
  console.log(`${threads} thread(s), median of ${runs} runs, ${images} smooth synthetic images; shared machine: noisy`);
  console.log("model    width   exact ms  low-res ms  exact/low-res  pixels agreeing");
  for (const name of ["nyud", "pascal_context"]) {
    const file = join(work, `${name}.onnx`);
    if ((await main(["compile", `examples/${name}.mtl`, "-o", file])) !== 0) throw new Error("compile failed");
    const exact = await load(file, { threads, spinning: false });
    const cheap = await load(file, { threads, spinning: false, denseArgmax: "low-resolution" });
    const tasks = exact.meta.tasks.filter((t) => (t.decode as { kind: string }).kind === "argmax").map((t) => t.name);
    const [, c, h, w] = exact.meta.inputs[0].shape as number[];
    for (const pick of [0, -1]) {
      const config = Object.fromEntries(exact.meta.groups.map((g) => [g.name, pick < 0 ? g.choices.length - 1 : pick]));
      let same = 0;
      let total = 0;
      const times = { exact: [] as number[], cheap: [] as number[] };
      for (let k = 0; k < images; k++) {
        const input = { [exact.meta.inputs[0].name]: { data: smooth(k, c, h, w), dims: [1, c, h, w] } };
        const a = await exact.run(input, { config, tasks, mode: "specialised" });
        const b = await cheap.run(input, { config, tasks });
        for (const t of tasks) {
          const x = a.outputs[t][t].data;
          const y = b.outputs[t][t].data;
          total += x.length;
          for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
        }
        for (let r = 0; r < runs; r++) {
          times.exact.push((await exact.run(input, { config, tasks, mode: "specialised" })).ms);
          times.cheap.push((await cheap.run(input, { config, tasks })).ms);
        }
      }
      const [e, l] = [median(times.exact), median(times.cheap)];
      const width = exact.meta.groups[0].choices[config[exact.meta.groups[0].name]];
      const cells = [e.toFixed(1).padStart(9), l.toFixed(1).padStart(11), `${(e / l).toFixed(2)}x`.padStart(14)];
      console.log(
        `${name.slice(0, 8).padEnd(8)} ${String(width).padEnd(5)} ${cells.join(" ")} ${((100 * same) / total).toFixed(2)}%`,
      );
    }
    await exact.close();
    await cheap.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
