// `mtl profile MODEL.onnx -o latency.json`: measures the latency table that latency budgets use,
// and says how noisy it is (the table records it; the search refuses a table flagged unreliable).
import type { LatencyQuality } from "../../runtime/search/latency";
import { load } from "../../runtime/index";
import { profileLatency } from "../../runtime/profile";
import { precisionFlag, sessionFlags, wholeNumber } from "../flags";
import { plural } from "../format";
import { out } from "../io";
import { checkOutputFile, writeOutput } from "../output";
import { progressReporter } from "../progress";
import { randomInputs } from "./inputs";
import { checkReadable } from "../files";

export interface ProfileCliOptions {
  threads?: string;
  spin?: boolean;
  ep?: string;
  precision?: string;
  output: string;
  runs?: string;
  warmup?: string;
  max?: string;
}

/** The quality record as lines for the terminal. */
export function describeQuality(q: LatencyQuality): string[] {
  const percent = (x: number) => `±${(x * 100).toFixed(1)}%`;
  const lines = [
    `noise: ${percent(q.noise)} typical, ${percent(q.maxNoise)} worst (robust spread of ${plural(q.runs, "run")} per measurement); ` +
      `${plural(q.outliers, "outlier")} ignored, ${q.noisy} of ${plural(q.measurements, "measurement")} noisy`,
  ];
  if (q.reliable) lines.push("the table is consistent: time grows with width everywhere within the noise");
  else
    lines.push(
      `warning: the table is unreliable: ${q.problems.join("; ")}`,
      "  the search refuses latency budgets on it unless given --accept-unreliable-latency;",
      "  profile again on a quieter machine or with more --runs",
    );
  for (const v of q.violations.slice(0, 5))
    lines.push(
      `  ${v.part}: widening \`${v.group}\` at choices [${v.at.join(", ")}] went from ${v.narrowerMs} ms to ${v.widerMs} ms`,
    );
  return lines;
}

export async function runProfile(path: string, o: ProfileCliOptions): Promise<number> {
  const runs = wholeNumber(o.runs, "--runs", 7);
  const warmup = wholeNumber(o.warmup, "--warmup", 2, 0);
  const max = wholeNumber(o.max, "--max", 2000);
  checkOutputFile(o.output, "-o", "latency.json", [path]);
  checkReadable(path, "model file"); // the same code for a missing file or a folder as every command
  const model = await load(path, { cacheSize: 8, ...sessionFlags(o), precision: precisionFlag(o.precision) });
  const t0 = performance.now();
  const table = await profileLatency(model, randomInputs(model.meta, 0), {
    runs,
    warmup,
    interleave: 8,
    maxMeasurements: max,
    onProgress: progressReporter("profile", "measurements"),
  });
  await writeOutput(o.output, JSON.stringify(table, null, 2), "-o", [path]);
  const q = table.quality!;
  const took = ((performance.now() - t0) / 1000).toFixed(1);
  out.log(
    `wrote ${o.output}: ${plural(q.measurements, "measurement")} (${plural(q.samples, "timed run")}) in ${took} s`,
  );
  for (const line of describeQuality(q)) out.log(line);
  await model.close();
  return 0;
}
