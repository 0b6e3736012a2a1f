// `mtl eval MODEL.onnx --data DIR [--configs factorised|all|pareto|N] [--batches N] [--json]
// [-o profile.json] [--write] [--precision fp32|int8]`: each task's metrics per configuration, BatchNorm calibrated per
// configuration on the training split; a table (or JSON) and the measured utility profile, written
// to a JSON file and/or into the model file's metadata (atomically). See docs/eval.md.
// `--precision int8` scores the file's int8 sessions instead (./eval-int8.ts, docs/quantization.md).
import { checkDataFitsModel, modelDataSpec, openDataset } from "../../runtime/data/index";
import { parseSelection, selectConfigs } from "../../runtime/eval/configs";
import { evaluate, type EvalResult } from "../../runtime/eval/evaluate";
import { buildProfile, withProfile } from "../../runtime/eval/profile";
import { EvalError } from "../../runtime/eval/metrics";
import { feedsOf } from "../../runtime/train/loop";
import { partialCalibration } from "../../runtime/train/calibrate";
import { sessionSettings } from "../../runtime/train/sessions";
import type { StoredProfile } from "../../runtime/profile-schema";
import { checkOutputFile, writeOutputSync } from "../output";
import { human } from "../format";
import { out } from "../io";
import { precisionFlag } from "../flags";
import { progressReporter } from "../progress";
import { loadTrained, frozenState, type CalibratingCliOptions, type TrainedModel } from "../trained-model";
import { wholeNumber } from "./train";
import { int8Sessions } from "./eval-int8";

export interface EvalCliOptions extends CalibratingCliOptions {
  configs?: string;
  split?: string;
  samples?: string;
  json?: boolean;
  output?: string;
  write?: boolean;
  precision?: string;
}

/** Runs the evaluation; shared with `mtl report`. */
export async function measure(
  file: string,
  o: EvalCliOptions,
): Promise<{ model: TrainedModel; result: EvalResult; profile: StoredProfile }> {
  parseSelection(o.configs); // a bad --configs is a usage error (exit 2) before the model or data is read
  const model = loadTrained(file, o);
  const { graph, costs } = model.prepared;
  const data = await openDataset(o.data);
  checkDataFitsModel(data.manifest, modelDataSpec(graph), o.data, []);
  const splits = Object.keys(data.manifest.splits);
  const split = o.split ?? ["test", "val"].find((s) => splits.includes(s));
  if (!split || !splits.includes(split))
    throw new EvalError(
      "MTL-EVAL-005",
      `${o.data} has no ${o.split ? `split "${o.split}"` : "test or val split"} to evaluate on`,
      `its splits: ${splits.join(", ")}; choose one with --split`,
    );
  const settings = sessionSettings(wholeNumber("threads", o.threads), o.provider);
  const int8 = precisionFlag(o.precision) === "int8" ? int8Sessions(file, model, o, settings) : undefined;
  const selection = int8?.selection ?? parseSelection(o.configs);
  const configs =
    int8?.configs ??
    selectConfigs(costs, parseSelection(o.configs), {
      seed: graph.train.seed,
      profile: model.artifact.profile ?? undefined,
    });
  const state = await frozenState(model, settings);
  const calibrationBatches = int8 ? 0 : (wholeNumber("batches", o.batches, 0) ?? graph.train.calibrationBatches);
  if (calibrationBatches > 0 && !splits.includes("train"))
    throw new EvalError(
      "MTL-EVAL-006",
      `${o.data} has no train split to calibrate BatchNorm on (${calibrationBatches} batches per configuration)`,
      "pass --batches 0 to keep the statistics stored in the file (a trained or `mtl calibrate`d model), " +
        "or use a data set with a train split",
    );
  const calibrationBatchSize = wholeNumber("batch-size", o.batchSize) ?? graph.train.batchSize;
  try {
    const result = await evaluate(state, costs, configs, data, (b) => feedsOf(graph, b), {
      split,
      limit: wholeNumber("samples", o.samples),
      batchSize: calibrationBatchSize,
      calibrationBatches,
      calibrationBatchSize,
      seed: graph.train.seed,
      settings,
      session: int8?.session,
      onConfig: progressReporter("mtl eval", "configurations"),
    });
    const profile = buildProfile(result, costs, {
      data: o.data,
      selection: String(selection),
      ...(int8 && { precision: "int8" as const }),
    });
    return { model, result, profile };
  } finally {
    await state.sessions.close();
  }
}

const pct = (metric: string, v: number) =>
  ["rmse", "l1", "abs_rel", "mean_angle"].includes(metric) ? v.toFixed(4) : `${(v * 100).toFixed(2)}%`;

export function formatTable(r: EvalResult, groups: readonly string[]): string {
  const taskCols = Object.entries(r.tasks).flatMap(([t, i]) => i.metrics.map((m) => ({ t, m })));
  const head = [...groups, "MACs", ...taskCols.map((c) => `${c.t} ${c.m}`)];
  const rows = r.results.map((c) => [
    ...groups.map((g) => String(c.widths[g])),
    human(c.macs),
    ...taskCols.map((col) => {
      const v = c.metrics[col.t]?.[col.m];
      return v === undefined || Number.isNaN(v) ? "-" : pct(col.m, v);
    }),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(w[i])).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}

/** "5 x 64 training samples", or the true counts when the split held fewer: "4 batches (200 training samples)". */
export function calibratedOn(r: EvalResult): string {
  const { calibrationBatches: batches, calibrationBatchSize: size, calibrationSamples: samples } = r;
  return partialCalibration({ batches, samples }, size, "training samples") ?? `${batches} x ${size} training samples`;
}

export async function runEval(file: string, o: EvalCliOptions): Promise<number> {
  if (o.output !== undefined) checkOutputFile(o.output, "-o", "profile.json", [file]); // before measuring, not after
  const { model, result, profile } = await measure(file, o);
  if (o.output) writeOutputSync(o.output, `${JSON.stringify(profile, null, 2)}\n`, "-o", [file]);
  if (o.write) writeOutputSync(file, withProfile(model.bytes, profile));
  if (o.json) out.log(JSON.stringify({ ...result, profile }, null, 2));
  else {
    out.log(
      formatTable(
        result,
        model.prepared.costs.groups.map((g) => g.name),
      ),
    );
    const calib =
      result.calibrationBatches > 0
        ? `BatchNorm calibrated per configuration on ${calibratedOn(result)}`
        : "BatchNorm statistics as stored in the file";
    const precision = profile.measured!.precision === "int8" ? ", int8 (the file's calibration)" : "";
    out.log(
      `\n${result.results.length} configurations (${profile.measured!.selection}) on ${o.data} (${result.split}), ` +
        `${result.images} images each${precision}; ${calib}; ${result.seconds.toFixed(1)} s`,
    );
    if (o.output) out.log(`wrote the profile to ${o.output}`);
    if (o.write) out.log(`stored the profile in ${file}: search, run and plan() now use measured utilities`);
  }
  return 0;
}
