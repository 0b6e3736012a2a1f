// The end of scripts/demo.sh: the trained MultiMNIST model shipped in examples/trained/multimnist/
// on real test digit pairs under a few budgets. It draws the first pairs as text, then per budget
// the configuration the planner picks (with its accuracy measured on the 10,000 test pairs, from the
// profile stored in the file) and each pair's true digits next to the predicted ones.
// Usage: tsx scripts/demo-digits.ts MODEL.onnx DIGITS_DIR [PAIRS] [BUDGET...]   (default 12, 30% 100%)
import { openDataset } from "../runtime/data/dataset";
import { load } from "../runtime/model";
import type { StoredProfile } from "../runtime/profile-schema";

const SHADES = " .:-=+*#%@";
const DRAWN = 4; // pairs drawn as text, side by side

/** Rows of text for one [1, 28, 28] image in [0, 1]: a character per pixel across, per two pixels down. */
function drawRows(pixels: ArrayLike<number>, h: number, w: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < h; y += 2) {
    let row = "";
    for (let x = 0; x < w; x++) {
      const v = Math.max(pixels[y * w + x], y + 1 < h ? pixels[(y + 1) * w + x] : 0);
      row += SHADES[Math.min(SHADES.length - 1, Math.max(0, Math.round(v * (SHADES.length - 1))))];
    }
    rows.push(row);
  }
  return rows;
}

/** A task's accuracy measured at these widths (its shared and own groups), from the stored profile. */
function measured(profile: StoredProfile | null, task: string, widths: Record<string, number>): string {
  const point = profile?.tasks[task]?.points.find((p) =>
    Object.entries(p.config).every(([g, w]) => Math.abs(widths[g] - w) < 1e-9),
  );
  return point ? `${(point.score * 100).toFixed(2)}%` : "not measured";
}

async function main(): Promise<void> {
  const [modelPath, digits, pairsArg, ...budgetArgs] = process.argv.slice(2);
  if (!modelPath || !digits)
    throw new Error("usage: tsx scripts/demo-digits.ts MODEL.onnx DIGITS_DIR [PAIRS] [BUDGET...]");
  const pairs = Number(pairsArg ?? 12);
  const budgets = budgetArgs.length ? budgetArgs : ["30%", "100%"];
  const model = await load(modelPath, { threads: 1 });
  const input = model.meta.inputs[0];
  const norm = input.preprocess ?? { mean: [0], std: [1] };
  const ds = await openDataset(digits);
  const options = { split: "test", batchSize: pairs, shuffle: false, seed: 0, epoch: 0, limit: pairs };
  let batch;
  for await (const b of ds.batches({ ...options, normalize: { [input.name]: norm } })) batch = b;
  if (!batch) throw new Error(`${digits} has no test samples`);
  const image = batch.inputs[input.name];
  const [h, w] = image.dims.slice(-2);
  const tasks = model.meta.tasks.map((t) => t.name);
  const truth = (t: string, i: number) => Number(batch.targets[t].data[i]);

  if (!(image.data instanceof Float32Array)) throw new Error(`${digits}: input ${input.name} is not an image`);
  const pixels = image.data;
  const raw = (i: number) =>
    Array.from(pixels.subarray(i * h * w, (i + 1) * h * w), (v) => v * norm.std[0] + norm.mean[0]);
  const drawn = Array.from({ length: Math.min(DRAWN, pairs) }, (_, i) => drawRows(raw(i), h, w));
  console.log(`\nThe first ${drawn.length} of ${pairs} test pairs (${tasks.join(" digit, ")} digit):`);
  for (let r = 0; r < drawn[0].length; r++)
    console.log(
      drawn
        .map((d) => d[r])
        .join("  ")
        .trimEnd(),
    );
  console.log(
    drawn
      .map((_, i) => `pair ${i}: ${tasks.map((t) => truth(t, i)).join(" ")}`.padEnd(w))
      .join("  ")
      .trimEnd(),
  );

  const columns: { head: string; predicted: (t: string, i: number) => number }[] = [];
  for (const budget of budgets) {
    const plan = model.plan({ budget });
    const result = await model.run({ [input.name]: image }, { plan });
    const widths = Object.entries(plan.widths)
      .map(([g, x]) => `${g} ${x}`)
      .join(", ");
    // the full-width model's cost (the plan at 100% need not be full width: a narrower head can measure better)
    const share = ((plan.cost.macs / plan.budget.full) * 100).toFixed(0);
    const accuracy = tasks.map((t) => `${t} ${measured(model.profile, t, plan.widths)}`).join(", ");
    console.log(`\nbudget ${budget}: ${widths}; ${(plan.cost.macs / 1e6).toFixed(2)}M MACs (${share}% of full width)`);
    console.log(`  measured on ${model.profile?.measured?.images ?? "?"} test pairs: ${accuracy}`);
    const predicted = (t: string, i: number) => Number(result.outputs[t][t].data[i]);
    const right = tasks.map((t) => {
      const n = Array.from({ length: pairs }, (_, i) => predicted(t, i) === truth(t, i)).filter(Boolean).length;
      return `${t} ${n}/${pairs}`;
    });
    console.log(`  on these ${pairs} pairs: ${right.join(", ")}`);
    columns.push({ head: budget, predicted });
  }

  console.log(`\npair  true   ${columns.map((c) => `at ${c.head}`.padEnd(10)).join("")}(x: wrong)`);
  for (let i = 0; i < pairs; i++) {
    const cells = columns.map((c) => {
      const marks = tasks.map((t) => `${c.predicted(t, i)}${c.predicted(t, i) === truth(t, i) ? " " : "x"}`);
      return marks.join(" ").padEnd(10);
    });
    console.log(`${String(i).padStart(4)}  ${tasks.map((t) => truth(t, i)).join(" ")}    ${cells.join("")}`.trimEnd());
  }
  await model.close();
}

main().catch((e: Error) => {
  console.error(`demo-digits: ${e.message}`);
  process.exit(1);
});
