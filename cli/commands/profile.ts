// `mtl profile MODEL.onnx -o latency.json`: measures the latency table that latency budgets use.
import { load } from "../../runtime/index";
import { profileLatency } from "../../runtime/profile";
import { wholeNumber } from "../flags";
import { checkOutputFile, writeOutput } from "../output";
import { out } from "../io";
import { randomInputs } from "./inputs";

export interface ProfileCliOptions {
  output: string;
  runs?: string;
  max?: string;
}

function progress(done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`);
}

export async function runProfile(path: string, o: ProfileCliOptions): Promise<number> {
  const runs = wholeNumber(o.runs, "--runs", 5);
  const max = wholeNumber(o.max, "--max", 2000);
  checkOutputFile(o.output, "-o", "latency.json");
  const model = await load(path, { cacheSize: 2 });
  const t0 = performance.now();
  const table = await profileLatency(model, randomInputs(model.meta, 0), { runs, maxMeasurements: max, onProgress: progress });
  await writeOutput(o.output, JSON.stringify(table, null, 2));
  out.log(`wrote ${o.output}: ${table.terms.reduce((n, t) => n + t.ms.length, 0)} measurements in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await model.close();
  return 0;
}
