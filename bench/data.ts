// Loader throughput for the closing note: batches per second and samples per second over a data
// set, shuffled, with and without augmentation, and how long the caller waits per batch when it
// awaits `work` ms on each, as a step awaiting onnxruntime does (prefetching should hide the reading). Figures only; asserts nothing.
// Run: npx tsx bench/data.ts DIR [batchSize] [batches] [workMs]
//   (make DIR with `node cli/bin.js data multimnist -o DIR`)
import { openDataset } from "../runtime/data/dataset";

const dir = process.argv[2];
if (!dir) throw new Error("usage: npx tsx bench/data.ts DIR [batchSize] [batches] [workMs]");
const batchSize = Number(process.argv[3] ?? 256);
const batches = Number(process.argv[4] ?? 100);
const work = Number(process.argv[5] ?? 20);
const ds = await openDataset(dir);
const pre = { image: { mean: [0.1307], std: [0.3081] } };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// A training step awaits onnxruntime, which runs off the main thread: model it as an async wait.
const step = (ms: number) => new Promise((done) => setTimeout(done, ms));

for (const [label, augment, workMs] of [
  ["plain", undefined, 0],
  ["crop+flip", { cropPadding: 2, hflip: true }, 0],
  [`crop+flip, ${work} ms work`, { cropPadding: 2, hflip: true }, work],
] as const) {
  let n = 0;
  const waits: number[] = [];
  const start = performance.now();
  let t = performance.now();
  for await (const b of ds.batches({
    split: "train",
    batchSize,
    shuffle: true,
    seed: 0,
    epoch: 0,
    augment,
    normalize: pre,
    limit: batchSize * batches,
  })) {
    waits.push(performance.now() - t);
    n += b.size;
    if (workMs) await step(workMs);
    t = performance.now();
  }
  const secs = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(24)} ${(n / secs).toFixed(0).padStart(8)} samples/s  ${(n / batchSize / secs).toFixed(1).padStart(6)} batches/s  ` +
      `wait per batch: median ${median(waits).toFixed(2)} ms, mean ${(waits.reduce((a, b) => a + b, 0) / waits.length).toFixed(2)} ms`,
  );
}
